"""`serve --watch`: the inputs' signature, the watch loop, and the edit-and-preview loop end to end
(a real server on 127.0.0.1 and real builds in their own processes)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from builder import output
from builder.build import Resident, build, compare_trees
from builder.settings import ROOT, load_settings
from builder.watch import BuildProcess, InputEvents, input_signature, watch


def _bump(path: Path, text: str) -> None:
    """Write text with an mtime a second later than the file had (coarse clocks tell it apart)."""
    before = path.stat().st_mtime_ns if path.exists() else time.time_ns()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_the_signature_changes_with_any_file_and_only_then(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text("1\n", encoding="utf-8")
    settings = tmp_path / "site.yml"
    settings.write_text("title: x\n", encoding="utf-8")
    roots = [settings, tmp_path / "data", tmp_path / "missing"]
    first = input_signature(roots)
    assert [Path(p).name for p, _, _ in first] == ["site.yml", "a.jsonl"]
    assert input_signature(roots) == first
    _bump(tmp_path / "data" / "a.jsonl", "2\n")
    second = input_signature(roots)
    assert second != first
    (tmp_path / "data" / "sub").mkdir()
    _bump(tmp_path / "data" / "sub" / "b.html", "<p>")
    assert len(input_signature(roots)) == 3
    _bump(settings, "title: y\n")
    assert input_signature(roots)[0] != second[0]


def test_a_burst_of_writes_is_one_rebuild_and_stop_ends_the_loop(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("0", encoding="utf-8")
    calls: list[tuple] = []
    stop = threading.Event()
    loop = threading.Thread(target=watch, args=(lambda: input_signature([tmp_path]),
                                                lambda: calls.append(input_signature([tmp_path])), stop, 0.3))
    loop.start()
    try:
        time.sleep(0.5)
        assert calls == []  # nothing changed
        for i in range(3):  # three writes in quick succession: one rebuild, once they are done
            _bump(target, str(i + 1))
            time.sleep(0.02)
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        assert calls == [input_signature([tmp_path])]  # once, and after the last write
        _bump(tmp_path / "b.txt", "new file")
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(calls) == 2
    finally:
        stop.set()
        loop.join(timeout=5)
    assert not loop.is_alive()


def _calls_within(calls: list, count: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(calls) >= count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_reported_changes_are_looked_at_at_once_and_a_burst_is_one_rebuild(tmp_path: Path) -> None:
    """With a poll of 30 s, only the kernel's reports can make the loop look within a second;
    a folder added under a watched one is watched too."""
    target = tmp_path / "a.txt"
    target.write_text("0", encoding="utf-8")
    events = InputEvents.of([tmp_path])
    assert events is not None
    calls: list[tuple] = []
    stop = threading.Event()
    loop = threading.Thread(target=watch, args=(lambda: input_signature([tmp_path]),
                                                lambda: calls.append(input_signature([tmp_path])), stop, 30,
                                                events.wait))
    loop.start()
    try:
        time.sleep(0.3)
        assert calls == []
        for i in range(3):  # three writes in quick succession: one rebuild, once they are done
            _bump(target, str(i + 1))
            time.sleep(0.005)
        assert _calls_within(calls, 1, 1.0)
        time.sleep(0.3)
        assert calls == [input_signature([tmp_path])]  # once, and after the last write
        (tmp_path / "sub").mkdir()  # no file: the signature is the same, no rebuild
        time.sleep(0.3)
        _bump(tmp_path / "sub" / "b.txt", "in the new folder")
        assert _calls_within(calls, 2, 1.0)
        assert calls[-1] == input_signature([tmp_path])
    finally:
        stop.set()
        _bump(target, "stop")  # a report ends the wait at once
        loop.join(timeout=35)
        events.close()
    assert not loop.is_alive()


def test_without_inotify_there_are_no_reports_and_the_loop_polls(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "inotify_simple", None)
    assert InputEvents.of([tmp_path]) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_no_watch_to_be_had_means_no_reports_and_nothing_left_open(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    import inotify_simple

    def refuse(self: object, path: object, mask: int) -> int:
        raise OSError(28, "No space left on device")  # the user's watches are all taken

    monkeypatch.setattr(inotify_simple.INotify, "add_watch", refuse)
    opened: list = []
    real = inotify_simple.INotify.__init__
    monkeypatch.setattr(inotify_simple.INotify, "__init__",
                        lambda self, *a, **k: opened.append(self) or real(self, *a, **k))
    assert InputEvents.of([tmp_path]) is None
    assert len(opened) == 1 and opened[0].closed


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _page_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        parser = _Text()
        parser.feed(response.read().decode("utf-8"))
    return " ".join(" ".join(parser.parts).split())


def _wait_for(condition, what: str, seconds: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _edit_package(data: Path, slug: str, **fields: object) -> None:
    path = data / "packages.jsonl"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("{not json"):
            continue  # the bad line a test added
        record = json.loads(line)
        if record["slug"] == slug:
            record.update(fields)
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        lines.append(line)
    _bump(path, "".join(lines))


def test_serve_watch_rebuilds_on_an_edit_and_keeps_serving_through_a_bad_one(tmp_path: Path) -> None:
    data, site = tmp_path / "data", tmp_path / "site"
    shutil.copytree(ROOT / "data", data)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--watch", "--port", "0", "--data", str(data),
         "--site", str(site)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def said(text: str) -> bool:
        while not lines.empty():
            seen.append(lines.get())
        return any(text in line for line in seen)

    try:
        _wait_for(lambda: said("Serving on http://127.0.0.1:"), "the server")
        base = next(line for line in seen if "Serving on" in line).split()[2].rstrip("/")
        page = f"{base}/packages/p/django-select2/"
        assert "This is a Django integration for Select2" in _page_text(page)

        _edit_package(data, "django-select2", repo_description="Edited while the preview runs")
        _wait_for(lambda: "Edited while the preview runs" in _page_text(page), "the edit on the page")

        good = (data / "packages.jsonl").read_text(encoding="utf-8")
        _bump(data / "packages.jsonl", good + "{not json\n")
        _wait_for(lambda: said("malformed JSON"), "the build's error")
        assert any("packages.jsonl" in line for line in seen if "malformed JSON" in line)
        assert "Edited while the preview runs" in _page_text(page)  # the last good site, still served
        assert proc.poll() is None

        _edit_package(data, "django-select2", repo_description="And fixed again")  # drops the bad line
        _wait_for(lambda: "And fixed again" in _page_text(page), "the fix on the page")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


def test_a_resident_build_takes_over_unchanged_records_and_builds_the_same_tree(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data, site, fresh = tmp_path / "data", tmp_path / "site", tmp_path / "fresh"
    shutil.copytree(ROOT / "data", data)
    resident = Resident()
    request.addfinalizer(resident.close)
    build(load_settings(data_dir=data, output_dir=site), jobs=2, resident=resident)
    before = resident.snapshot
    assert before is not None
    _edit_package(data, "django-select2", repo_description="Edited for a resident build", repo_watchers=4321)
    build(load_settings(data_dir=data, output_dir=site), jobs=2, resident=resident)
    after = resident.snapshot
    assert after is not before
    select2 = next(p for p in after.packages.values() if p.slug == "django-select2")
    assert select2 is not before.packages[select2.id] and select2.repo_watchers == 4321
    assert sum(after.packages[i] is before.packages[i] for i in after.packages) == len(after.packages) - 1
    build(load_settings(data_dir=data, output_dir=fresh), jobs=1, force=True)
    assert compare_trees(fresh, site) == []


def test_a_resident_process_keeps_no_more_rows_than_its_trees_have_files(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Each build's record starts as a copy of the live tree's and replaces the files of the
    parts that ran: the rows it leaves unused go when the record is kept for the next build."""
    data, site = tmp_path / "data", tmp_path / "site"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data, output_dir=site)
    resident = Resident()
    request.addfinalizer(resident.close)
    for stars in range(1001, 1007):
        _edit_package(data, "django-select2", repo_watchers=stars)
        build(settings, jobs=2, resident=resident)
        resident.idle.wait()
        for held in (output.state_path(site), output.spare_state_path(site)):
            state = resident.states.recall(held)
            if state is not None:
                files = state.live.files
                assert files.row_count() == len(files._sizes) == len(files), (stars, held.name)


def _held_as_on_disk(held: output.BuildState | None, path: Path) -> bool:
    loaded = output._load_state_file(path)
    assert held is not None and loaded is not None
    on_disk = loaded[1]
    return (held.inputs, held.memo, held.live.dir_id, held.live.parts, sorted(held.live.files.items())) == \
        (on_disk.inputs, on_disk.memo, on_disk.live.dir_id, on_disk.live.parts, sorted(on_disk.live.files.items()))


def test_a_resident_build_reads_the_states_again_only_when_another_build_replaced_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    data, site, fresh = tmp_path / "data", tmp_path / "site", tmp_path / "fresh"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data, output_dir=site)
    reads: list[Path] = []
    load = output._load_state_file
    monkeypatch.setattr(output, "_load_state_file", lambda path: reads.append(path) or load(path))
    resident = Resident()
    request.addfinalizer(resident.close)
    for stars in (1111, 2222, 3333):  # the second build makes the spare; the third has both states held
        _edit_package(data, "django-select2", repo_watchers=stars)
        reads.clear()
        build(settings, jobs=2, resident=resident)
    assert reads == []
    resident.idle.wait()  # the last build's state is written once its tree is live
    memory = resident.states
    assert _held_as_on_disk(memory.recall(output.state_path(site)), output.state_path(site))
    assert _held_as_on_disk(memory.recall(output.spare_state_path(site)), output.spare_state_path(site))
    _edit_package(data, "django-select2", repo_watchers=4444)
    resident.idle.wait()  # the resident process has written its state and waits
    build(settings, jobs=2)  # another process's build replaces both state files
    _edit_package(data, "django-select2", repo_watchers=5555)
    reads.clear()
    build(settings, jobs=2, resident=resident)
    assert sorted(reads) == sorted([output.state_path(site), output.spare_state_path(site)])
    build(load_settings(data_dir=data, output_dir=fresh), jobs=1, force=True)
    assert compare_trees(fresh, site) == []


def test_the_build_process_reports_errors_and_outlives_them(tmp_path: Path) -> None:
    data, site = tmp_path / "data", tmp_path / "site"
    shutil.copytree(ROOT / "data", data)
    builds = BuildProcess(data_dir=data, output_dir=site)
    try:
        ok, message = builds.build()
        assert ok and message.startswith("Built 1382 files")
        good = (data / "packages.jsonl").read_text(encoding="utf-8")
        (data / "packages.jsonl").write_text(good + "{not json\n", encoding="utf-8")
        ok, message = builds.build()
        assert not ok and message.startswith("Error: invalid snapshot") and "packages.jsonl" in message
        (data / "packages.jsonl").write_text(good, encoding="utf-8")
        builds._process.kill()  # a process that died between builds is started again
        builds._process.join()
        ok, message = builds.build()
        assert ok and message.startswith("Nothing changed since the last build"), message
    finally:
        builds.close()
    assert builds._process is None


def test_the_build_process_starts_again_when_the_builders_code_changes(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.watch as watch_module

    assert any(path.endswith("watch.py") for path, _, _ in watch_module.code_signature())
    assert not any("__pycache__" in path for path, _, _ in watch_module.code_signature())
    data, site = tmp_path / "data", tmp_path / "site"
    shutil.copytree(ROOT / "data", data)
    builds = BuildProcess(data_dir=data, output_dir=site)
    try:
        assert builds.build()[0]
        first = builds._process.pid
        assert builds.build()[0] and builds._process.pid == first  # same code: the same process
        edited = (*watch_module.code_signature(), ("builder/edited.py", 1, 1))
        monkeypatch.setattr(watch_module, "code_signature", lambda: edited)
        ok, message = builds.build()
        assert ok and builds._process.pid != first
    finally:
        builds.close()


def test_serve_refuses_data_without_watch(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from build import cli

    result = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2 and "--data is for --watch" in result.output
