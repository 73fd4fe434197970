"""Unit tests of the small helpers: formatting, safe URLs, grid cells, charts."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from builder.pages import cells, chart
from builder.pages import format as fmt


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-07T13:42:43-05:00", "Jan 07, 2026"),
    ("2026-02-15T14:34:48.018489-05:00", "Feb 15, 2026"),
    ("2025-12-31T23:30:00-05:00", "Dec 31, 2025"),  # the date of the string, not of UTC
    (None, "—"),
])
def test_date(value: str | None, expected: str) -> None:
    assert fmt.date(value) == expected


def test_numbers_and_feed_dates() -> None:
    assert fmt.number(26950) == "26,950"
    assert fmt.number(None) == "—"
    assert fmt.rfc822("2026-01-07T13:42:43.5-05:00") == "Wed, 07 Jan 2026 13:42:43 -0500"
    assert fmt.rfc3339("2026-01-07T13:42:43.018489-05:00") == "2026-01-07T13:42:43-05:00"
    assert fmt.rfc3339("2026-02-15T19:40:00Z") == "2026-02-15T19:40:00Z"
    assert fmt.stamp_utc("2026-02-15T19:40:00Z") == "Feb 15, 2026, 19:40 UTC"


@pytest.mark.parametrize(("value", "expected"), [
    ("https://github.com/x/y", "https://github.com/x/y"),
    ("http://pypi.python.org/pypi/x", "http://pypi.python.org/pypi/x"),
    ("javascript:alert(1)", None), ("JAVASCRIPT:alert(1)", None), (" javascript:alert(1)", None),
    ("data:text/html,x", None), ("//evil.example/x", None), ("/relative", None), ("https://", None),
    ('https://x.org/"onmouseover=alert(1)', None), ("", None), (None, None),
])
def test_safe_url(value: str | None, expected: str | None) -> None:
    assert fmt.safe_url(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", cells.YES), ("Yes ", cells.YES), ("CHECK", cells.YES), ("good", cells.YES), ("+", cells.YES),
    ("no", cells.NO), ("No", cells.NO), ("bad", cells.NO), ("negative", cells.NO), ("evil", cells.NO),
    ("sucks", cells.NO), ("-", cells.NO), ("-1", cells.NO),
    ("++", cells.YES2), ("+2", cells.YES2), ("+++", cells.YES3), ("+++++", cells.YES3), ("+10", cells.YES3),
    ("--", cells.NO2), ("-----", cells.NO3),
    ("", cells.EMPTY), ("   ", cells.EMPTY), (None, cells.EMPTY),
])
def test_cell_icons(value: str | None, expected: str) -> None:
    assert cells.cell(value) == expected


def test_cell_text() -> None:
    html = cells.cell("See https://example.com/a?b=1&c=2).\n<b>bold</b> & more")
    soup = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == ["https://example.com/a?b=1&c=2"]
    assert soup.find("br") is not None and soup.find("b") is None
    assert soup.get_text() == "See https://example.com/a?b=1&c=2).<b>bold</b> & more"


def test_cell_prefix_keyword_needs_word_boundary() -> None:
    assert cells.cell("yes, with a plugin").startswith(cells.YES)
    assert cells.cell("nothing built in") == "nothing built in"
    assert "href" not in cells.cell("javascript:alert(1)")


def test_commit_chart() -> None:
    svg = BeautifulSoup(chart.commit_chart([0, 3, 1]), "html.parser").svg
    assert svg["role"] == "img" and svg.title.string and svg.desc.string
    assert len(svg.find_all("rect")) == 3
    assert "4 commits in the last 3 weeks" in svg.desc.string
    assert "No commit data" in chart.commit_chart([])
    assert chart.sparkline([]) == cells.EMPTY
    assert BeautifulSoup(chart.sparkline([1, 0, 30]), "html.parser").svg.path["d"].startswith("M0 20h6")
