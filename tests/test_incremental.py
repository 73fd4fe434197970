"""Incremental builds: after any change, the tree equals a fresh build, and only what changed is touched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from bench.generate import generate_snapshot
from builder import filetable
from builder.build import BuildResult, build, compare_trees
from builder.filetable import FileTable
from builder.output import SiteWriter, read_state, spare_path, spare_state_path, state_path
from builder.render_pages import BUCKETS
from builder.settings import load_settings
from builder.snapshot import FILES, write_snapshot

ROOT = Path(__file__).resolve().parent.parent
Records = dict[str, list[dict]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "data"
    generate_snapshot(path, 150, 12, seed=11)
    return path


class Project:
    """A data folder, a templates folder and a site built from them, with a fresh build to compare."""

    def __init__(self, tmp: Path, generated: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.templates = tmp / "templates"
        self.static = tmp / "static"
        self.site = tmp / "site"
        shutil.copytree(generated, self.data)
        shutil.copytree(ROOT / "templates", self.templates)
        shutil.copytree(ROOT / "static", self.static)

    def settings(self, out: Path):  # noqa: ANN201 - Settings
        return load_settings(data_dir=self.data, output_dir=out, templates_dir=self.templates,
                             static_dir=self.static)

    def build(self, jobs: int = 2) -> BuildResult:
        return build(self.settings(self.site), jobs=jobs)

    def fresh_differences(self) -> list[str]:
        fresh = self.tmp / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        build(self.settings(fresh), jobs=1, force=True)
        return compare_trees(fresh, self.site)

    def files(self) -> dict[str, tuple[str, int, int]]:
        """path -> (content hash, inode, mtime)."""
        out = {}
        for path in self.site.rglob("*"):
            if path.is_file():
                st = path.stat()
                out[path.relative_to(self.site).as_posix()] = (
                    hashlib.sha256(path.read_bytes()).hexdigest(), st.st_ino, st.st_mtime_ns)
        return out

    def records(self) -> Records:
        return {kind: [orjson.loads(line) for line in (self.data / FILES[kind]).read_bytes().splitlines()]
                for kind in ("categories", "grids", "packages")}

    def edit(self, change: Callable[[Records], None]) -> None:
        records = self.records()
        change(records)
        manifest = json.loads((self.data / "manifest.json").read_text(encoding="utf-8"))
        write_snapshot(self.data, source=manifest["source"], fetched_at=manifest["fetched_at"], **records)


def assert_only_changed_files_touched(before: dict, after: dict) -> None:
    """Files with the same bytes keep their inode and mtime; files with new bytes are new files."""
    for path in before.keys() & after.keys():
        same_bytes = before[path][0] == after[path][0]
        same_file = before[path][1:] == after[path][1:]
        assert same_bytes == same_file, f"{path}: bytes {'same' if same_bytes else 'changed'}, " \
                                        f"file {'kept' if same_file else 'rewritten'}"


@pytest.fixture
def project(tmp_path: Path, generated: Path) -> Project:
    p = Project(tmp_path, generated)
    p.build()
    return p


def _package_in_a_grid(records: Records) -> dict:
    in_grids = {i for g in records["grids"] for i in g["packages"]}
    return next(p for p in records["packages"] if p["id"] in in_grids)


@pytest.fixture(params=["dict", "index"])
def indexed_project(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                    generated: Path) -> Project:
    """A project whose builds find the paths of their records through a dict (small trees) or
    through the sorted path hashes a record of a million files uses (`filetable.INDEX_AT`)."""
    if request.param == "index":
        monkeypatch.setattr(filetable, "INDEX_AT", 50)
    p = Project(tmp_path, generated)
    p.build()
    return p


def test_each_change_gives_the_fresh_tree_touching_only_changed_files(indexed_project: Project) -> None:
    project = indexed_project
    records = project.records()
    member = _package_in_a_grid(records)
    referenced = {(p["extra"] or {}).get("deprecates_package") for p in records["packages"]}
    loner, removable = [p for p in records["packages"] if not p["grids"] and p["id"] not in referenced
                        and not (p["extra"] or {}).get("deprecates_package")][:2]

    def stars(r: Records) -> None:
        next(p for p in r["packages"] if p["id"] == member["id"])["repo_watchers"] += 7

    def rename(r: Records) -> None:
        p = next(p for p in r["packages"] if p["id"] == loner["id"])
        p["slug"] = p["slug"] + "-renamed"
        p["title"] = p["title"] + " Renamed"

    def remove(r: Records) -> None:
        r["packages"] = [p for p in r["packages"] if p["id"] != removable["id"]]

    def add(r: Records) -> None:
        new = dict(r["packages"][0], id=max(p["id"] for p in r["packages"]) + 1, slug="brand-new-package",
                   title="Brand New Package", grids=[])
        if new["extra"]:
            new["extra"] = dict(new["extra"], deprecates_package=None)
        r["packages"].append(new)

    def grid_title(r: Records) -> None:
        r["grids"][0]["title"] += " (renamed)"

    def modified(r: Records) -> None:  # shown by the sitemaps only (and the package's own files)
        next(p for p in r["packages"] if p["id"] == loner["id"])["modified"] = "2031-02-03T04:05:06-05:00"

    def category(r: Records) -> None:
        r["categories"][0]["description"] += " More words."

    for change in (stars, rename, remove, add, grid_title, modified, category):
        before = project.files()
        project.edit(change)
        result = project.build()
        assert result.parts_kept > result.parts_run, change.__name__
        assert project.fresh_differences() == [], change.__name__
        assert_only_changed_files_touched(before, project.files())
    assert project.build().skipped  # the state records every file as it is (the no-op check)

    assert not (project.site / "packages" / "p" / loner["slug"]).exists()
    assert (project.site / "packages" / "p" / f"{loner['slug']}-renamed" / "index.html").is_file()
    assert not (project.site / "api" / "v4" / "packages" / f"{loner['slug']}.json").exists()
    assert not (project.site / "packages" / "p" / removable["slug"]).exists()
    assert not (project.site / "api" / "v4" / "packages" / f"{removable['id']}.json").exists()
    assert (project.site / "api" / "v4" / "packages" / "brand-new-package.json").is_file()


def test_a_page_of_the_whole_snapshot_runs_only_when_what_it_shows_changes(project: Project) -> None:
    """The sitemaps, the category list and the grid list show no stars: a stars change leaves them."""
    member = _package_in_a_grid(project.records())
    project.edit(lambda r: None)  # the snapshot as write_snapshot writes it (its manifest is in every page)
    project.build()
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(repo_watchers=77_777))
    ran = set(project.build().parts_ran)
    assert {"pages/home", "search"} <= ran
    assert not {"pages/sitemaps", "pages/categories", "pages/grids"} & ran
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(
        modified="2031-02-03T04:05:06-05:00"))
    ran = set(project.build().parts_ran)
    assert "pages/sitemaps" in ran and not {"pages/categories", "pages/grids"} & ran
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(category=2))
    ran = set(project.build().parts_ran)
    assert "pages/categories" in ran and "pages/grids" not in ran
    assert project.fresh_differences() == []


def test_one_changed_package_rewrites_its_files_and_the_lists_that_show_it(project: Project) -> None:
    member = _package_in_a_grid(project.records())
    project.edit(lambda r: r["grids"][-1].update(title="Warm-up"))
    project.build()  # a second build leaves a spare tree, which the next one brings up to date
    assert spare_path(project.site).is_dir()
    before = project.files()
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(repo_watchers=99_999))
    project.build()
    after = project.files()
    changed = {p for p in before if before[p][0] != after.get(p, ("",))[0]}
    assert f"packages/p/{member['slug']}/index.html" in changed
    assert f"api/v4/packages/{member['id']}.json" in changed
    assert any(p.startswith("grids/g/") for p in changed)
    assert not any(p.startswith("packages/p/") and member["slug"] not in p for p in changed)
    assert project.fresh_differences() == []


def test_a_template_change_reruns_only_the_pages_that_use_it(project: Project) -> None:
    template = project.templates / "package.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}<!-- changed -->", 1), encoding="utf-8")
    result = project.build()
    buckets = {p["id"] % BUCKETS for p in project.records()["packages"]}
    assert result.parts_run == len(buckets)
    assert all(name.startswith("pages/package/") for name in result.parts_ran)
    assert project.fresh_differences() == []
    page = next((project.site / "packages" / "p").iterdir()) / "index.html"
    assert "<!-- changed -->" in page.read_text(encoding="utf-8")
    # The search part was kept: its note about the rows behind the answers is kept with it, so
    # the next data change can still tell which answers it touches.
    from builder.output import read_state

    memo = read_state(project.site).memo
    assert "search" in memo and memo["search"]["rows"]


def test_a_static_change_reruns_the_pages_but_not_the_api(project: Project) -> None:
    with (project.static / "site.css").open("a", encoding="utf-8") as handle:
        handle.write("\n/* changed */\n")
    result = project.build()
    assert result.parts_ran and not any(name.startswith("api/") for name in result.parts_ran)
    assert project.fresh_differences() == []


@pytest.mark.parametrize("jobs", [1, 2])  # with 2, the spare is checked in a forked process
def test_a_spare_changed_behind_the_builds_back_is_not_trusted(project: Project, jobs: int) -> None:
    project.edit(lambda r: r["grids"][-1].update(title="Warm-up"))
    project.build(jobs)
    spare = spare_path(project.site)
    victim = spare / "robots.txt"
    victim.write_text("tampered")
    project.edit(lambda r: r["grids"][0].update(title="Another title"))
    project.build(jobs)
    assert project.fresh_differences() == []


def test_parts_are_kept_comparing_only_the_files_of_the_parts_the_last_build_ran(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere the live tree records what the spare records; unless the spare's state file is not
    the one the live tree was built after: then every kept file is compared."""
    asked: list[str] = []  # the files the keep step compared (parts the main process runs compare theirs)
    keeping: list[bool] = []
    differing, keep_parts = FileTable.differing, SiteWriter.keep_parts

    def recorded(self: FileTable, rels: list[str], other: FileTable) -> list[str]:
        if keeping:
            asked.extend(rels)
        return differing(self, rels, other)

    def keep_recorded(self: SiteWriter, keys: dict[str, str]) -> set[str]:
        keeping.append(True)
        try:
            return keep_parts(self, keys)
        finally:
            keeping.pop()

    monkeypatch.setattr(FileTable, "differing", recorded)
    monkeypatch.setattr(SiteWriter, "keep_parts", keep_recorded)
    packages = project.records()["packages"]
    one, other = packages[0]["id"], next(p["id"] for p in packages if p["id"] % BUCKETS != packages[0]["id"] % BUCKETS)

    def stars(package_id: int, count: int) -> None:
        project.edit(lambda r: next(p for p in r["packages"] if p["id"] == package_id).update(repo_watchers=count))

    for count, package_id in enumerate((one, other, one)):  # the manifest as write_snapshot writes it; a spare
        stars(package_id, 1000 + count)
        project.build()
    for replaced in (False, True):
        stars(other, 2000 + replaced)  # the parts that showed `one` are kept, and differ from the spare
        before = read_state(project.site).live
        part_of = {rel: entry.part for rel, entry in before.files.items() if entry}
        if replaced:  # the same record in another file
            copy = spare_state_path(project.site).with_suffix(".copy")
            shutil.copyfile(spare_state_path(project.site), copy)
            copy.replace(spare_state_path(project.site))
        asked.clear()
        result = project.build()
        compared = {part_of[rel] for rel in asked}
        assert compared - set(result.parts_ran), "kept parts' files compared"
        assert (compared <= before.ran) != replaced, sorted(compared - before.ran)[:5]
        assert project.fresh_differences() == []
        stars(one, 3000 + replaced)
        project.build()


def test_a_build_that_fails_half_way_leaves_the_site_and_the_next_build_whole(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.edit(lambda r: r["grids"][-1].update(title="Warm-up"))
    project.build()  # leaves a spare
    before = project.files()
    project.edit(lambda r: r["grids"][0].update(title="Half way"))

    from builder import render_pages

    original = render_pages.grid_page

    def failing(site, grid_id):  # noqa: ANN001, ANN202
        yield from original(site, grid_id)
        raise RuntimeError("disk full")

    monkeypatch.setattr(render_pages, "PAGES", [
        replace(f, render=failing) if f.render is original else f for f in render_pages.PAGES])
    with pytest.raises(RuntimeError, match="disk full"):
        project.build(jobs=1)
    assert project.files() == before
    monkeypatch.undo()
    project.build()
    assert project.fresh_differences() == []
    assert os.stat(project.site).st_mode & 0o755 == 0o755


def test_a_part_with_one_touched_file_runs_again_and_the_old_tree_is_not_written_through(project: Project) -> None:
    # The first incremental build links every kept file from the live tree into a new one. The
    # static files' part has its key unchanged; its last file was replaced by hand, so taking
    # the part over fails after its other files were linked: the part runs, and must not write
    # through those links into the live tree.
    live = project.site / "static" / "site.css"
    replacement = live.with_name("site.css.new")
    replacement.write_text("touched by hand")
    replacement.replace(live)
    old_tree = project.files()
    project.edit(lambda r: r["grids"][0].update(title="Another title"))
    result = project.build()
    assert "pages/static" in result.parts_ran
    assert project.fresh_differences() == []
    spare = spare_path(project.site)  # the old live tree: none of its files was written to
    for path, (digest, inode, mtime) in old_tree.items():
        st = (spare / path).stat()
        assert (st.st_ino, st.st_mtime_ns) == (inode, mtime), path
        assert hashlib.sha256((spare / path).read_bytes()).hexdigest() == digest, path


@pytest.mark.parametrize(("field", "damaged"), [
    ("rows", "not a packed memo"),
    ("shown", {"terms": ["django"], "counts": "AQ==", "places": "eJxzcOJnAAAB6ACS"}),  # a place past the rows
])
def test_a_damaged_search_memo_makes_the_build_answer_every_term(project: Project, field: str, damaged: object) -> None:
    """The state's search memo tells which answers a change leaves as they are; one this code
    cannot read is not trusted: every term is answered again, and the tree is still right."""
    path = state_path(project.site)
    state = orjson.loads(path.read_bytes())
    assert state["memo"]["search"][field]
    state["memo"]["search"][field] = damaged
    path.write_bytes(orjson.dumps(state))
    before = project.files()
    project.edit(lambda r: r["packages"][0].update(title="Renamed for the search"))
    assert "api/v4/search" in project.build().parts_ran
    assert project.fresh_differences() == []
    assert_only_changed_files_touched(before, project.files())


def _search_memo_answers(site: Path) -> dict[str, bytes]:
    """term -> the answer the state's search memo says the live tree has for it."""
    from builder.api.search_memo import Shown, unpack_lines
    from builder.api.search_text import row_body
    from builder.model import SearchRow

    memo = orjson.loads(state_path(site).read_bytes())["memo"]["search"]
    rows = [SearchRow(**orjson.loads(line)) for line in unpack_lines(memo["rows"])]
    shown = Shown.unpack(memo["shown"])
    return {t: b"[" + b",".join(row_body(rows[p]) for p in shown.of(t).tolist()) + b"]" for t in shown.terms}


def test_the_search_memo_tells_the_rows_of_every_live_answer(project: Project) -> None:
    """Across changes, the memo's rows of each answer are those of the live file, so a row that
    changed in what answers show is put in exactly the answers that show it."""
    from builder.api import layout

    records = project.records()
    member = _package_in_a_grid(records)
    referenced = {(p["extra"] or {}).get("deprecates_package") for p in records["packages"]}
    loner = next(p for p in records["packages"] if not p["grids"] and p["id"] not in referenced
                 and not (p["extra"] or {}).get("deprecates_package"))
    edits = [
        lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(repo_watchers=123_456),
        lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(title="Django Shown Rows"),
        lambda r: r.update(packages=[p for p in r["packages"] if p["id"] != loner["id"]]),
        lambda r: r["packages"][5].update(repo_forks=4242),
    ]
    for n, edit in enumerate(edits):
        project.edit(edit)
        result = project.build()
        assert "api/v4/search" in result.parts_ran, n
        expected = _search_memo_answers(project.site)
        assert len(expected) > 100 and sum(len(a) > 2 for a in expected.values()) > 50
        for term, answer in expected.items():
            assert (project.site / layout.search_term_file(term)).read_bytes() == answer, (n, term)
    assert project.fresh_differences() == []


def test_a_touched_answer_that_shows_a_changed_row_is_answered_again(project: Project) -> None:
    """A row changed in shown fields is patched into the live answers that show it; one of them
    edited (or removed) behind the build's back is answered afresh instead."""
    from builder.api import layout
    from builder.api.search_memo import Shown, unpack_lines

    member = _package_in_a_grid(project.records())
    memo = orjson.loads(state_path(project.site).read_bytes())["memo"]["search"]
    place = next(i for i, line in enumerate(unpack_lines(memo["rows"])) if orjson.loads(line)["slug"] == member["slug"])
    showing = sorted(Shown.unpack(memo["shown"]).showing(place))
    assert len(showing) >= 2
    (project.site / layout.search_term_file(showing[0])).write_bytes(b"[]")
    (project.site / layout.search_term_file(showing[1])).unlink()
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(repo_watchers=77_777))
    assert "api/v4/search" in project.build().parts_ran
    assert project.fresh_differences() == []
    assert b"77777" in (project.site / layout.search_term_file(showing[0])).read_bytes()


def test_a_touched_answer_that_no_change_reaches_is_answered_again(project: Project) -> None:
    """An answer no changed row is in is taken over as it is, unless it was edited (or removed)
    behind the build's back: then it is answered afresh."""
    from builder.api import layout
    from builder.api.search_memo import Shown, unpack_lines

    member = _package_in_a_grid(project.records())
    memo = orjson.loads(state_path(project.site).read_bytes())["memo"]["search"]
    place = next(i for i, line in enumerate(unpack_lines(memo["rows"])) if orjson.loads(line)["slug"] == member["slug"])
    shown = Shown.unpack(memo["shown"])
    others = [t for t in shown.terms if t not in shown.showing(place) and shown.of(t)][:2]
    assert len(others) == 2
    before = (project.site / layout.search_term_file(others[0])).read_bytes()
    (project.site / layout.search_term_file(others[0])).write_bytes(b"[]")
    (project.site / layout.search_term_file(others[1])).unlink()
    project.edit(lambda r: next(p for p in r["packages"] if p["id"] == member["id"]).update(repo_watchers=77_777))
    assert "api/v4/search" in project.build().parts_ran
    assert project.fresh_differences() == []
    assert (project.site / layout.search_term_file(others[0])).read_bytes() == before
