"""Formatting of snapshot scalars for pages and feeds: absolute dates, numbers, safe URLs.

Timestamps arrive as API v4 strings (America/New_York with the offset in force); a date is
shown as the calendar date of that string, which is what the live site shows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=65536)
def parse_ts(value: str) -> datetime:
    """An aware datetime from an API v4 timestamp or a manifest `...Z` stamp."""
    return datetime.fromisoformat(value)


def date(value: str | None, empty: str = "—") -> str:
    """'Jan 07, 2026' (absolute, never relative); `empty` for null."""
    if not value:
        return empty
    d = parse_ts(value)
    return f"{_MONTHS[d.month - 1]} {d.day:02d}, {d.year}"


def iso_date(value: str) -> str:
    """'2026-01-07': the machine-readable twin of `date()`, for <time datetime>."""
    return value[:10]


def number(value: int | None, empty: str = "—") -> str:
    """26950 -> '26,950'."""
    return empty if value is None else f"{value:,}"


def rfc822(value: str) -> str:
    """RSS 2.0 date: 'Wed, 07 Jan 2026 13:42:43 -0500' (the timestamp's own offset)."""
    return format_datetime(parse_ts(value).replace(microsecond=0))


def rfc3339(value: str) -> str:
    """Atom and sitemap date: the timestamp with seconds precision, offset kept."""
    d = parse_ts(value).replace(microsecond=0)
    text = d.isoformat()
    return text[:-6] + "Z" if d.utcoffset() is not None and not d.utcoffset() else text


@lru_cache(maxsize=65536)  # the lists' "updated" order and the home page read the same stamps
def sort_key_ts(value: str | None) -> float:
    """A number ordering timestamps in time (null first), for sort keys."""
    return parse_ts(value).timestamp() if value else float("-inf")


def stamp_utc(value: str) -> str:
    """`fetched_at` shown in the footer: 'Feb 15, 2026, 19:40 UTC'."""
    d = parse_ts(value).astimezone(UTC)
    return f"{_MONTHS[d.month - 1]} {d.day:02d}, {d.year}, {d.hour:02d}:{d.minute:02d} UTC"


# scheme, '://', a host (no space, quote, angle bracket or backtick), then the same limits on the rest
_SAFE_URL = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#\"'<>`\\]+(?:[/?#][^\s\"<>`]*)?\Z")


def safe_url(value: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (never a link).

    Anything else (javascript:, data:, relative or protocol-relative URLs, text with spaces,
    quotes or angle brackets) is shown as plain text by the templates.
    """
    if not value:
        return None
    text = value.strip()
    return text if _SAFE_URL.match(text) else None
