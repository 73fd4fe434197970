"""A live directory that changes: mid-crawl edits, the safety gate, the change report."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import fast_options
from fake_api import DatasetApi, FakeApiServer
from test_crawl_reference import assert_reference

from builder.changes import diff_snapshots
from builder.crawl import crawl, default_report_path
from builder.crawl.journal import journal_dir
from builder.errors import CrawlError
from builder.snapshot import load_snapshot

Dataset = dict[str, list[dict[str, Any]]]


def _without(dataset: Dataset, package_ids: set[int]) -> Dataset:
    out = copy.deepcopy(dataset)
    out["packages"] = [p for p in out["packages"] if p["id"] not in package_ids]
    for grid in out["grids"]:
        grid["packages"] = [p for p in grid["packages"] if p not in package_ids]
    return out


def _serve(dataset: Dataset) -> FakeApiServer:
    return FakeApiServer(DatasetApi(dataset["categories"], dataset["grids"], dataset["packages"]))


def _swap_on(server: FakeApiServer, target: str, dataset: Dataset) -> None:
    """Replace the served dataset when `target` is first requested, before it is answered."""
    def hook(path: str) -> None:
        if path == target and server.before_answer is not None:
            server.before_answer = None
            server.api.replace(dataset["categories"], dataset["grids"], dataset["packages"])  # type: ignore[union-attr]
    server.before_answer = hook


def test_package_added_mid_crawl_is_neither_lost_nor_duplicated(reference: Dataset, tmp_path: Path) -> None:
    changed = copy.deepcopy(reference)
    new = {**changed["packages"][0], "id": 5000, "slug": "django-new", "title": "Brand new", "grids": []}
    changed["packages"].append(new)
    with _serve(reference) as server:
        _swap_on(server, "/api/v4/packages/?limit=20&offset=20", changed)
        crawl(server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", changed)


def test_package_removed_mid_crawl(reference: Dataset, tmp_path: Path) -> None:
    changed = _without(reference, {1442})
    with _serve(reference) as server:
        _swap_on(server, "/api/v4/packages/?limit=20&offset=40", changed)
        crawl(server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", changed)


def test_grid_created_after_the_grid_list_was_read(reference: Dataset, tmp_path: Path) -> None:
    changed = copy.deepcopy(reference)
    grid = {**changed["grids"][0], "id": 900, "slug": "brand-new-grid", "packages": [73]}
    changed["grids"].append(grid)
    next(p for p in changed["packages"] if p["id"] == 73)["grids"].append(900)
    with _serve(reference) as server:
        # concurrency 1: the first pages of packages, grids, categories, then the rest of packages
        _swap_on(server, "/api/v4/packages/?limit=20&offset=20", changed)
        crawl(server.url, tmp_path / "data", fast_options(concurrency=1))
        assert server.targets().count("/api/v4/grids/?limit=20") == 2  # re-read for the dangling grid
    assert_reference(tmp_path / "data", changed)


def test_safety_gate_keeps_the_previous_snapshot(reference: Dataset, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _serve(reference) as server:
        crawl(server.url, data, fast_options())
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    dropped = {p["id"] for p in reference["packages"][:7]}  # 7 of 60: 11.7%
    with _serve(_without(reference, dropped)) as server:
        with pytest.raises(CrawlError, match=r"7 of 60 packages \(12%\) would be removed.*--allow-shrink"):
            crawl(server.url, data, fast_options())
        assert {p.name: p.read_bytes() for p in data.iterdir()} == before
        report = json.loads(default_report_path(data).read_text())
        assert report["replaced"] is False and "would be removed" in report["refused"]
        assert [r["id"] for r in report["changes"]["packages"]["removed"]] == sorted(dropped)
        assert journal_dir(data).exists()

        server.hits.clear()
        result = crawl(server.url, data, fast_options(resume=True, allow_shrink=True))
        assert result.replaced and result.requests == 0 and result.pages_from_journal == 5
    assert len(load_snapshot(data).packages) == 53
    assert not journal_dir(data).exists()


def test_max_shrink_is_configurable(reference: Dataset, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _serve(reference) as server:
        crawl(server.url, data, fast_options())
    with _serve(_without(reference, {p["id"] for p in reference["packages"][:7]})) as server:
        crawl(server.url, data, fast_options(max_shrink=0.2))
    assert len(load_snapshot(data).packages) == 53


def test_report_names_the_changes(reference: Dataset, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _serve(reference) as server:
        first = crawl(server.url, data, fast_options())
    assert len(first.changes.packages.added) == 60  # no previous snapshot: all added
    changed = _without(reference, {1442})
    pkg = next(p for p in changed["packages"] if p["id"] == 1423)
    pkg["repo_watchers"] += 1
    pkg["slug"] = "django-select2-renamed"
    with _serve(changed) as server:
        report = crawl(server.url, data, fast_options(report_path=tmp_path / "out" / "report.json"))
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["changes"]["packages"] == {
        "before": 60, "after": 59, "added": [],
        "removed": [{"id": 1442, "slug": "django-chat"}],
        "changed": [{"id": 1423, "slug": "django-select2-renamed", "fields": ["slug", "repo_watchers"]}],
    }
    assert saved["changes"]["grids"]["changed"] == []
    assert saved["counts"]["packages"] == 59 and saved["requests"] == report.requests == 5
    assert "packages removed: django-chat" in report.summary()
    assert "packages changed: django-select2-renamed" in report.summary()


def test_diff_of_identical_snapshots_is_empty(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    crawl(recorded_server.url, tmp_path / "data", fast_options())
    snap = load_snapshot(tmp_path / "data")
    changes = diff_snapshots(snap, load_snapshot(tmp_path / "data"))
    assert changes.unchanged and changes.summary() == ["no change"]
    json.dumps(changes.to_json())


def test_duplicate_slugs_are_reported(reference: Dataset, tmp_path: Path) -> None:
    broken = copy.deepcopy(reference)
    broken["packages"][1]["slug"] = broken["packages"][0]["slug"]
    with _serve(broken) as server, pytest.raises(CrawlError) as info:
        crawl(server.url, tmp_path / "data", fast_options())
    first, second = broken["packages"][0], broken["packages"][1]
    assert f"packages: slug {first['slug']!r} is used by ids" in str(info.value)
    assert str(first["id"]) in str(info.value) and str(second["id"]) in str(info.value)
    assert not (tmp_path / "data").exists()
