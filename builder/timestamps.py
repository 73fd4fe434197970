"""Timestamps as API v4 shows them: America/New_York with its offset, microseconds only when non-zero."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SITE_TIME_ZONE = ZoneInfo("America/New_York")

# PostgreSQL's text output of timestamptz: "2026-02-15 19:34:48.018489+00", offsets "+05:30" or "-04".
_PG_TIMESTAMPTZ = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)$"
)


def api_timestamp(value: datetime) -> str:
    """Render an aware datetime the way DRF does on the live site (TIME_ZONE America/New_York)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: a timestamp needs a time zone")
    text = value.astimezone(SITE_TIME_ZONE).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp with a zone (PostgreSQL text output or ISO 8601 with Z); return it in UTC."""
    m = _PG_TIMESTAMPTZ.match(text)
    if m is None:
        raise ValueError(f"not a timestamp with time zone: {text!r}")
    year, month, day, hour, minute, second, frac, sign, oh, om, os_ = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    offset = timedelta(0)
    if sign:
        offset = timedelta(hours=int(oh), minutes=int(om or 0), seconds=int(os_ or 0))
        if sign == "-":
            offset = -offset
    value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
                     tzinfo=timezone(offset))
    return value.astimezone(UTC)


def utc_stamp(value: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (the manifest's `fetched_at`), seconds truncated."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
