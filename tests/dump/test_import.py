"""import_dump on the reference dumps: the snapshot equals what the live API v4 shows."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from build import cli
from builder.dump import DUMPDATA_NOTE, import_dump
from builder.snapshot import load_snapshot

from .reference import (
    API_V4,
    DUMPS,
    category_v4,
    grid_v4,
    package_v4,
    reference_bodies,
    reference_sql,
    write_dump,
)

PG_RESTORE_HINT = "install pg_restore with `apt-get install postgresql-client` to run this test"


def _need_pg_restore() -> None:
    if shutil.which("pg_restore") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pg_restore is missing: " + PG_RESTORE_HINT)
        pytest.skip(PG_RESTORE_HINT)


def _assert_v4_equal(data_dir: Path) -> None:
    snap = load_snapshot(data_dir)
    for kind, render, have in (("packages", package_v4, snap.packages), ("grids", grid_v4, snap.grids),
                               ("categories", category_v4, snap.categories)):
        bodies = reference_bodies(kind)
        assert sorted(bodies) == sorted(have), kind
        for ident, body in bodies.items():
            assert render(snap, ident) == body, f"{kind} {ident}"


@pytest.fixture(scope="module")
def sql_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("sql") / "data"
    import_dump(DUMPS / "djangopackages.sql.gz", data)
    return data


def test_plain_sql_equals_the_live_api(sql_snapshot: Path) -> None:
    _assert_v4_equal(sql_snapshot)
    manifest = load_snapshot(sql_snapshot).manifest
    assert (manifest.source.kind, manifest.source.location) == ("pg_dump", "djangopackages.sql.gz")
    assert manifest.fetched_at == "2026-02-16T08:26:19Z"
    assert manifest.notes == []
    assert manifest.counts == {"categories": 4, "grids": 8, "packages": 60, "features": 50,
                               "elements": 384, "releases": 497, "search": 68}


def test_the_real_record(sql_snapshot: Path) -> None:
    pkg = load_snapshot(sql_snapshot).packages[1423]
    assert pkg.grids == [58, 19, 16, 442]
    assert (pkg.last_updated, pkg.last_fetched) == ("2026-01-07T13:42:43-05:00",
                                                   "2026-02-15T14:34:48.018489-05:00")
    assert pkg.pypi_version == pkg.extra.latest_version == "8.4.8"
    assert pkg.participants[:5] == ["codingjoe", "dependabot[bot]", "pyup-bot", "applegrew", "fjcapdevila"]
    assert pkg.extra.pypi_classifiers == [
        "Development Status :: 5 - Production/Stable", "Framework :: Django",
        "License :: OSI Approved :: MIT License", "Programming Language :: Python :: 3"]
    assert [r.id for r in pkg.extra.releases] == sorted(r.id for r in pkg.extra.releases)


def test_extras_features_cells_and_search(sql_snapshot: Path) -> None:
    snap = load_snapshot(sql_snapshot)
    grid = snap.grids[16]
    assert [f.id for f in grid.features] == [1, 2, 3, 4, 5, 6]
    assert grid.cell(1, 1341) == "sucks"
    assert all(e.package in grid.packages for e in grid.elements)
    first = next(r for r in snap.packages[73].extra.releases if r.id == 1)
    assert (first.number, first.license, first.licenses, first.upload_time) == (
        "1.0.1", "GPLv3", None, "2022-12-04T22:27:49.101274-05:00")
    assert snap.packages[73].pypi_version is None
    assert snap.packages[141].extra.deprecates_package == 288
    assert snap.packages[141].extra.date_deprecated == "2022-06-05T19:12:13.399365-04:00"
    row = snap.search_rows[0]
    assert (row.id, row.slug, row.modified, row.last_released) == (
        1, "guardian-x-django", "2026-11-26T18:04:12.229850-05:00", None)


def test_participants_edge_cases_match_the_api(sql_snapshot: Path) -> None:
    # The reference dataset stores "a, b" separators, a trailing comma and empty text.
    stored = {}
    for line in reference_sql().decode().splitlines():
        parts = line.split("\t")
        if len(parts) == 38 and parts[0].isdigit():
            stored[int(parts[0])] = parts[11]
    assert any(", " in s for s in stored.values()) and any(s.endswith(",") for s in stored.values())
    assert "" in stored.values()
    bodies = reference_bodies("packages")
    for pid, text in stored.items():
        assert bodies[pid]["participants"] == [p.strip() for p in text.split(",") if p.strip()]


def test_custom_format_gives_the_same_snapshot(tmp_path: Path, sql_snapshot: Path) -> None:
    _need_pg_restore()
    summary = import_dump(DUMPS / "djangopackages.dump", tmp_path / "data")
    assert summary.source_kind == "pg_dump_custom"
    for name in ("categories.jsonl", "grids.jsonl", "packages.jsonl", "search.jsonl"):
        assert (tmp_path / "data" / name).read_bytes() == (sql_snapshot / name).read_bytes(), name


def test_dumpdata_differs_only_below_the_millisecond(tmp_path: Path, sql_snapshot: Path) -> None:
    summary = import_dump(DUMPS / "dumpdata.json.gz", tmp_path / "data")
    assert summary.source_kind == "dumpdata" and DUMPDATA_NOTE in summary.notes
    exact = load_snapshot(sql_snapshot)
    got = load_snapshot(tmp_path / "data")
    assert got.search_rows is None and got.manifest.notes[0] == DUMPDATA_NOTE
    assert got.manifest.fetched_at == exact.manifest.fetched_at
    assert _to_ms(_records(exact)) == _records(got)
    assert _records(exact) != _records(got)  # the microseconds really are lost


def _records(snap: object) -> str:
    import dataclasses
    import json
    return json.dumps([dataclasses.asdict(x) for kind in ("categories", "grids", "packages")
                       for x in getattr(snap, kind).values()])


def _to_ms(text: str) -> str:
    """Truncate every microsecond fraction to milliseconds, as Django's JSON encoder does."""
    import re

    def cut(m: re.Match[str]) -> str:
        ms = (m[2] or "000")[:3]
        return m[1] + (f".{ms}000" if ms != "000" else "") + m[3]

    return re.sub(r'(T\d\d:\d\d:\d\d)(?:\.(\d{6}))?([+-]\d\d:\d\d")', cut, text)


def test_dump_and_crawl_agree(tmp_path: Path, sql_snapshot: Path) -> None:
    """A crawl of the recorded live API and the dump give the same snapshot wherever both know."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "crawl"))
    fake_api = pytest.importorskip("fake_api")
    from builder.crawl import ClientSettings, CrawlOptions, crawl
    client = ClientSettings(concurrency=4, rate=0, connect_timeout=2.0, read_timeout=5.0, max_tries=2)
    with fake_api.FakeApiServer(fake_api.RecordedApi(API_V4)) as server:
        crawl(server.url, tmp_path / "data", CrawlOptions(page_size=20, client=client,
                                                         report_path=tmp_path / "report.json"))
    crawled, dumped = load_snapshot(tmp_path / "data"), load_snapshot(sql_snapshot)
    assert crawled.categories == dumped.categories
    assert crawled.packages.keys() == dumped.packages.keys()
    for pid, pkg in crawled.packages.items():
        assert pkg.extra is None
        assert pkg == type(pkg)(**{**_fields(dumped.packages[pid]), "extra": None})
    for gid, grid in crawled.grids.items():
        assert (grid.features, grid.elements) == (None, None)
        assert grid == type(grid)(**{**_fields(dumped.grids[gid]), "features": None, "elements": None})


def _fields(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}  # type: ignore[attr-defined]


def test_same_dump_same_bytes(tmp_path: Path, sql_snapshot: Path) -> None:
    import_dump(DUMPS / "djangopackages.sql.gz", tmp_path / "data")
    for path in sorted(sql_snapshot.iterdir()):
        assert (tmp_path / "data" / path.name).read_bytes() == path.read_bytes(), path.name


def test_format_is_detected_from_content_not_name(tmp_path: Path) -> None:
    dump = write_dump(tmp_path, "whatever.bin", reference_sql())
    assert import_dump(dump, tmp_path / "data").source_kind == "pg_dump"


def test_cli_prints_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import-dump", str(DUMPS / "dumpdata.json.gz"), "--data",
                                      str(tmp_path / "data")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"Imported dumpdata.json.gz (Django dumpdata JSON, 1074 rows read) into {tmp_path / 'data'}: "
        "4 categories, 8 grids, 60 packages, 50 features, 384 elements, 497 releases, 0 search.")
    assert "millisecond" in result.output


def test_pg_restore_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no pg_restore on the PATH
    result = CliRunner().invoke(cli, ["import-dump", str(DUMPS / "djangopackages.dump"), "--data",
                                      str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "apt-get install postgresql-client" in result.output
    assert not (tmp_path / "data").exists()


def test_pg_restore_is_the_real_one() -> None:
    _need_pg_restore()
    out = subprocess.run(["pg_restore", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("pg_restore (PostgreSQL)")
