"""The snapshot loader: a sound snapshot loads; each kind of bad input is named precisely."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from builder.errors import SnapshotError
from builder.fsutil import FolderLock
from builder.snapshot import FILES, line_digest, load_snapshot
from tests import snapshots


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _rewrite(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _problems(data_dir: Path) -> list[str]:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(data_dir)
    return [str(p) for p in info.value.problems]


def test_round_trip_keeps_values_order_and_relations(tmp_path: Path) -> None:
    snap = load_snapshot(snapshots.write(tmp_path / "data"))
    assert list(snap.packages) == [1, 2, 3]
    assert snap.packages[1].grids == [10]
    assert snap.grids[10].packages == [1, 2]
    assert snap.grids[10].cell(1, 2) == "yes"
    assert snap.package_by_slug["beta"].id == 2
    assert snap.manifest.counts == {"categories": 1, "grids": 1, "packages": 3, "features": 1,
                                    "elements": 2, "releases": 0, "search": 0}
    assert snap.packages[1].last_updated == "2026-01-07T13:42:43-05:00"


def test_written_files_are_stable_jsonl_in_id_order(tmp_path: Path) -> None:
    recs = snapshots.records()
    recs["packages"].reverse()
    first = snapshots.write(tmp_path / "a", recs)
    second = snapshots.write(tmp_path / "b")
    for name in ("manifest.json", "categories.jsonl", "grids.jsonl", "packages.jsonl"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    ids = [r["id"] for r in _lines(first / "packages.jsonl")]
    assert ids == sorted(ids)
    assert list(_lines(first / "packages.jsonl")[0])[:3] == ["id", "slug", "title"]


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    text = (data / "packages.jsonl").read_text().splitlines()
    text[1] = text[1][:40]
    (data / "packages.jsonl").write_text("\n".join(text) + "\n")
    problems = _problems(data)
    assert any(p.startswith("packages.jsonl:2: malformed JSON") for p in problems), problems


def test_missing_required_field(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    recs = _lines(data / "packages.jsonl")
    del recs[0]["repo_url"]
    _rewrite(data / "packages.jsonl", recs)
    assert "packages.jsonl:1: package 1 ('alpha'): field 'repo_url': missing required field" in _problems(data)


def test_wrong_type(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    recs = _lines(data / "packages.jsonl")
    recs[2]["repo_watchers"] = "many"
    _rewrite(data / "packages.jsonl", recs)
    problems = _problems(data)
    assert any("package 3 ('gamma'): field 'repo_watchers': must be an integer" in p for p in problems)


def test_dangling_reference(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    grids = _lines(data / "grids.jsonl")
    grids[0]["packages"].append(99)
    _rewrite(data / "grids.jsonl", grids)
    problems = _problems(data)
    assert "grids.jsonl: grid 10 ('forms'): field 'packages': lists package 99, which does not exist" in problems


def test_duplicate_id_and_slug(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    recs = _lines(data / "packages.jsonl")
    recs.append({**recs[2], "slug": "other"})
    recs.append({**recs[2], "id": 4})
    _rewrite(data / "packages.jsonl", recs)
    problems = _problems(data)
    assert any("packages.jsonl:4: package 3: field 'id': duplicate id 3" in p for p in problems), problems
    assert any("package 4: field 'slug': duplicate slug 'gamma'" in p for p in problems), problems


SLUG_PROBLEM = "field 'slug': must be a safe slug"
STAMP_PROBLEM = "field 'created': must be an ISO 8601 timestamp with offset"


@pytest.mark.parametrize(("field", "value", "problem"), [
    *(("slug", slug, SLUG_PROBLEM) for slug in ("../x", "Upper", "a/b", "", "sp ace", "trailing\n", "a\nb")),
    *(("created", stamp, STAMP_PROBLEM) for stamp in ("2026-01-07T13:42:43Z\n", "2026-01-07", "2026-01-07T13:42:43")),
])
def test_unsafe_field_value(tmp_path: Path, field: str, value: str, problem: str) -> None:
    data = snapshots.write(tmp_path / "data")
    recs = _lines(data / "packages.jsonl")
    recs[0][field] = value
    _rewrite(data / "packages.jsonl", recs)
    problems = _problems(data)
    assert any(problem in p for p in problems), problems


def test_unknown_format_version_and_missing_manifest(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["format_version"] = 99
    (data / "manifest.json").write_text(json.dumps(manifest))
    assert any("format_version" in p and "not supported" in p for p in _problems(data))
    (data / "manifest.json").unlink()
    assert any(p.startswith("manifest.json: missing") for p in _problems(data))


def test_write_snapshot_refuses_invalid_records_and_keeps_old(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    recs = snapshots.records()
    recs["packages"][0]["category"] = 7
    with pytest.raises(SnapshotError):
        snapshots.write(data, recs)
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".data.lock", "data"]  # no temporary tree left


def test_history_records_what_each_new_snapshot_changed(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    assert load_snapshot(data).history == []
    recs = snapshots.records()
    recs["packages"][0]["last_fetched"] = "2026-03-01T10:00:00-05:00"  # volatile: not a change
    recs["packages"][1]["repo_watchers"] = 999
    recs["packages"].append(snapshots.package(4, "delta"))
    recs["packages"] = [p for p in recs["packages"] if p["slug"] != "gamma"]
    snap = snapshots.write(data, recs)
    snap = load_snapshot(data)
    [entry] = snap.history
    assert (entry.packages.added, entry.packages.removed, entry.packages.changed) == (["delta"], ["gamma"], ["beta"])
    assert (entry.grids.added, entry.grids.removed, entry.grids.changed) == ([], [], [])



def test_known_lines_are_not_checked_field_by_field(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    recs = _lines(data / "packages.jsonl")
    recs[0]["created"] = "2026-01-07"  # not a timestamp with offset: only the field check tells
    _rewrite(data / "packages.jsonl", recs)
    with pytest.raises(SnapshotError):
        load_snapshot(data)
    first = (data / "packages.jsonl").read_bytes().splitlines(keepends=True)[0]
    snap = load_snapshot(data, {"packages": {line_digest(first)}})
    assert snap.packages[recs[0]["id"]].created == "2026-01-07"
    with pytest.raises(SnapshotError):  # a digest known for another kind does not count
        load_snapshot(data, {"grids": {line_digest(first)}})


def test_known_lines_load_the_very_records_a_checked_load_gives(tmp_path: Path) -> None:
    """Known lines take a shorter road (no field checks, not even per release or cell): the
    records are the same."""
    from bench.generate import generate_snapshot

    data = tmp_path / "data"
    generate_snapshot(data, 120, 10, seed=5)
    known = {kind: {line_digest(line) for line in (data / FILES[kind]).read_bytes().splitlines(keepends=True)}
             for kind in ("categories", "grids", "packages")}
    checked, trusted = load_snapshot(data), load_snapshot(data, known)
    assert sum(len(p.extra.releases) for p in trusted.packages.values() if p.extra) > 100
    assert sum(len(g.elements or ()) for g in trusted.grids.values()) > 100
    for kind in ("packages", "grids", "categories"):
        assert getattr(trusted, kind) == getattr(checked, kind), kind


def test_releases_and_cells_hold_their_lines_values_and_share_repeated_ones(tmp_path: Path) -> None:
    from dataclasses import asdict

    from bench.generate import generate_snapshot

    data = tmp_path / "data"
    generate_snapshot(data, 120, 10, seed=7)
    snap = load_snapshot(data)
    lines = {kind: {r["id"]: r for r in map(json.loads, (data / FILES[kind]).read_text(encoding="utf-8").splitlines())}
             for kind in ("packages", "grids")}
    releases = [r for p in snap.packages.values() if p.extra for r in p.extra.releases]
    assert [asdict(r) for r in releases] == [
        r for p in snap.packages.values() if p.extra for r in lines["packages"][p.id]["extra"]["releases"]]
    cells = [e for g in snap.grids.values() for e in g.elements or ()]
    assert [asdict(e) for e in cells] == [
        e for g in snap.grids.values() for e in lines["grids"][g.id]["elements"] or ()]
    for values in ([r.number for r in releases], [r.licenses for r in releases if r.licenses], [e.text for e in cells]):
        assert len({id(v) for v in values}) == len({json.dumps(v) for v in values}) < len(values)
    assert all(r.modified is r.created for r in releases if r.modified == r.created)


def test_a_previous_load_lends_the_records_of_unchanged_lines(tmp_path: Path) -> None:
    """`serve --watch` loads again and again: a line read before is not parsed again, its record
    is taken over; the snapshot is the one a fresh load gives."""
    from bench.bench_build import change_one_package
    from bench.generate import generate_snapshot

    data = tmp_path / "data"
    generate_snapshot(data, 120, 10, seed=5)
    first = load_snapshot(data)
    changed = first.package_by_slug[change_one_package(data)].id  # only this line's bytes change

    again = load_snapshot(data, previous=first)
    assert again.packages == load_snapshot(data).packages and again.grids == load_snapshot(data).grids
    assert again.packages[changed] is not first.packages[changed]
    assert again.packages[changed].repo_watchers == first.packages[changed].repo_watchers + 1
    kept = [i for i in again.packages if i != changed]
    assert all(again.packages[i] is first.packages[i] for i in kept)
    assert again.categories[1] is first.categories[1]


def test_records_lent_by_a_previous_load_are_checked_against_the_new_lines(tmp_path: Path) -> None:
    """Ids, slugs and references across records are checked all the same: a changed line that
    takes an unchanged one's slug is a problem."""
    data = snapshots.write(tmp_path / "data")
    first = load_snapshot(data)
    recs = _lines(data / "packages.jsonl")
    recs[1]["slug"] = recs[0]["slug"]
    _rewrite(data / "packages.jsonl", recs)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(data, previous=first)
    assert "duplicate slug" in str(info.value) and "packages.jsonl" in str(info.value)


def test_a_grids_cells_are_checked_unless_its_line_was_found_sound(tmp_path: Path) -> None:
    """A cell naming a feature its grid lacks is found on a grid's new line, with or without
    an earlier load; a line found sound before is not checked again (its cells were)."""
    data = snapshots.write(tmp_path / "data")
    good = load_snapshot(data)
    recs = _lines(data / "grids.jsonl")
    recs[0]["elements"][0]["feature"] = 99
    _rewrite(data / "grids.jsonl", recs)
    for known, previous in (({}, None), ({}, good), ({"grids": {line_digest(b"other")}}, None)):
        with pytest.raises(SnapshotError) as info:
            load_snapshot(data, known, previous)
        assert "feature 99" in str(info.value) and "grids.jsonl" in str(info.value)
    bad_line = (data / "grids.jsonl").read_bytes().splitlines(keepends=True)[0]
    assert load_snapshot(data, {"grids": {line_digest(bad_line)}}).grids[recs[0]["id"]].elements[0].feature == 99


def test_a_new_snapshot_waits_for_a_build_reading_the_old(tmp_path: Path) -> None:
    data = snapshots.write(tmp_path / "data")
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    recs = snapshots.records()
    recs["packages"][0]["title"] = "Alpha, renamed"
    written = threading.Event()

    def replace() -> None:
        snapshots.write(data, recs)
        written.set()

    with FolderLock(data, shared=True):  # a build reading it
        writer = threading.Thread(target=replace)
        writer.start()
        assert not written.wait(1.0)
        assert {p.name: p.read_bytes() for p in data.iterdir()} == before  # not replaced under the reader
    writer.join(30)
    assert written.is_set()
    assert load_snapshot(data).packages[1].title == "Alpha, renamed"
