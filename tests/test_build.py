"""The build as a whole: the CLI, determinism, incremental reuse, --check, bad input, no network."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from build import cli
from builder.build import LINES_MEMO, build, compare_trees, known_lines
from builder.fsutil import FolderLock
from builder.output import read_state
from builder.settings import load_settings
from builder.snapshot import line_digest
from tests import snapshots

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def _build(tmp: Path, name: str, jobs: int = 1, data: Path = DATA) -> Path:
    out = tmp / name
    build(load_settings(data_dir=data, output_dir=out), jobs=jobs)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("built"), "site", jobs=2)


def test_cli_builds_the_sample_and_says_what_it_did(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", "--out", str(tmp_path / "site"), "--jobs", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Built ") and "python build.py serve" in result.output
    assert (tmp_path / "site" / "packages" / "p" / "django-select2" / "index.html").is_file()
    assert json.loads((tmp_path / "site" / "api" / "v4" / "packages" / "1423.json").read_bytes())["id"] == 1423


def test_same_input_gives_identical_trees_serial_or_parallel(site: Path, tmp_path: Path) -> None:
    assert compare_trees(site, _build(tmp_path, "again", jobs=1)) == []


def test_rebuild_rewrites_nothing_and_drops_stale_files(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    build(load_settings(output_dir=out), jobs=1)  # first build here records the state
    page = out / "packages" / "p" / "django-select2" / "index.html"
    before = page.stat()
    (out / "stale.html").write_text("left over")
    build(load_settings(output_dir=out), jobs=2, force=True)
    after = page.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not (out / "stale.html").exists()


def test_check_reports_each_difference(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    (out / "robots.txt").write_text("changed")
    (out / "extra.txt").write_text("x")
    (out / "404.html").unlink()
    result = CliRunner().invoke(cli, ["build", "--check", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == ["missing: 404.html", "unexpected: extra.txt", "differs: robots.txt"]


def test_bad_input_fails_clearly_and_leaves_site_untouched(site: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    lines = (data / "packages.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["slug"] = "../escape"
    lines[0] = json.dumps(record)
    (data / "packages.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "site"
    shutil.copytree(site, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert f"packages.jsonl:1: package {record['id']} ('../escape'): field 'slug': must be a safe slug" \
        in result.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".data.lock", ".site.lock", "data", "site"]  # no tree left


def test_build_makes_no_network_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access during the build: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _build(tmp_path, "site", jobs=1)


def test_output_folder_is_readable_by_others(site: Path) -> None:
    assert os.stat(site).st_mode & 0o755 == 0o755


def test_unchanged_inputs_skip_the_build_until_an_input_or_the_output_changes(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    runner = CliRunner()
    runner.invoke(cli, ["build", "--out", str(out), "--jobs", "1"], catch_exceptions=False)
    result = runner.invoke(cli, ["build", "--out", str(out)], catch_exceptions=False)
    assert result.output.startswith("Nothing changed since the last build")
    (out / "robots.txt").write_text("tampered")
    result = runner.invoke(cli, ["build", "--out", str(out), "--jobs", "1"], catch_exceptions=False)
    assert result.output.startswith("Built ") and "1 written" in result.output
    assert (out / "robots.txt").read_text() != "tampered"


def test_files_with_the_same_bytes_are_one_file(site: Path) -> None:
    """A package by id and by slug, like search terms with one answer, share an inode (one write)."""
    by_id = site / "api" / "v4" / "packages" / "1423.json"
    by_slug = site / "api" / "v4" / "packages" / "django-select2.json"
    assert by_id.read_bytes() == by_slug.read_bytes()
    assert by_id.stat().st_ino == by_slug.stat().st_ino
    assert by_id.stat().st_nlink == 2


@pytest.mark.parametrize("early", [False, True], ids=["part", "early-part"])
@pytest.mark.parametrize("fault", ["raises", "dies"])
def test_a_failing_worker_fails_the_build_and_leaves_the_site(tmp_path: Path, fault: str, early: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in a part run by a worker, or a worker killed outright, fails the build with a
    message (it does not hang), and the site built before is left as it was; the same for an
    early part (the search answers, started before the others' keys are found)."""
    from builder import build as build_module
    from builder.errors import BuildError

    out = _build(tmp_path, "site", jobs=2)
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    main = os.getpid()

    def broken() -> object:
        if fault == "dies":
            os._exit(3)
        raise BuildError("report: broken on purpose")
        yield

    def dying_in_a_worker(run: Callable[[], Iterator[object]]) -> Callable[[], Iterator[object]]:
        return lambda: run() if os.getpid() == main else broken()

    if early:
        real_early = build_module.stage_early_parts
        monkeypatch.setattr(build_module, "stage_early_parts", lambda module, ctx: [
            build_module.Part(p.name, broken, None) for p in real_early(module, ctx)])
    elif fault == "dies":
        # The main process runs parts too, and must live: every part kills a worker that runs it,
        # and a worker starts at once (no early part holds the other job).
        real = build_module.stage_parts
        monkeypatch.setattr(build_module, "stage_early_parts", lambda module, ctx: [])
        monkeypatch.setattr(build_module, "stage_parts", lambda name, module, ctx: [
            build_module.Part(p.name, dying_in_a_worker(p.run), None) for p in real(name, module, ctx)])
    else:
        real = build_module.stage_parts

        def faulty(name: str, module: object, ctx: object) -> list:
            parts = real(name, module, ctx)
            return [build_module.Part(p.name, broken, None) for p in parts] if name == "report" else parts

        monkeypatch.setattr(build_module, "stage_parts", faulty)
    with pytest.raises(BuildError, match="broken on purpose" if fault == "raises" else "worker died \\(exit code 3\\)"):
        build(load_settings(data_dir=DATA, output_dir=out), jobs=2, force=True)
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before


@pytest.mark.parametrize("resident", [False, True], ids=["fresh", "resident"])
def test_a_part_failing_in_the_main_process_fails_the_build_and_leaves_the_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: bool) -> None:
    """The main process runs parts too: an error in one (every part fails here, wherever it
    runs) fails the build, no worker is left, the site stays as it was, and the next build (of
    the same process, when resident) builds it."""
    import multiprocessing

    from builder import build as build_module
    from builder.errors import BuildError

    out = _build(tmp_path, "site", jobs=2)
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    real = build_module.stage_parts

    def broken() -> object:
        raise BuildError("broken on purpose")
        yield

    monkeypatch.setattr(build_module, "stage_parts", lambda name, module, ctx: [
        build_module.Part(p.name, broken, None) for p in real(name, module, ctx)])
    settings = load_settings(data_dir=DATA, output_dir=out)
    with build_module.Resident() as kept:
        with pytest.raises(BuildError, match="broken on purpose"):
            build(settings, jobs=2, force=True, resident=kept if resident else None)
        assert multiprocessing.active_children() == []
        assert {p: p.read_bytes() for p in out.rglob("*.json")} == before
        monkeypatch.undo()
        result = build(settings, jobs=2, force=True, resident=kept if resident else None)
        assert result.parts_kept == 0 and result.parts_run > 100
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before


def test_a_build_failing_while_an_early_part_runs_stops_its_worker(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Early parts start in a worker before the others' keys are found; if finding them fails,
    that worker is stopped (not left writing into a tree being thrown away) and the site stays."""
    import multiprocessing

    from builder import build as build_module
    from builder.errors import BuildError

    out = _build(tmp_path, "site", jobs=2)
    before = {p: p.read_bytes() for p in out.rglob("*.json")}

    def endless() -> object:
        time.sleep(600)
        yield "never.json", b"{}"

    monkeypatch.setattr(build_module, "stage_early_parts",
                        lambda module, ctx: [build_module.Part("early/endless", endless, None)]
                        if module.__name__ == "builder.api.render" else [])

    def failing(name: str, module: object, ctx: object) -> list:
        assert [p.name for p in multiprocessing.active_children()], "the early part runs meanwhile"
        raise BuildError("finding the keys failed on purpose")

    monkeypatch.setattr(build_module, "stage_parts", failing)
    with pytest.raises(BuildError, match="on purpose"):
        build(load_settings(data_dir=DATA, output_dir=out), jobs=2, force=True)
    assert multiprocessing.active_children() == []
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before
    assert not (out / "never.json").exists()


def _early_and_late_parts(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Builds get an early part of 0.4 s and 16 late parts of 0.05 s, each logging its run."""
    from builder import build as build_module

    def timed(name: str, seconds: float) -> Callable[[], Iterator[tuple[str, str]]]:
        def run() -> Iterator[tuple[str, str]]:
            start = time.monotonic()
            time.sleep(seconds)
            with log.open("a") as f:
                f.write(f"{os.getpid()} {start} {time.monotonic()} {name}\n")
            yield f"timed/{name}.txt", name
        return run

    monkeypatch.setattr(build_module, "stage_early_parts",
                        lambda module, ctx: [build_module.Part("early", timed("early", 0.4), None)]
                        if module.__name__ == "builder.api.render" else [])
    real = build_module.stage_parts
    late = [build_module.Part(f"late/{i}", timed(f"late-{i}", 0.05), None, first=True) for i in range(16)]
    monkeypatch.setattr(build_module, "stage_parts",
                        lambda name, module, ctx: real(name, module, ctx) + (late if name == "report" else []))


def _runs(log: Path) -> list[tuple[int, float, float, str]]:
    """(pid, start, end, name) of each part `_early_and_late_parts` logged."""
    return [(int(pid), float(start), float(end), name)
            for pid, start, end, name in (line.split() for line in log.read_text().splitlines())]


@pytest.mark.parametrize("resident", [False, True], ids=["fresh", "resident"])
def test_the_main_process_runs_parts_and_a_worker_takes_the_job_freed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resident: bool) -> None:
    """The main process runs parts beside its workers (one fork fewer, and one process fewer
    holding the snapshot). While the early part runs in a worker, the main process is the only
    one running the others (never three processes on two jobs); once the early part ends, a
    worker joins it."""
    from builder import build as build_module

    log = tmp_path / "log"
    _early_and_late_parts(monkeypatch, log)
    settings = load_settings(data_dir=DATA, output_dir=tmp_path / "site")
    if resident:
        with build_module.Resident() as kept:
            build(settings, jobs=2, resident=kept)
    else:
        build(settings, jobs=2, force=True)
    assert (tmp_path / "site" / "timed" / "late-15.txt").read_text() == "late-15"
    runs = _runs(log)
    assert len(runs) == 17
    (early_pid, early_start, early_end, _), = [r for r in runs if r[3] == "early"]
    late_pids = {pid for pid, _, _, name in runs if name != "early"}
    assert os.getpid() in late_pids and early_pid not in late_pids and len(late_pids) == 2
    during = {pid for pid, start, end, name in runs if name != "early" and start < early_end and end > early_start}
    assert during == {os.getpid()}, "while the early part ran, this process only"


def test_lines_found_sound_are_not_checked_again_but_a_changed_line_is(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    out = _build(tmp_path, "site", data=data)
    memo = read_state(out).memo[LINES_MEMO]
    known = known_lines(memo)
    lines = (data / "packages.jsonl").read_bytes().splitlines(keepends=True)
    assert {line_digest(line) for line in lines} == known["packages"]
    assert known_lines({**memo, "code": "0" * 32}) == {}  # other code: every line is checked
    assert known_lines({**memo, "packages": "not base64!"}) == {}
    record = json.loads(lines[0])
    record["slug"] = "../escape"
    lines[0] = json.dumps(record).encode() + b"\n"
    (data / "packages.jsonl").write_bytes(b"".join(lines))
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "field 'slug': must be a safe slug" in result.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


@pytest.mark.parametrize("checked_by_then", [True, False], ids=["spare-checked", "spare-being-checked"])
def test_keys_found_before_or_after_the_spare_is_checked_build_the_same_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_by_then: bool) -> None:
    """When the spare's check is still running after the load, the build finds the parts' keys
    meanwhile (else it starts the early parts first): either way, the tree a fresh build gives."""
    from bench.bench_build import change_one_package
    from builder import build as build_module
    from builder.output import SpareCheck

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    out = _build(tmp_path, "site", jobs=2, data=data)
    build(load_settings(data_dir=data, output_dir=out), jobs=2, force=True)  # now it has a spare
    events: list[str] = []
    keyed, writer_init = build_module._keyed_parts, build_module.SiteWriter.__init__

    def noting_keys(*args: object) -> list:
        events.append("keys")
        return keyed(*args)

    def noting_writer(self: object, *args: object, **kwargs: object) -> None:
        events.append("writer")
        writer_init(self, *args, **kwargs)

    monkeypatch.setattr(SpareCheck, "ready", lambda self: checked_by_then)
    monkeypatch.setattr(build_module, "_keyed_parts", noting_keys)
    monkeypatch.setattr(build_module.SiteWriter, "__init__", noting_writer)
    change_one_package(data)
    result = build(load_settings(data_dir=data, output_dir=out), jobs=2)
    assert events == (["writer", "keys"] if checked_by_then else ["keys", "writer"])
    assert 0 < result.parts_run < result.parts_run + result.parts_kept
    assert compare_trees(_build(tmp_path, "fresh", jobs=1, data=data), out) == []


@pytest.mark.parametrize(("jobs", "keys_first", "early_ends_first"),
                         [(1, False, False), (2, False, False), (2, True, False), (2, False, True)],
                         ids=["one process", "two processes", "keys found while the spare is checked",
                              "a worker forked as the parts are shared out"])
def test_a_part_is_let_go_of_once_it_has_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int,
                                            keys_first: bool, early_ends_first: bool) -> None:
    """What a part holds (the search part's rows, say) is freed once the part has run, not when
    the build ends: each part finds nothing held by the parts its process ran before it. The
    parts' keys may be found before the writer is made (`keys_first`: an incremental build
    whose spare is still being checked after the load); the early part's worker may end before
    the other parts are shared out (`early_ends_first`), and a worker is forked at once."""
    import weakref
    from functools import partial

    from bench.bench_build import change_one_package
    from builder import build as build_module
    from builder.errors import BuildError
    from builder.output import SpareCheck

    class Held:
        """Something a part holds while it lives."""

    ran_here: list[weakref.ref] = []  # in each process: what the parts it ran held

    def holding(run: Callable[[], Iterator[object]], held: Held) -> Iterator[object]:
        alive = sum(1 for ref in ran_here if ref() is not None)
        if alive:
            raise BuildError(f"{alive} of the {len(ran_here)} parts run before are still held")
        ran_here.append(weakref.ref(held))
        yield from run()

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    settings = load_settings(data_dir=data, output_dir=tmp_path / "site")
    if keys_first:
        build(settings, jobs=jobs)
        build(settings, jobs=jobs, force=True)  # now it has a spare
        change_one_package(data)
        monkeypatch.setattr(SpareCheck, "ready", lambda self: False)
    real = build_module.stage_parts
    monkeypatch.setattr(build_module, "stage_parts", lambda name, module, ctx: [
        build_module.Part(p.name, partial(holding, p.run, Held()), p.key, p.first) for p in real(name, module, ctx)])
    if early_ends_first:
        early_ended = tmp_path / "early-part-ended"

        def ending(run: Callable[[], Iterator[object]]) -> Iterator[object]:
            yield from run()
            early_ended.touch()

        real_early, real_keep = build_module.stage_early_parts, build_module.SiteWriter.keep_parts
        monkeypatch.setattr(build_module, "stage_early_parts", lambda module, ctx: [
            build_module.Part(p.name, partial(ending, p.run), p.key, p.first) for p in real_early(module, ctx)])

        def keep_once_the_early_part_ended(writer: object, keys: dict[str, str]) -> set[str]:
            deadline = time.monotonic() + 60
            while not early_ended.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)  # its worker sends its last record and ends
            return real_keep(writer, keys)

        monkeypatch.setattr(build_module.SiteWriter, "keep_parts", keep_once_the_early_part_ended)
    result = build(settings, jobs=jobs)
    if early_ends_first:
        assert early_ended.exists()
    assert result.parts_run > (10 if keys_first else 100)
    assert len(ran_here) > (2 if keys_first else 100 if jobs == 1 else 10)  # each ran after all before it was let go


# -- one build of an output at a time --------------------------------------------------------


def test_a_build_waits_for_the_one_running_and_leaves_its_output_alone(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    settings = load_settings(output_dir=out)
    told: list[str] = []
    done = threading.Event()
    page = out / "packages" / "p" / "django-select2" / "index.html"
    before = page.stat()

    def second() -> None:
        build(settings, jobs=1, force=True, notice=told.append)
        done.set()

    with FolderLock(out):  # the build running: this test
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not done.wait(1.0)
        assert told == [f"Waiting for another build of {out} (process {os.getpid()}) to end ..."]
        assert [p.name for p in tmp_path.iterdir() if p.name != ".site.lock"] == ["site"]  # nothing begun
        assert page.stat().st_mtime_ns == before.st_mtime_ns
    waiter.join(120)
    assert done.is_set()
    assert compare_trees(site, out) == []


def test_the_tree_of_a_killed_build_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "site"
    proc = subprocess.Popen([sys.executable, "build.py", "build", "--out", str(out), "--jobs", "1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".site-build-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()  # SIGKILL: no clean-up of its own
    proc.wait()
    left = list(tmp_path.glob(".site-build-*"))
    assert left and not out.exists()
    (tmp_path / ".site-buildings").mkdir()  # a name that only starts alike is not the build's
    told: list[str] = []
    build(load_settings(output_dir=out), jobs=1, notice=told.append)
    assert not left[0].exists() and (tmp_path / ".site-buildings").is_dir()
    assert told == [f"Removed what killed builds left beside {out}: {left[0].name}"]
    assert (out / "packages" / "p" / "django-select2" / "index.html").is_file()


def test_builds_started_together_take_turns_and_leave_a_whole_tree(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    build(load_settings(output_dir=out), jobs=1)  # records the state: the next builds update the spare
    with FolderLock(out):  # both start while a build runs, and wait for it
        procs = [subprocess.Popen([sys.executable, "build.py", "build", "--out", str(out), "--force"], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for proc in procs:
            assert proc.stderr is not None
            assert proc.stderr.readline().startswith(f"Waiting for another build of {out}")
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    files = sum(1 for p in site.rglob("*") if p.is_file())
    assert all(output.startswith(f"Built {files} files") for output, _ in results), results
    assert compare_trees(site, out) == []
    assert read_state(out).live.files.total_size() == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def test_a_build_waits_while_the_snapshot_is_being_replaced(site: Path, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "site"
    shutil.copytree(DATA, data)
    told: list[str] = []
    done = threading.Event()

    def run() -> None:
        build(load_settings(data_dir=data, output_dir=out), jobs=1, notice=told.append)
        done.set()

    with FolderLock(data):  # a crawl or an import swapping it in
        builder_thread = threading.Thread(target=run)
        builder_thread.start()
        assert not done.wait(1.0)
        assert told == [f"Waiting for the process replacing the snapshot in {data} (process {os.getpid()}) to end ..."]
        assert not out.exists()
    builder_thread.join(120)
    assert done.is_set() and compare_trees(site, out) == []


def test_the_snapshot_is_not_replaced_while_a_build_loads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.snapshot

    data, out = snapshots.write(tmp_path / "data"), tmp_path / "site"
    loading, go_on, replaced = threading.Event(), threading.Event(), threading.Event()
    load = builder.snapshot.load_snapshot

    def slow_load(folder: Path, *args: object, **kwargs: object) -> object:
        if threading.current_thread().name == "build":  # the build's load, not the new snapshot's checks
            loading.set()
            assert go_on.wait(30)
        return load(folder, *args, **kwargs)

    monkeypatch.setattr(builder.snapshot, "load_snapshot", slow_load)
    recs = snapshots.records()
    recs["packages"][0]["title"] = "Alpha, renamed"

    def replace() -> None:
        snapshots.write(data, recs)
        replaced.set()

    builder_thread = threading.Thread(target=lambda: build(load_settings(data_dir=data, output_dir=out), jobs=1),
                                      name="build")
    builder_thread.start()
    assert loading.wait(30)
    writer = threading.Thread(target=replace)
    writer.start()
    assert not replaced.wait(1.0)  # the crawl or import waits for the load
    go_on.set()
    builder_thread.join(120)
    writer.join(30)
    assert replaced.is_set()
    page = (out / "packages" / "p" / "alpha" / "index.html").read_text(encoding="utf-8")
    title = snapshots.records()["packages"][0]["title"]
    assert f"<h1>{title}</h1>" in page and "Alpha, renamed" not in page  # built from the snapshot it began with


def test_a_snapshot_folder_given_as_the_output_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(data)])
    assert result.exit_code == 1
    assert f"the snapshot folder and the output folder are the same: {data}" in result.output
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
