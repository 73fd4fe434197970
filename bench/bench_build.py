"""Build benchmark: prints wall and CPU seconds, peak memory, files and bytes per scenario.

    python bench/bench_build.py             full 6k, no-op, one package changed (also in a resident
                                            process, as `serve --watch` builds), template changed,
                                            the next night's crawl (every package fetched again,
                                            a third with new counts)
    python bench/bench_build.py --large     the same plus 100,000 packages: full, no-op, full in one
                                            process (--jobs 1: the least memory), next crawl

The first line names the host and a calibration (`calibration`: one core's seconds for a fixed
piece of pure Python), printed again at the end: figures from hosts of different speed compare
once divided by it.

Each scenario runs in a fresh process so its peak memory is its own: "peak memory" adds up the
proportional set sizes of the build's processes (the main one and its forked workers), sampled
every 50 ms, where a page the workers share with the main one counts once; "largest process"
is the highest RSS of any one of them, which counts such pages in each. "wall" is the build itself
(`builder.build.build`); "command" is the whole process, from its start to its exit, as a user
running `python build.py build` waits for it. The "floor" is the time to
write the same files and bytes with no rendering at all: the physical limit of the build.
Datasets come from bench/generate.py (fixed seed) and are kept in bench/out/ between runs.

Nothing is deleted while a scenario is timed: old trees are moved aside (bench/out/trash) and
deleted at the end. On an ext4 file system without a journal (this machine's), creating a file
after many deletions costs up to ten times as much for minutes afterwards (the allocator skips
recently freed inodes, `recently_deleted()` in the kernel's ext4/ialloc.c, and checks each one),
which would charge the previous run's clean-up to the build.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def dataset(packages: int, grids: int) -> Path:
    """The generated snapshot of that size, made once."""
    from bench.generate import generate_snapshot

    path = OUT / f"data-{packages}"
    if not (path / "manifest.json").exists():
        generate_snapshot(path, packages, grids)
    return path


class TreeMemory:
    """The peak memory of a process and all its descendants (a build and its workers): the sum
    of their proportional set sizes (PSS, Linux's /proc/<pid>/smaps_rollup), sampled every
    `interval` seconds in a thread of the process watching (not the one watched: the sampling
    takes no time from the build). A page that forked processes share counts once in all, where
    adding up their RSS would count it in each, and the largest RSS alone misses the others'
    own pages. `peak_mb` is None where /proc has no smaps_rollup."""

    def __init__(self, pid: int | None = None, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak_kb = pid or os.getpid(), interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        if os.path.exists(f"/proc/{self.pid}/smaps_rollup"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
            self._total()  # the last moment too

    @property
    def peak_mb(self) -> float | None:
        return self.peak_kb / 1024 if self.peak_kb else None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._total()

    def _total(self) -> None:
        total = sum(_pss_kb(pid) for pid in _descendants(self.pid))
        self.peak_kb = max(self.peak_kb, total)


def _descendants(root: int) -> list[int]:
    """root and every process below it, from each process's parent in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile
            children.setdefault(parent, []).append(int(name))
    found = [root]
    for pid in found:
        found.extend(children.get(pid, ()))
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass  # ended meanwhile
    return 0


def inner(data: str, out: str, templates: str | None, jobs: int | None, resident: bool = False) -> None:
    """Run one build in this process and print its figures as JSON. With `resident`, as
    `serve --watch` builds: a first build (not timed) after one change loads the snapshot, and
    the build timed, after another change, takes over its records (and trusts the spare's
    check done between the two builds, `builder/idlecheck.py`)."""
    from builder.build import Resident, build
    from builder.settings import load_settings

    overrides = {"templates_dir": Path(templates)} if templates else {}
    settings = load_settings(data_dir=Path(data), output_dir=Path(out), **overrides)
    kept = Resident() if resident else None
    if kept:
        change_one_package(Path(data), 3)
        build(settings, jobs=jobs, resident=kept)
        change_one_package(Path(data), 0)
        kept.idle.wait()  # the spare's check, done while serve --watch waits for the next edit
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter(), time.process_time()
    result = build(settings, jobs=jobs, resident=kept)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if kept:
        kept.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = children.ru_utime + children.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({
        "wall": wall, "cpu": cpu + children_cpu,
        "rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss) / 1024,
        "files": result.stats.files, "written": result.stats.written, "reused": result.stats.reused,
        "removed": result.stats.removed, "bytes": result.stats.bytes, "skipped": result.skipped,
        "jobs": result.jobs, "parts_run": result.parts_run, "parts_kept": result.parts_kept,
    }), flush=True)
    gc.freeze()  # the process ends here, as `python build.py build` ends: see build.py


def run(data: Path, out: Path, templates: Path | None = None, jobs: int | None = None,
        resident: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--inner", str(data), str(out)]
    if templates:
        cmd += ["--templates", str(templates)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if resident:
        cmd += ["--resident"]
    started = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc, \
            TreeMemory(proc.pid) as memory:  # the process's whole life: a resident one's two builds
        out, err = proc.communicate()
        ended = time.perf_counter()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
    figures = {**json.loads(out.strip().splitlines()[-1]), "memory_mb": memory.peak_mb}
    # What a user waits for: the process's start (interpreter, imports) and exit included; a
    # resident build's process is already running.
    return {**figures, "command": figures["wall"] if resident else ended - started}


def floor(site: Path) -> float:
    """Seconds to write every file of `site` again, from memory, with no rendering (measured in
    a child process, so the bytes it holds do not count in this process's or the builds' RSS)."""
    cmd = [sys.executable, __file__, "--floor", str(site)]
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())


def floor_inner(site: Path) -> None:
    blobs = []
    for folder, _, names in os.walk(site):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                blobs.append((os.path.relpath(path, site), handle.read()))
    target = site.parent / "floor"
    discard(target)
    started = time.perf_counter()
    for rel, blob in blobs:
        path = os.path.join(target, rel)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, blob)
        os.close(fd)
    seconds = time.perf_counter() - started
    discard(target)
    print(seconds)


def discard(path: Path) -> None:
    """Move a tree out of the way (into `trash` beside its folder), to be deleted when the
    timing is over (`empty_trash`)."""
    if path.exists():
        trash = path.parent / "trash"
        trash.mkdir(exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def empty_trash(work: Path) -> None:
    for trash in work.glob("**/trash"):
        shutil.rmtree(trash, ignore_errors=True)


def change_one_package(data: Path, which: int = 2) -> str:
    """Bump the stars of one package (the which-th quarter of the file) in place; return its slug."""
    path = data / "packages.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n = len(lines) * which // 4
    record = json.loads(lines[n])
    record["repo_watchers"] += 1
    lines[n] = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return record["slug"]


def next_crawl(data: Path) -> None:
    """The snapshot as the next night's crawl finds it: fetched a day later, every package
    fetched again (`last_fetched`), and a third of them with more stars or forks (a fixed
    choice)."""
    from bench.generate import timestamp

    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    fetched = datetime.fromisoformat(manifest["fetched_at"].replace("Z", "+00:00")) + timedelta(days=1)
    manifest["fetched_at"] = fetched.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = data / "packages.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        record = json.loads(line)
        record["last_fetched"] = timestamp(int(fetched.timestamp()) - 60 * (n % 600))
        if n % 3 == 0:
            record["repo_watchers"] += 1 + n % 5
        elif n % 3 == 1 and n % 2:
            record["repo_forks"] += 1
        lines[n] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def cpu_model(cpuinfo: str) -> str:
    """The processor's name from the text of Linux's /proc/cpuinfo ("?" when it has none)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model") and value.strip():
            return value.strip()
    return "?"


def calibration(rounds: int = 3) -> float:
    """Seconds one core takes for a fixed piece of pure Python (string formatting, escaping,
    dict and list work, as rendering does), the best of `rounds`: figures taken on hosts of
    different speed compare once divided by it. The same workload on every run: no data, no I/O."""
    from markupsafe import escape

    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        rows: dict[int, str] = {}
        for i in range(200_000):
            rows[i % 5000] = f"<td>{escape(str(i) + ' & <b>')}</td>" + "".join(["a", str(i % 7)])
        best = min(best, time.perf_counter() - started)
    return best


def machine() -> str:
    """One line on the host the figures come from: cores, processor, Python, single-core speed."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = cpu_model(f.read())
    except OSError:
        model = "?"
    return (f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}; "
            f"calibration {calibration():.3f} s (a fixed piece of Python on one core: lower is faster)")


def _mb(value: float | None) -> str:
    return "     ? MB" if value is None else f"{value:6.0f} MB"


def show(name: str, r: dict, floor_s: float | None = None) -> None:
    rate = r["files"] / r["wall"] if r["wall"] else 0
    line = (f"{name:<24} wall {r['wall']:6.2f} s (command {r['command']:6.2f} s)  cpu {r['cpu']:6.2f} s  "
            f"peak memory {_mb(r.get('memory_mb'))} (largest process {r['rss_mb']:5.0f} MB)  "
            f"files {r['files']:>7,} (written {r['written']:,}, removed {r['removed']:,})  "
            f"{r['bytes'] / 1e6:7.1f} MB  {rate:8,.0f} files/s  parts run {r['parts_run']}/"
            f"{r['parts_run'] + r['parts_kept']}")
    if r["skipped"]:
        line += "  [skipped: inputs unchanged]"
    if floor_s:
        line += f"  floor {floor_s:.2f} s (x{r['wall'] / floor_s:.1f})"
    print(line, flush=True)


def scenarios(packages: int, grids: int, jobs: int | None, where: Path, incremental: bool = True) -> dict:
    source = dataset(packages, grids)
    work = where / f"run-{packages}"
    discard(work)
    data, site, templates = work / "data", work / "site", work / "templates"
    shutil.copytree(source, data)
    shutil.copytree(ROOT / "templates", templates)
    print(f"# {packages:,} packages, {grids:,} grids, jobs={jobs or os.cpu_count()}", flush=True)
    full = run(data, site, templates, jobs)
    show(f"full {packages // 1000}k", full, floor(site))
    show("no-op", run(data, site, templates, jobs))
    if not incremental:
        # One process holds one copy of the snapshot's pages: the build within the least memory.
        alone = work / "site-one-process"
        show(f"full {packages // 1000}k, --jobs 1", run(data, alone, templates, 1))
        discard(alone)
        next_crawl(data)
        show("next night's crawl", run(data, site, templates, jobs))
        discard(work)
        return full
    change_one_package(data, 1)
    show("one package (1st)", run(data, site, templates, jobs))  # hard-links every file: makes the spare
    change_one_package(data, 2)
    show("one package", run(data, site, templates, jobs))
    show("one package, resident", run(data, site, templates, jobs, resident=True))  # as in serve --watch
    template = templates / "package.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}<!-- bench: template changed -->", 1), encoding="utf-8")
    show("template changed", run(data, site, templates, jobs))
    next_crawl(data)
    show("next night's crawl", run(data, site, templates, jobs))
    return full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inner", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--templates", help=argparse.SUPPRESS)
    parser.add_argument("--resident", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--large", action="store_true", help="also build 100,000 packages and 5,000 grids")
    parser.add_argument("--work", type=Path, default=OUT,
                        help="where the built trees go (default bench/out; /dev/shm leaves the disk out, "
                             "but with --large needs three times the 100k tree, 26 GB, in memory)")
    args = parser.parse_args()
    if args.inner:
        inner(*args.inner, args.templates, args.jobs, args.resident)
        return
    if args.floor:
        floor_inner(Path(args.floor))
        return
    print(f"machine: {machine()}; trees in {args.work}", flush=True)
    args.work.mkdir(parents=True, exist_ok=True)
    small = scenarios(6000, 400, args.jobs, args.work)
    if args.large:
        large = scenarios(100_000, 5000, args.jobs, args.work, incremental=False)
        ratio = (large["wall"] / 100_000) / (small["wall"] / 6000)
        print(f"per-package cost at 100k / at 6k: x{ratio:.2f} (wall), "
              f"x{(large['cpu'] / 100_000) / (small['cpu'] / 6000):.2f} (CPU)", flush=True)
    print(f"calibration at the end: {calibration():.3f} s (this host's speed can move during a run)", flush=True)
    empty_trash(args.work)  # after the timings: deleting many files slows the file creations that follow


if __name__ == "__main__":
    main()
