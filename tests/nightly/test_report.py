"""The build report: report.json, /about/snapshot/ and the what's-new feeds, across snapshots."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from builder.build import build
from builder.errors import SettingsError
from builder.report import build_time
from builder.settings import Settings
from builder.snapshot import write_snapshot
from tests import snapshots as snap

BASE_URL = "https://example.org"
SOURCE = {"kind": "crawl", "location": "https://djangopackages.org", "origin": "https://djangopackages.org"}
FIRST, SECOND, THIRD = "2026-02-14T03:00:00Z", "2026-02-15T03:00:00Z", "2026-02-16T03:00:00Z"
ATOM = "{http://www.w3.org/2005/Atom}"


def second_records() -> dict[str, list[dict[str, Any]]]:
    """Against `snapshots.records()`: delta added, gamma removed, beta and the grid changed, alpha only
    re-fetched (which is no change)."""
    recs = copy.deepcopy(snap.records())
    alpha, beta, _gamma = recs["packages"]
    alpha["last_fetched"] = "2026-02-15T01:00:00-05:00"
    beta["repo_watchers"] += 5
    recs["packages"] = [alpha, beta, snap.package(4, "delta", [10])]
    recs["grids"] = [snap.grid(10, "forms", [1, 2, 4], description="Forms, now with delta.")]
    return recs


def third_records() -> dict[str, list[dict[str, Any]]]:
    recs = second_records()
    recs["packages"][2]["repo_description"] = "Delta, improved"
    recs["packages"].append(snap.package(5, "epsilon"))
    return recs


def write(data: Path, fetched_at: str, recs: dict[str, list[dict[str, Any]]]) -> None:
    write_snapshot(data, source=SOURCE, fetched_at=fetched_at, **copy.deepcopy(recs))


def build_site(tmp: Path, data: Path, name: str = "site") -> Path:
    settings = replace(Settings(), data_dir=data, output_dir=tmp / name, base_url=BASE_URL)
    return build(settings).output_dir


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from a second snapshot written over a first one."""
    tmp = tmp_path_factory.mktemp("two")
    write(tmp / "data", FIRST, snap.records())
    write(tmp / "data", SECOND, second_records())
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        return build_site(tmp, tmp / "data")


def report(site: Path) -> dict[str, Any]:
    return json.loads((site / "report.json").read_text(encoding="utf-8"))


def page(site: Path) -> BeautifulSoup:
    return BeautifulSoup((site / "about/snapshot/index.html").read_text(encoding="utf-8"), "html.parser")


def listed(soup: BeautifulSoup, group: str) -> list[tuple[str, str | None]]:
    """(text, href) of the items of one change list of the page; [] when it says None."""
    items = soup.select(f"#{group} + ul li")
    return [(li.get_text(), li.a["href"] if li.a else None) for li in items]


def test_report_json_changes_across_two_snapshots(two: Path) -> None:
    got = report(two)
    assert got["changes"] == {
        "previous_fetched_at": None,  # the first snapshot has no history entry of its own
        "packages": {"added": ["delta"], "removed": ["gamma"], "changed": ["beta"]},
        "grids": {"added": [], "removed": [], "changed": ["forms"]},
    }
    assert got["history"] == [{"fetched_at": SECOND, "source": "crawl",
                               "packages": {"added": 1, "removed": 1, "changed": 1},
                               "grids": {"added": 0, "removed": 0, "changed": 1}}]


def test_report_json_source_times_and_counts(two: Path) -> None:
    got = report(two)
    assert got["format"] == "djangopackages-build-report"
    assert got["site"] == BASE_URL
    assert got["source"] == SOURCE
    assert got["fetched_at"] == SECOND
    assert got["built_at"] is None  # no SOURCE_DATE_EPOCH in the test environment
    assert got["counts"]["packages"] == 3 and got["counts"]["grids"] == 1


def test_page_shows_the_same_changes(two: Path) -> None:
    soup = page(two)
    assert soup.h1.get_text() == "About this snapshot"
    assert listed(soup, "packages-added") == [("Delta", "/packages/p/delta/")]
    assert listed(soup, "packages-updated") == [("Beta", "/packages/p/beta/")]
    assert listed(soup, "packages-removed") == [("gamma", None)]  # no page left to link to
    assert listed(soup, "grids-updated") == [("Forms", "/grids/g/forms/")]
    assert listed(soup, "grids-added") == []
    facts = {dt.get_text(): dt.find_next_sibling("dd") for dt in soup.select("dl.facts dt")}
    assert facts["Taken"].time["datetime"] == SECOND
    assert facts["Built"].get_text() == "not recorded"
    assert "https://djangopackages.org" in facts["Source"].get_text()
    assert soup.find("link", rel="alternate", type="application/json")["href"] == "/report.json"
    assert soup.find("link", rel="canonical")["href"] == f"{BASE_URL}/about/snapshot/"


def test_whats_new_feeds_list_added_then_updated(two: Path) -> None:
    rss = ET.parse(two / "feeds/packages/whatsnew/rss.xml").getroot()
    items = [(i.findtext("title"), i.findtext("link"), i.findtext("category")) for i in rss.iter("item")]
    assert items == [("Added: Delta", f"{BASE_URL}/packages/p/delta/", "added"),
                     ("Updated: Beta", f"{BASE_URL}/packages/p/beta/", "updated")]
    assert rss.find("channel/lastBuildDate").text == "Sun, 15 Feb 2026 03:00:00 +0000"
    atom = ET.parse(two / "feeds/packages/whatsnew/atom.xml").getroot()
    entries = [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}updated")) for e in atom.iter(f"{ATOM}entry")]
    assert entries == [("Added: Delta", "2026-02-15T03:00:00Z"), ("Updated: Beta", "2026-02-15T03:00:00Z")]
    ids = [e.findtext(f"{ATOM}id") for e in atom.iter(f"{ATOM}entry")]
    assert len(set(ids)) == 2


def test_three_snapshots_newest_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data, FIRST, snap.records())
    write(data, SECOND, second_records())
    write(data, THIRD, third_records())
    site = build_site(tmp_path, data)
    got = report(site)
    assert got["changes"]["previous_fetched_at"] == SECOND
    assert got["changes"]["packages"] == {"added": ["epsilon"], "removed": [], "changed": ["delta"]}
    assert [h["fetched_at"] for h in got["history"]] == [THIRD, SECOND]
    rss = ET.parse(site / "feeds/packages/whatsnew/rss.xml").getroot()
    titles = [i.findtext("title") for i in rss.iter("item")]
    # beta (removed nowhere) still shows its older update; gamma, removed, is not in the feed
    assert titles == ["Added: Epsilon", "Updated: Delta", "Added: Delta", "Updated: Beta"]
    rows = page(site).select("table.history tbody tr")
    assert [r.time["datetime"] for r in rows] == [THIRD, SECOND]


def test_first_snapshot_has_no_changes(tmp_path: Path) -> None:
    site = build_site(tmp_path, snap.write(tmp_path / "data"))
    assert report(site)["changes"] is None and report(site)["history"] == []
    assert "first snapshot" in page(site).select_one("#changes").find_next("p").get_text()
    assert list(ET.parse(site / "feeds/packages/whatsnew/atom.xml").getroot().iter(f"{ATOM}entry")) == []


def test_build_time_comes_only_from_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = snap.write(tmp_path / "data")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1771124400")
    first = build_site(tmp_path, data, "a")
    second = build_site(tmp_path, data, "b")
    assert report(first)["built_at"] == "2026-02-15T03:00:00Z"
    for rel in ("report.json", "about/snapshot/index.html", "feeds/packages/whatsnew/rss.xml"):
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    built = {dt.get_text(): dt.find_next_sibling("dd") for dt in page(first).select("dl.facts dt")}["Built"]
    assert built.time["datetime"] == "2026-02-15T03:00:00Z"


def test_build_time_rejects_a_bad_epoch() -> None:
    assert build_time({}) is None
    assert build_time({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01T00:00:00Z"
    with pytest.raises(SettingsError, match="SOURCE_DATE_EPOCH"):
        build_time({"SOURCE_DATE_EPOCH": "yesterday"})
