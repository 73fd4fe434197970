"""Between builds, a resident process prepares what the next build's parts start from
(`build.warm_stages`): the tree is still the one a fresh build gives, and what was prepared is
used only for records that did not change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench.generate import generate_snapshot
from builder import search
from builder.api import search_part
from builder.api.search_rows import search_rows
from builder.build import BuildContext, Resident, build, warm_stages
from builder.deps import digest
from builder.output import read_state
from builder.snapshot import load_snapshot
from tests.test_incremental import Project, Records


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "data"
    generate_snapshot(path, 150, 12, seed=13)
    return path


@pytest.fixture
def resident() -> Iterator[Resident]:
    with Resident() as kept:
        yield kept


def _stars(r: Records) -> None:
    r["packages"][3]["repo_watchers"] += 5


def _description(r: Records) -> None:
    r["packages"][4]["repo_description"] = "Entirely different words: zeppelin quokka"


def _category_title(r: Records) -> None:  # every package row and entry of the category shows it
    r["categories"][0]["title"] += " Renamed"


def _add(r: Records) -> None:  # the grids' rows come after the packages': each moves one place
    new = dict(r["packages"][0], id=max(p["id"] for p in r["packages"]) + 1, slug="brand-new", title="Brand New",
               grids=[])
    if new["extra"]:
        new["extra"] = dict(new["extra"], deprecates_package=None)
    r["packages"].append(new)


def _remove_first(r: Records) -> None:  # every package row after it moves one place back
    referenced = {(p["extra"] or {}).get("deprecates_package") for p in r["packages"]}
    gone = next(p for p in r["packages"] if not p["grids"] and p["id"] not in referenced
                and not (p["extra"] or {}).get("deprecates_package"))
    r["packages"] = [p for p in r["packages"] if p is not gone]


def _grid(r: Records) -> None:
    r["grids"][0]["description"] += " Now compared on more features."


@pytest.mark.parametrize("jobs", [1, 2])
def test_resident_builds_after_each_change_give_the_fresh_tree(tmp_path: Path, generated: Path, resident: Resident,
                                                                jobs: int) -> None:
    project = Project(tmp_path, generated)
    settings = project.settings(project.site)
    build(settings, jobs=jobs, resident=resident)
    resident.idle.wait()
    assert isinstance(resident.stage_cache[search_part.CACHE], search_part.Warmed)
    assert isinstance(resident.stage_cache[search.CACHE], search.Warmed)
    for change in (_stars, _description, _category_title, _add, _remove_first, _grid):
        project.edit(change)
        result = build(settings, jobs=jobs, resident=resident)
        assert result.parts_kept > result.parts_run, change.__name__
        resident.idle.wait()  # the warm step, as while serve --watch waits for the next edit
        assert project.fresh_differences() == [], change.__name__


def _warmed_then_changed(project: Project, resident: Resident, *changes) -> BuildContext:  # noqa: ANN002
    """A resident build, its warm step, then `changes` made: the next build's context."""
    settings = project.settings(project.site)
    build(settings, jobs=1, resident=resident)
    resident.idle.wait()
    for change in changes:
        project.edit(change)
    snapshot = load_snapshot(project.data, previous=resident.snapshot)
    state = read_state(project.site, memory=resident.states)
    return BuildContext(settings, snapshot, state, cache=resident.stage_cache)


def test_the_search_part_takes_over_the_rows_of_unchanged_records_only(tmp_path: Path, generated: Path,
                                                                      resident: Resident) -> None:
    project = Project(tmp_path, generated)
    ctx = _warmed_then_changed(project, resident, _stars, _category_title)
    warmed = resident.stage_cache[search_part.CACHE]
    part = search_part.SearchPart(ctx)
    fresh = search_rows(ctx.snapshot)
    assert part.rows == fresh
    assert part.digests == [digest(orjson.dumps(r)) for r in fresh]
    renamed = min(ctx.snapshot.categories)
    starred = list(ctx.snapshot.packages.values())[3]
    taken = {(r.item_type, r.slug) for r in part.rows if id(r) in warmed.digests}
    unchanged = {("package", p.slug) for p in ctx.snapshot.packages.values() if p is not starred
                 and p.category != renamed} | {("grid", g.slug) for g in ctx.snapshot.grids.values()}
    assert taken == unchanged
    assert part.decoded is warmed.decoded is not None  # the memo was decoded between builds


def test_rows_that_moved_are_made_again(tmp_path: Path, generated: Path, resident: Resident) -> None:
    project = Project(tmp_path, generated)
    ctx = _warmed_then_changed(project, resident, _remove_first)
    warmed = resident.stage_cache[search_part.CACHE]
    part = search_part.SearchPart(ctx)
    assert part.rows == search_rows(ctx.snapshot)
    moved = [r for r in part.rows if r.item_type == "grid"]
    assert moved and not any(id(r) in warmed.digests for r in moved)


def test_the_client_index_takes_over_the_entries_of_unchanged_records_only(tmp_path: Path, generated: Path,
                                                                          resident: Resident) -> None:
    project = Project(tmp_path, generated)
    ctx = _warmed_then_changed(project, resident, _description, _category_title)
    warmed = resident.stage_cache[search.CACHE]
    made = search.entries(ctx.snapshot, warmed.entries)
    fresh = search.entries(ctx.snapshot)
    assert made == fresh
    assert search.build_index(made, warmed.words_of).files == search.build_index(fresh).files
    kept = {id(entry) for _, _, _, entry in warmed.entries.values()}
    renamed, described = min(ctx.snapshot.categories), list(ctx.snapshot.packages.values())[4]
    taken = {e.slug for e in made if id(e) in kept}
    assert taken == {p.slug for p in ctx.snapshot.packages.values() if p is not described and p.category != renamed} \
        | {g.slug for g in ctx.snapshot.grids.values()}
    assert warmed.words_of("zeppelin quokka") == ["quokka", "zeppelin"]  # not warmed: worked out


def test_a_warm_step_asked_to_stop_leaves_the_cache_as_it_was(tmp_path: Path, generated: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project(tmp_path, generated)
    settings = project.settings(project.site)
    resident = Resident()
    build(settings, jobs=1, resident=resident)
    resident.close()
    resident.stage_cache.clear()
    state = read_state(project.site)
    stop = threading.Event()
    stop.set()
    warm_stages(settings, resident, state, stop)
    assert resident.stage_cache == {}
    stop.clear()
    entries = search.entries
    monkeypatch.setattr(search, "entries", lambda *args: (stop.set(), entries(*args))[1])  # a build comes meanwhile
    warm_stages(settings, resident, state, stop)
    assert search_part.CACHE in resident.stage_cache and search.CACHE not in resident.stage_cache
    monkeypatch.undo()
    warm_stages(settings, resident, state, threading.Event())
    assert set(resident.stage_cache) >= {search.CACHE, search_part.CACHE}


def test_with_the_snapshots_own_search_rows_resident_builds_give_the_fresh_tree(tmp_path: Path,
                                                                               resident: Resident) -> None:
    """The sample snapshot has the live search rows (search.jsonl): rows are its records, and an
    entry of the client index is made from a package and its row."""
    import json
    import shutil

    from builder.build import compare_trees
    from builder.settings import load_settings
    from tests.test_watch import ROOT, _edit_package

    data, site, fresh = tmp_path / "data", tmp_path / "site", tmp_path / "fresh"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data, output_dir=site)

    def reweigh(slug: str) -> None:
        path = data / "search.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        next(r for r in rows if r["slug"] == slug)["weight"] += 40
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    changes = [lambda: _edit_package(data, "django-select2", repo_watchers=4321),
               lambda: _edit_package(data, "django-select2", repo_description="Quokka zeppelin widgets"),
               lambda: reweigh("django-select2")]
    build(settings, jobs=2, resident=resident)
    for change in changes:
        resident.idle.wait()
        change()
        build(settings, jobs=2, resident=resident)
        shutil.rmtree(fresh, ignore_errors=True)
        build(load_settings(data_dir=data, output_dir=fresh), jobs=1, force=True)
        assert compare_trees(fresh, site) == []
    assert isinstance(resident.stage_cache[search.CACHE], search.Warmed)
