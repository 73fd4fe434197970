"""Timestamps as API v4 shows them: America/New_York with its offset, microseconds only when non-zero."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SITE_TIME_ZONE = ZoneInfo("America/New_York")


def api_timestamp(value: datetime) -> str:
    """Render an aware datetime the way DRF does on the live site (TIME_ZONE America/New_York)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: a timestamp needs a time zone")
    text = value.astimezone(SITE_TIME_ZONE).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp with a zone; return it in UTC.

    Takes PostgreSQL's text output of timestamptz (`2026-02-15 19:34:48.018489+00`, offsets
    like `-04` or `+05:30`) and ISO 8601 with `Z` (dumpdata's `2026-02-15T19:34:48.018Z`).
    """
    if len(text) >= 19 and text[4] == "-" and text[10] in " T":
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if value.tzinfo is not None:
                return value.astimezone(UTC)
    raise ValueError(f"not a timestamp with time zone: {text!r}")


def utc_stamp(value: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (the manifest's `fetched_at`), seconds truncated."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
