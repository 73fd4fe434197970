"""Timestamps: PostgreSQL and dumpdata forms in, the API v4 form out (builder/timestamps.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from builder.timestamps import api_timestamp, parse_timestamp, utc_stamp


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-07 18:42:43+00", "2026-01-07T13:42:43-05:00"),                   # no fraction, winter
    ("2026-02-15 19:34:48.018489+00", "2026-02-15T14:34:48.018489-05:00"),     # microseconds kept
    ("2012-08-25 04:15:04.650984+00", "2012-08-25T00:15:04.650984-04:00"),     # summer: -04:00
    ("2018-06-15 19:55:29.5818+00", "2018-06-15T15:55:29.581800-04:00"),       # short fraction padded
    ("2020-01-01 00:00:00.000000+00", "2019-12-31T19:00:00-05:00"),            # zero fraction dropped
    ("2026-03-08 06:59:59+00", "2026-03-08T01:59:59-05:00"),                   # last second of EST
    ("2026-03-08 07:00:00+00", "2026-03-08T03:00:00-04:00"),                   # first second of EDT
    ("2026-11-01 05:30:00+00", "2026-11-01T01:30:00-04:00"),                   # the hour that repeats
    ("2026-11-01 06:30:00+00", "2026-11-01T01:30:00-05:00"),                   # ... and again in EST
    ("2026-01-07 13:42:43-05", "2026-01-07T13:42:43-05:00"),                   # a dump in another zone
    ("2026-01-07 19:12:43+05:30", "2026-01-07T08:42:43-05:00"),
    ("2012-08-25T04:15:04.650Z", "2012-08-25T00:15:04.650000-04:00"),          # dumpdata's form
])
def test_parse_then_render(text: str, expected: str) -> None:
    assert api_timestamp(parse_timestamp(text)) == expected


def test_parse_returns_utc() -> None:
    assert parse_timestamp("2026-01-07 13:42:43-05") == datetime(2026, 1, 7, 18, 42, 43, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-01-07 13:42:43", "yesterday", "2026-13-01 00:00:00+00", ""])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_render_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        api_timestamp(datetime(2026, 1, 1))


def test_utc_stamp_truncates_to_seconds() -> None:
    value = datetime(2026, 2, 16, 3, 26, 19, 999999, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_stamp(value) == "2026-02-16T08:26:19Z"
