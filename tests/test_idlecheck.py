"""The spare's check done between a resident process's builds (builder/idlecheck.py)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from builder import idlecheck, output
from builder.build import Resident, build, compare_trees
from builder.settings import ROOT, Settings, load_settings
from tests.test_watch import _edit_package

if not sys.platform.startswith("linux"):
    pytest.skip("inotify is Linux's", allow_module_level=True)


def _spare_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The spares a build checks file by file (with one job the writer checks them itself)."""
    calls: list[Path] = []
    real = output.spare_problems
    monkeypatch.setattr(output, "spare_problems", lambda root, tree: calls.append(root) or real(root, tree))
    return calls


@pytest.fixture
def resident() -> Iterator[Resident]:
    with Resident() as kept:
        yield kept


def _resident_builds(tmp_path: Path, resident: Resident) -> Settings:
    """Two builds in a resident process: the output has a live tree and a spare."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data, output_dir=tmp_path / "site")
    for stars in (1111, 2222):
        _edit_package(data, "django-select2", repo_watchers=stars)
        build(settings, jobs=1, resident=resident)
    return settings


def _inotify_watches() -> int:
    """Watches this process holds (each inotify instance lists its own in /proc)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify":
                info = Path(f"/proc/self/fdinfo/{fd}").read_text()
                count += sum(line.startswith("inotify wd:") for line in info.splitlines())
        except OSError:  # the listing's own fd, gone by now
            continue
    return count


def _the_next_build_checks_the_spare(settings: Settings, resident: Resident, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path, stars: int) -> None:
    """A package edited, a resident build: it checks the spare itself, and builds a fresh build's tree."""
    checks = _spare_checks(monkeypatch)
    _edit_package(settings.data_dir, "django-select2", repo_watchers=stars)
    build(settings, jobs=1, resident=resident)
    assert checks == [output.spare_path(settings.output_dir)]
    assert _same_as_fresh(settings, tmp_path) == []


def _same_as_fresh(settings: Settings, tmp_path: Path) -> list[str]:
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    build(load_settings(data_dir=settings.data_dir, output_dir=fresh), jobs=1, force=True)
    return compare_trees(fresh, settings.output_dir)


def test_a_resident_build_trusts_the_spare_it_checked_while_idle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident) -> None:
    settings = _resident_builds(tmp_path, resident)
    checks = _spare_checks(monkeypatch)
    folders = {str(p) for site in (settings.output_dir, output.spare_path(settings.output_dir))
               for p in (site, *site.rglob("*")) if p.is_dir()}
    for stars in (3333, 4444):  # and again after a build whose spare was vouched for
        assert resident.idle.wait()
        assert _inotify_watches() == len(folders)  # every folder of both trees, once
        _edit_package(settings.data_dir, "django-select2", repo_watchers=stars)
        result = build(settings, jobs=1, resident=resident)
        assert checks == []
        assert 0 < result.parts_run < result.parts_run + result.parts_kept
        assert _same_as_fresh(settings, tmp_path) == []


def _rewrite_in_place(path: Path) -> None:
    """Other bytes of the same size in the same file (an inode the two trees may share)."""
    data = path.read_bytes()
    with open(path, "r+b") as handle:
        handle.write(data.replace(b"<", b"[", 1))


def _edit_spare(site: Path) -> None:
    _rewrite_in_place(output.spare_path(site) / "about" / "index.html")


def _edit_live(site: Path) -> None:
    _rewrite_in_place(site / "about" / "index.html")


def _add_to_live(site: Path) -> None:
    (site / "about" / "notes.txt").write_text("a file made by hand")


def _remove_from_spare(site: Path) -> None:
    os.unlink(output.spare_path(site) / "faq" / "index.html")


@pytest.mark.parametrize("change", [_edit_spare, _edit_live, _add_to_live, _remove_from_spare])
def test_a_change_to_either_tree_while_idle_makes_the_next_build_check_the_spare(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident, change: Callable[[Path], None]) -> None:
    settings = _resident_builds(tmp_path, resident)
    assert resident.idle.wait()
    page = settings.output_dir / "about" / "index.html"
    assert os.stat(page).st_ino == os.stat(output.spare_path(settings.output_dir) / "about" / "index.html").st_ino
    change(settings.output_dir)
    _the_next_build_checks_the_spare(settings, resident, monkeypatch, tmp_path, 3333)


def test_a_build_that_comes_before_the_idle_check_ends_checks_the_spare(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident) -> None:
    real = idlecheck.files_not_as_recorded

    def slow(root: Path, recorded: object):  # noqa: ANN202
        time.sleep(0.05)
        return real(root, recorded)

    monkeypatch.setattr(idlecheck, "files_not_as_recorded", slow)
    monkeypatch.setattr(idlecheck, "CHECK_STOP_EVERY", 10)
    settings = _resident_builds(tmp_path, resident)
    checks = _spare_checks(monkeypatch)
    _edit_package(settings.data_dir, "django-select2", repo_watchers=3333)
    started = time.monotonic()
    build(settings, jobs=1, resident=resident)
    assert checks == [output.spare_path(settings.output_dir)]
    assert time.monotonic() - started < 5  # the idle check stopped, not waited for to its end
    assert _same_as_fresh(settings, tmp_path) == []


def test_without_inotify_every_build_checks_the_spare(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident) -> None:
    monkeypatch.setitem(sys.modules, "inotify_simple", None)  # importing it raises ImportError
    settings = _resident_builds(tmp_path, resident)
    assert not resident.idle.wait()
    _the_next_build_checks_the_spare(settings, resident, monkeypatch, tmp_path, 3333)


def test_the_folders_watched_are_every_folder_of_the_recorded_files(tmp_path: Path, resident: Resident) -> None:
    settings = _resident_builds(tmp_path, resident)
    resident.idle.wait()  # the state is written
    site = settings.output_dir
    live = output.read_state(site).live
    on_disk = {str(site)} | {str(p) for p in site.rglob("*") if p.is_dir()}
    assert idlecheck._folders(site, live) == on_disk


def test_a_change_made_before_the_trees_are_watched_is_found_by_the_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident) -> None:
    settings = _resident_builds(tmp_path, resident)
    assert resident.idle.wait()
    real = idlecheck._folders
    edited: list[Path] = []

    def edit_then_list(root: Path, tree: output.Tree) -> set[str]:
        if not edited:  # between the build's swap and the watch
            edited.append(root)
            _edit_spare(settings.output_dir)
        return real(root, tree)

    monkeypatch.setattr(idlecheck, "_folders", edit_then_list)
    _edit_package(settings.data_dir, "django-select2", repo_watchers=3333)
    build(settings, jobs=1, resident=resident)
    assert not resident.idle.wait() and edited
    assert _inotify_watches() == 0  # a check that failed gives its watches back at once
    _the_next_build_checks_the_spare(settings, resident, monkeypatch, tmp_path, 4444)


def test_a_resident_build_returns_with_its_tree_live_and_the_next_waits_for_its_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: Resident) -> None:
    settings = _resident_builds(tmp_path, resident)
    resident.idle.wait()
    real = output.write_file_atomic
    monkeypatch.setattr(output, "write_file_atomic", lambda path, chunks: time.sleep(0.5) or real(path, chunks))
    _edit_package(settings.data_dir, "django-select2", repo_watchers=3333)
    build(settings, jobs=1, resident=resident)
    assert "3333" in (settings.output_dir / "api" / "v4" / "packages" / "django-select2.json").read_text()
    assert not output.state_path(settings.output_dir).exists()  # written meanwhile
    _edit_package(settings.data_dir, "django-select2", repo_watchers=4444)
    result = build(settings, jobs=1, resident=resident)
    assert result.parts_kept > 0  # it found the state of the build before
    assert _same_as_fresh(settings, tmp_path) == []


def test_no_folder_is_watched_beyond_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                resident: Resident) -> None:
    monkeypatch.setattr(idlecheck, "watch_budget", lambda: 10)  # fewer than the sample's folders
    settings = _resident_builds(tmp_path, resident)
    assert not resident.idle.wait()
    assert _inotify_watches() == 0
    _the_next_build_checks_the_spare(settings, resident, monkeypatch, tmp_path, 3333)


def test_the_watch_budget_is_a_quarter_of_the_users_watches() -> None:
    limit = int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    assert idlecheck.watch_budget() == limit // 4
