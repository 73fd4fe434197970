"""builder.output: the check of the spare tree, made in a forked process while the snapshot loads."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from builder import output
from builder.build import build
from builder.errors import BuildError, SnapshotError
from builder.output import SpareCheck, read_spare, read_state, spare_path, spare_problems
from builder.settings import load_settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built twice (the second time forced), so that it has a spare tree."""
    out = tmp_path_factory.mktemp("built") / "site"
    build(load_settings(output_dir=out), jobs=1)
    build(load_settings(output_dir=out), jobs=1, force=True)
    return out


def _spoil(out: Path) -> tuple[str, str]:
    """Change one file of the spare and remove another; return their paths."""
    spare = spare_path(out)
    state = read_state(out)
    changed, missing = sorted(state.spare.files)[:2]
    (spare / changed).unlink()  # never write through a link: the live tree may share the inode
    (spare / changed).write_text("changed behind the build's back")
    (spare / missing).unlink()
    return changed, missing


def test_the_forked_check_finds_what_a_check_here_finds(built: Path) -> None:
    changed, missing = _spoil(built)
    state = read_state(built)
    expected = spare_problems(spare_path(built), state.spare)
    assert expected == ([missing], [changed])
    check = SpareCheck(built, state)
    assert check.result() == expected


def test_a_check_whose_process_dies_is_made_here(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = read_state(built)
    parent, original = os.getpid(), output.spare_problems

    def dying(root: Path, tree: output.Tree) -> tuple[list[str], list[str]]:
        if os.getpid() != parent:
            os._exit(3)
        return original(root, tree)

    monkeypatch.setattr(output, "spare_problems", dying)
    assert SpareCheck(built, state).result() == original(spare_path(built), state.spare)


def test_no_spare_no_check(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_settings(output_dir=out), jobs=1)  # a first build: no spare yet
    check = SpareCheck(out, read_state(out))
    assert check.tree is None and check.result() == ([], [])


@pytest.mark.parametrize(("path", "normal"), [
    ("index.html", "index.html"), ("api/v4/search/q/é ü.json", "api/v4/search/q/é ü.json"),
    (".well-known/x", ".well-known/x"), ("a/.hidden", "a/.hidden"), ("a..b/c", "a..b/c"),
    ("a/./b", "a/b"), ("./a", "a"), ("a/", "a"), ("a//b", "a/b"),
])
def test_site_paths_in_their_normal_form(path: str, normal: str) -> None:
    assert output.check_site_path(path) == normal


@pytest.mark.parametrize("path", ["", ".", "..", "../x", "a/../b", "a/..", "/etc/passwd"])
def test_site_paths_that_leave_the_folder_are_refused(path: str) -> None:
    with pytest.raises(output.BuildError, match="outside the site folder"):
        output.check_site_path(path)


def test_a_build_that_fails_stops_the_check(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input, with a spare and two jobs: the check started for the spare is stopped, and
    no process is left behind."""
    closed, original = [], SpareCheck.close

    def close(self: SpareCheck) -> None:
        closed.append(self._process is not None)
        original(self)

    monkeypatch.setattr(SpareCheck, "close", close)
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}", encoding="utf-8")
    assert read_state(built).spare is not None
    with pytest.raises(SnapshotError):
        build(load_settings(data_dir=data, output_dir=built), jobs=2)
    assert closed == [True]  # a running check was stopped
    assert multiprocessing.active_children() == []


def test_the_spare_state_is_the_last_live_state_and_is_gone_while_the_spare_changes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_settings(output_dir=out), jobs=1)
    first = read_state(out)
    build(load_settings(output_dir=out), jobs=1, force=True)
    spare = read_spare(out)
    assert spare is not None and spare.dir_id == output._dir_id(spare_path(out))
    assert (spare.files.to_json(), spare.parts) == (first.live.files.to_json(), first.live.parts)
    # A writer that brings the spare up to date first stops its state from vouching for it.
    writer = output.SiteWriter(out)
    assert not output.spare_state_path(out).exists()
    writer.abort()
    assert read_spare(out) is None and read_state(out).live.files  # the live state stays


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built once: its live tree is checked, spoiled and restored by the tests below."""
    out = tmp_path_factory.mktemp("live") / "site"
    build(load_settings(output_dir=out), jobs=1)
    return out


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample site is small: check it in two processes all the same."""
    monkeypatch.setattr(output, "SPLIT_INTACT_AT", 2)


def _touched(out: Path, rel: str) -> bool:
    """Whether the live tree is intact (two processes) with rel's mtime moved; then put back."""
    path, state = out / rel, read_state(out, spare=False)
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before + 10**9, before + 10**9))
    try:
        return state.output_intact(out, jobs=2)
    finally:
        os.utime(path, ns=(before, before))


def _one_of_each_half(out: Path) -> tuple[str, str]:
    """A file this process checks and one the forked process checks (neither a hard link to
    another file, whose mtime would move with it)."""
    files = [rel for rel, _, _ in read_state(out, spare=False).live.files.sizes_and_mtimes()]
    here, there = (next(rel for rel in files[start::2] if (out / rel).stat().st_nlink == 1) for start in (0, 1))
    return here, there


@pytest.mark.usefixtures("split")
def test_the_live_tree_checked_in_two_processes(live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forked, fork = [], os.fork

    def recorded_fork() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded_fork)
    state = read_state(live, spare=False)
    assert state.output_intact(live, jobs=2) and state.output_intact(live, jobs=1)
    here, there = _one_of_each_half(live)
    assert not _touched(live, here)  # checked by this process
    assert not _touched(live, there)  # checked by the forked one
    (live / there).rename(live / "moved-away")
    try:
        assert not state.output_intact(live, jobs=2)
    finally:
        (live / "moved-away").rename(live / there)
    assert state.output_intact(live, jobs=2)
    assert forked
    for pid in forked:  # each forked checker was waited for (other tests' processes may live on)
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.usefixtures("split")
def test_a_checker_that_dies_leaves_its_files_to_this_process(live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent, original = os.getpid(), output._not_as_recorded

    def dying(*args: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        return original(*args)

    monkeypatch.setattr(output, "_not_as_recorded", dying)
    state = read_state(live, spare=False)
    _, there = _one_of_each_half(live)
    assert state.output_intact(live, jobs=2)
    assert not _touched(live, there)


@pytest.mark.usefixtures("split")
def test_no_process_to_fork_means_every_file_is_checked_here(live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    state = read_state(live, spare=False)
    _, there = _one_of_each_half(live)
    assert state.output_intact(live, jobs=2)
    assert not _touched(live, there)


def test_unchanged_files_are_taken_over_made_when_touched_and_claimed_once(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_settings(output_dir=out), jobs=1)
    build(load_settings(output_dir=out), jobs=1, force=True)  # a spare
    live = read_state(out).live.files
    pages = sorted(rel for rel in live if rel.endswith(".html"))[:3]
    before = {rel: (out / rel).read_bytes() for rel in pages}
    (out / pages[1]).write_bytes(b"edited by hand")
    rendered: list[int] = []

    def render(i: int) -> bytes:
        rendered.append(i)
        return before[pages[i]]

    with output.SiteWriter(out) as writer:
        writer.keep_parts({})
        writer.take_unchanged(output.Unchanged(pages, render), "a part")
        with pytest.raises(BuildError, match="two outputs claim the same file"):
            writer.take_unchanged(output.Unchanged(pages[:1], render), "another part")
        with pytest.raises(BuildError, match="two outputs claim the same file"):
            writer.write(pages[2], b"again", "another part")
    assert rendered == [1]  # only the touched one was made again
    assert {rel: (out / rel).read_bytes() for rel in pages} == before
    new = read_state(out).live.files
    assert all(new[rel].part == "a part" for rel in pages)
    assert new[pages[0]].hash == live[pages[0]].hash and os.stat(out / pages[0]).st_nlink == 2


def test_a_note_already_encoded_is_written_as_the_value_it_encodes() -> None:
    import orjson

    note = {"code": "ab", "terms": ["é", "a\nb"], "counts": [1, 2]}
    encoded = output.memo_json({"search": orjson.dumps(note), "lines": {"code": "cd"}})
    assert orjson.loads(encoded) == {"search": note, "lines": {"code": "cd"}}
    assert encoded == output.memo_json({"search": note, "lines": {"code": "cd"}})
    assert encoded == orjson.dumps({"search": orjson.Fragment(orjson.dumps(note)), "lines": {"code": "cd"}})
    state = output.BuildState("inputs", output.Tree(), None, {"search": orjson.dumps(note), "lines": {"code": "cd"}})
    assert b"".join(state.json_chunks()) == b"".join(state.json_chunks(encoded))  # a note at a time, or joined
    assert orjson.loads(b"".join(state.json_chunks()))["memo"] == {"search": note, "lines": {"code": "cd"}}
