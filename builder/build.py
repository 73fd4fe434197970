"""The build: load the snapshot, run the render stages into a SiteWriter, swap the result in.

A stage is a module with `render(ctx)` yielding (site path, content) outputs; it may also
offer `parts(ctx)`: the same outputs cut into independent, named pieces of work (`Part`), which
the build shares out among worker processes. Workers are forked after the snapshot is loaded,
so they inherit it without copying.

A part may carry a key: a digest of everything its outputs are made from (see builder/deps.py).
A part whose key equals the last build's is not run: its outputs are taken over as they are.

A stage may also offer `warm(ctx)`: in a process that builds again and again (`Resident`), it
prepares between builds, in `ctx.cache`, what its next parts start from (`warm_stages`).
"""

from __future__ import annotations

import base64
import filecmp
import gc
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from . import collector
from .deps import Deps, source_digest
from .errors import BuildError
from .fsutil import FolderLock
from .idlecheck import IdleCheck
from .inputs import input_fingerprint
from .output import (
    BuildState,
    SiteWriter,
    SpareCheck,
    StateMemory,
    Unchanged,
    WriteStats,
    read_spare,
    read_state,
    remove_abandoned_trees,
)
from .settings import Settings

if TYPE_CHECKING:  # the snapshot's loader and model, and the workers' pipes, are imported when a build runs
    from multiprocessing.sharedctypes import Synchronized

    from .model import Snapshot

Output = tuple[str, bytes | str]  # a part may also yield an output.Unchanged: files taken over as they are


@dataclass(frozen=True)
class Part:
    """A piece of work: a stable name, the function yielding its outputs, and its key (or None)."""

    name: str
    run: Callable[[], Iterable[Output]]
    key: str | None = None  # digest of everything the outputs are made from; None: always run
    first: bool = False  # a long part, claimed before the others (claimed last, it would finish last)


@dataclass(frozen=True)
class BuildContext:
    """What every render stage receives."""

    settings: Settings
    snapshot: Snapshot
    previous: BuildState = field(default_factory=BuildState)  # what the last build of the output left
    memo: dict = field(default_factory=dict)  # notes the parts that ran leave for the next build
    cache: dict | None = None  # what a stage keeps in a process that builds again (None: one build)
    stop: threading.Event | None = None  # set when a stage's `warm` is to end early (see warm_stages)

    @cached_property
    def deps(self) -> Deps:
        """Digests of the build's inputs, for the parts' keys."""
        return Deps(self.settings, self.snapshot)


@dataclass
class Resident:
    """What a process that builds again and again (`serve --watch`) keeps from one build to the
    next: the snapshot it loaded, whose records the next load takes over line by line; the
    states of the output's trees, read again only if another process has replaced them; the
    spare's check, done between builds; what the stages keep (`BuildContext.cache`), and prepare
    between builds (`warm_stages`)."""

    snapshot: Snapshot | None = None
    states: StateMemory = field(default_factory=StateMemory)
    idle: IdleCheck = field(default_factory=IdleCheck)  # the spare's check and the warm step, between builds
    stage_cache: dict = field(default_factory=dict)  # what the stages keep for the next build (BuildContext.cache)

    def close(self) -> None:
        """Stop the check between builds (its thread, its watch of the output)."""
        self.idle.stop()

    def __enter__(self) -> Resident:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class BuildResult:
    stats: WriteStats
    seconds: float
    output_dir: Path
    jobs: int = 1
    skipped: bool = False  # nothing the build reads had changed: the output was left as it was
    parts_ran: tuple[str, ...] = ()  # the parts that ran; the others' outputs were taken over
    parts_kept: int = 0

    @property
    def parts_run(self) -> int:
        return len(self.parts_ran)

    def summary(self) -> str:
        """One line for the user: what was written, or that nothing had to be."""
        stats = self.stats
        if self.skipped:
            return (f"Nothing changed since the last build: {stats.files} files in {self.output_dir} "
                    f"left as they were ({self.seconds:.2f} s; --force renders anyway).")
        return (f"Built {stats.files} files ({stats.bytes / 1e6:.1f} MB; {stats.written} written, "
                f"{stats.reused} unchanged, {stats.removed} removed; {self.parts_run} of "
                f"{self.parts_run + self.parts_kept} parts rendered) into {self.output_dir} in {self.seconds:.2f} s.")


def stage_modules() -> list[tuple[str, ModuleType]]:
    """The render stages, in order. Imported here so each stage module stays independent."""
    from . import render_pages, report, search
    from .api import render as render_api

    return [("pages", render_pages), ("api", render_api), ("report", report), ("search", search)]


def stage_early_parts(module: ModuleType, ctx: BuildContext) -> list[Part]:
    """A stage's `early_parts(ctx)`, if it has them: long parts the build may start as soon as the
    snapshot is loaded, before it finds the other parts' keys. They are not among `parts(ctx)`."""
    return list(module.early_parts(ctx)) if hasattr(module, "early_parts") else []


def stage_parts(name: str, module: ModuleType, ctx: BuildContext) -> list[Part]:
    """A stage's pieces of work: its own `parts(ctx)`, or its whole `render(ctx)` as one piece."""
    if hasattr(module, "parts"):
        return list(module.parts(ctx))
    return [Part(name, lambda: module.render(ctx))]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build(settings: Settings, *, jobs: int | None = None, force: bool = False,
          progress: Callable[[str], None] | None = None, resident: Resident | None = None,
          notice: Callable[[str], None] | None = None) -> BuildResult:
    """Build the whole site from settings.data_dir into settings.output_dir.

    When nothing the build reads has changed since the last build of the same output folder,
    and that output is intact, nothing is done (unless `force`). A process that builds again and
    again passes the same `resident` each time: the load takes over its last snapshot's records.

    One build of an output folder runs at a time: a second waits for the first to end (told to
    `notice`, as are the trees of killed builds it removes). The snapshot is read while no
    crawl or import replaces it (`snapshot.write_snapshot` waits meanwhile, and the other way
    round): never half of one and half of the next.
    """
    if Path(settings.data_dir).resolve() == Path(settings.output_dir).resolve():
        raise BuildError(f"the snapshot folder and the output folder are the same: {settings.output_dir}")
    with FolderLock(settings.output_dir, partial(_waiting, f"another build of {settings.output_dir}", notice)):
        started_at = time.perf_counter()
        removed = remove_abandoned_trees(settings.output_dir)
        if removed and notice is not None:
            notice(f"Removed what killed builds left beside {settings.output_dir}: {', '.join(removed)}")
        replacing = f"the process replacing the snapshot in {settings.data_dir}"
        with FolderLock(settings.data_dir, partial(_waiting, replacing, notice), shared=True) as reading:
            return _build(settings, jobs, force, progress, resident, started_at, reading)


def _waiting(what: str, notice: Callable[[str], None] | None, holder: int | None) -> None:
    if notice is not None:
        by = f" (process {holder})" if holder is not None else ""
        notice(f"Waiting for {what}{by} to end ...")


def _build(settings: Settings, jobs: int | None, force: bool, progress: Callable[[str], None] | None,
           resident: Resident | None, started_at: float, reading: FolderLock) -> BuildResult:
    """`build`, with the output's lock held, and the snapshot's until it is loaded (`reading`)."""
    if resident is not None:
        resident.idle.pause()  # no thread may run while the build forks
    inputs = input_fingerprint(settings)
    memory = resident.states if resident is not None else None
    state = read_state(settings.output_dir, spare=False, memory=memory)
    jobs = jobs or default_jobs()
    if not force:
        if state.inputs == inputs and state.output_intact(settings.output_dir, jobs):
            stats = WriteStats(files=len(state.files), bytes=state.files.total_size(), reused=len(state.files))
            if resident is not None:
                resident.idle.start(settings.output_dir, resident.states)
            return BuildResult(stats, time.perf_counter() - started_at, settings.output_dir, 0, skipped=True)
        state.spare = read_spare(settings.output_dir, memory)
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1
    from .snapshot import load_snapshot

    # The spare's files are checked: between builds already (a resident process's), else with a
    # second core while the snapshot loads.
    if force:
        spare_check = None
        if resident is not None:
            resident.idle.stop()
    elif resident is not None and resident.idle.vouches_for(state.spare):
        spare_check = SpareCheck(settings.output_dir, state, checked=True)
    else:
        spare_check = SpareCheck(settings.output_dir, state) if jobs > 1 else None
    try:
        # The snapshot lives for the whole build: its objects go to the permanent generation before
        # the collector runs again (else its first run scans them all, a tenth of the load's time).
        with collector.paused():
            snapshot = load_snapshot(settings.data_dir, None if force else known_lines(state.memo.get(LINES_MEMO)),
                                     None if force or resident is None else resident.snapshot)
            gc.freeze()
        reading.release()
        if resident is not None:
            resident.snapshot = snapshot
        context = BuildContext(settings, snapshot, BuildState() if force else state,
                               cache=None if resident is None else resident.stage_cache)
        context.memo[LINES_MEMO] = lines_memo(snapshot)
        modules = stage_modules()
        # The writer waits for the spare's check. When the load was quicker than the check (a
        # resident build's, when the spare was not checked between builds), the parts' keys are
        # found meanwhile; else the early parts start first.
        keyed = None if spare_check is None or spare_check.ready() else _keyed_parts(modules, context, progress)
        with SiteWriter(settings.output_dir, inputs, fresh=force, state=state, spare_check=spare_check,
                        memory=memory, save_later=resident is not None) as writer, \
                _Workers(writer, context.memo, jobs) as workers:
            # Early parts that will run are started now, in a worker of their own.
            started, parts = _early_parts(modules, context, writer.live.parts, force, jobs)
            if started:
                workers.start(started, 1)
            parts.extend(keyed if keyed is not None else _keyed_parts(modules, context, progress))
            del keyed  # held by `parts` and `to_run` only, which let go of each part once it has run
            names = [p.name for p in (*started, *parts)]
            if len(set(names)) != len(names):
                raise BuildError(f"two parts have the same name: {sorted(n for n in names if names.count(n) > 1)[0]}")
            kept_names = set() if force else writer.keep_parts({p.name: p.key for p in parts if p.key is not None})
            to_run = [p for p in parts if p.name not in kept_names]
            to_run.sort(key=lambda p: not p.first)  # stable: the others keep their order
            ran, kept = tuple(p.name for p in (*started, *to_run)), len(parts) - len(to_run)
            # The notes for the next build: the last build's for the parts kept, those of the parts run.
            writer.memo = {**context.previous.memo, **context.memo}
            if jobs == 1 or (len(to_run) < 2 and not started):
                del parts  # `to_run` lets go of each part once it has run (see _run_parts)
                _run_parts(to_run, range(len(to_run)), writer)
                writer.memo.update(context.memo)
                jobs = 1
            else:
                # Not held here once a worker is forked (as `start` may): the worker would hold
                # them, and every part in them, to its end.
                del parts, started
                if to_run:
                    # This process runs parts too, beside one worker fewer: the snapshot's pages
                    # are held by two processes, not three (each worker copies those it reads).
                    workers.start(to_run, jobs, here=True)
                del snapshot, context, to_run, state
                workers.finish()
    finally:
        gc.unfreeze()
        if spare_check:
            spare_check.close()
    if resident is not None:  # the new tree is live: its state is written while the process waits
        resident.idle.start(settings.output_dir, resident.states, save=writer.save_state,
                            then=partial(warm_stages, settings, resident))
    return BuildResult(writer.stats, time.perf_counter() - started_at, settings.output_dir, jobs,
                       parts_ran=ran, parts_kept=kept)


def warm_stages(settings: Settings, resident: Resident, state: BuildState, stop: threading.Event) -> None:
    """Between builds of a resident process: each stage's `warm(ctx)`, if it has one, prepares in
    `ctx.cache` what its next parts start from, from the snapshot and state just built (the forked
    workers inherit it). A stage does it in steps, each ending early when `stop` is set (a
    build is about to start); a step it does not finish leaves the cache as it was."""
    if resident.snapshot is None:
        return
    context = BuildContext(settings, resident.snapshot, state, cache=resident.stage_cache, stop=stop)
    for _, module in stage_modules():
        if stop.is_set():
            return
        if hasattr(module, "warm"):
            module.warm(context)


def _early_parts(modules: list[tuple[str, ModuleType]], context: BuildContext, live_keys: dict[str, str | None],
                 force: bool, jobs: int) -> tuple[list[Part], list[Part]]:
    """The stages' early parts, as (those to start now in a worker of their own, the others):
    a part starts early if it will run (its key is not the live tree's) and there is a second job."""
    started: list[Part] = []
    others: list[Part] = []
    for part in (p for _, module in modules for p in stage_early_parts(module, context)):
        will_run = force or part.key is None or live_keys.get(part.name) != part.key
        (started if will_run and jobs > 1 else others).append(part)
    return started, others


def _keyed_parts(modules: list[tuple[str, ModuleType]], context: BuildContext,
                 progress: Callable[[str], None] | None) -> list[Part]:
    """Every stage's parts, with their keys."""
    parts: list[Part] = []
    for name, module in modules:
        if progress:
            progress(name)
        parts.extend(stage_parts(name, module, context))
    return parts


LINES_MEMO = "lines"  # the state memo's note of the snapshot lines found sound


def lines_memo(snapshot: Snapshot) -> dict:
    """The digests of the snapshot's lines (all sound, once loaded), by kind, and of the code
    that checked them: the next build of the same output does not check those lines again."""
    from .snapshot import LINE_KINDS

    return {"code": source_digest().hex(), **{
        kind: base64.b64encode(b"".join(sorted(d for _, d in snapshot.line_digests.get(kind, {}).values()))).decode()
        for kind in LINE_KINDS}}


def known_lines(memo: object) -> dict[str, frozenset[bytes]]:
    """`lines_memo`'s digests, if this very code wrote them (else none)."""
    from .snapshot import LINE_DIGEST_SIZE, LINE_KINDS

    if not isinstance(memo, dict) or memo.get("code") != source_digest().hex():
        return {}
    try:
        out = {}
        for kind in LINE_KINDS:
            blob = base64.b64decode(memo[kind], validate=True)
            size = LINE_DIGEST_SIZE
            out[kind] = frozenset(blob[i:i + size] for i in range(0, len(blob), size))
        return out
    except (KeyError, TypeError, ValueError):
        return {}


def _run_parts(parts: list[Part | None], indexes: Iterable[int], writer: SiteWriter) -> None:
    """Run the parts at `indexes`, letting go of each (`parts[i] = None`) as it starts: what a
    part holds (the search part's rows, say) is freed once it has run, not when the build ends,
    if nothing else holds the part. Each index is handed out once (`_claimed`)."""
    for i in indexes:
        part = parts[i]
        assert part is not None
        parts[i] = None  # `part` holds it until the next one, or until the call returns
        writer.start_part(part.name, part.key)
        for output in part.run():
            if type(output) is Unchanged:
                writer.take_unchanged(output, part.name)
            else:
                writer.write(*output, part.name)


def _claimed(counter: Synchronized, count: int) -> Iterator[int]:
    """Indexes of parts, each handed to whichever worker asks first, until none are left."""
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= count:
            return
        yield index


@dataclass
class _Batch:
    """Parts shared out among some workers through one counter (see `_Workers.start`)."""

    parts: list[Part | None] | None  # held while more workers may join, then let go (a part run: None)
    counter: Synchronized
    wanted: int  # workers it is to have
    workers: int = 0  # workers it has so far (forked, or this process: `_Workers.start`'s `here`)


class _Workers:
    """Forked workers sharing out parts and writing into the writer's tree. Each sends the
    record of every part it ran as soon as it is done, which `finish` merges into the writer
    (so no process ever holds a worker's whole record twice), and a message when it ends.

    Parts come in batches (`start`), each shared out among its own workers. No more workers run
    at once than there are jobs: a batch started while an earlier one still runs gets the free
    ones, and the others as the earlier workers end (so this process holds a batch's parts until
    it has all its workers). A build that fails before `finish` stops them as it leaves the `with`."""

    def __init__(self, writer: SiteWriter, notes: dict, jobs: int) -> None:
        self.writer = writer
        self.notes = notes
        self.jobs = jobs
        # Each batch keeps its counter until the end: freed, its shared memory went to the next
        # batch's counter while the first batch's worker still counted on it (a part was skipped).
        self.batches: list[_Batch] = []
        self.workers: dict = {}  # the receiving end of each worker's pipe -> its process
        self.received: list[bytes] = []  # part records read from the workers, not merged yet
        self.ended: list = []  # workers that said they are done, not joined yet
        self.here: tuple[_Batch, list[Part | None]] | None = None  # a batch this process runs too (see start)
        self.errors: list[str] = []

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.workers.values():  # none left, unless the build failed before `finish`
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for proc in self.ended:
            proc.join()
        self.ended.clear()
        self.workers.clear()
        self.batches.clear()

    def start(self, parts: list[Part], wanted: int, here: bool = False) -> None:
        """Share `parts` out among up to `wanted` workers, as many now as jobs are free (a
        worker that has ended meanwhile frees its job first: its records are read, and merged
        once the new workers run). With `here`, this process is one of them (in `finish`): it
        needs no fork, and the snapshot's pages it reads are its own, not copied on first write."""
        counter = multiprocessing.get_context("fork").Value("i", 0)
        batch = _Batch(parts, counter, wanted)
        if here:
            assert self.here is None
            self.here = (batch, parts)
            batch.workers = 1
        self.batches.append(batch)
        self._read_ready()
        self._staff()

    def _staff(self) -> None:
        """Fork workers for the batches short of them, while jobs are free; let go of the parts
        of a batch that has all its workers (or nothing left to hand out)."""
        for batch in self.batches:
            if batch.parts is None:
                continue
            while (not self.errors and batch.workers < batch.wanted and self._busy() < self.jobs
                   and batch.counter.value < len(batch.parts)):
                self._fork(batch)
            if self.errors or batch.workers >= batch.wanted or batch.counter.value >= len(batch.parts):
                batch.parts = None

    def _fork(self, batch: _Batch) -> None:
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        writer, notes, todo, counter = self.writer, self.notes, batch.parts, batch.counter
        assert todo is not None

        def work() -> None:
            try:
                writer.begin_worker()
                for index in _claimed(counter, len(todo)):
                    notes.clear()
                    _run_parts(todo, [index], writer)
                    results = (*writer.take_worker_results(), dict(notes))
                    last = counter.value >= len(todo)  # none left to claim: this worker ends here
                    send.send_bytes((LAST if last else PART) + pickle.dumps(results, pickle.HIGHEST_PROTOCOL))
                    if last:
                        return
                send.send_bytes(DONE)
            except BaseException as exc:  # reported to the parent, which raises
                message = str(exc) if isinstance(exc, BuildError) else traceback.format_exc()
                send.send_bytes(ERROR + message.encode("utf-8", "replace"))

        proc = ctx.Process(target=work, daemon=True)
        proc.start()
        send.close()  # this process's copy: the pipe ends (EOFError) when the worker dies
        self.workers[receive] = proc
        batch.workers += 1

    def _busy(self) -> int:
        """Jobs taken: the workers, and this process while it runs parts."""
        return len(self.workers) + (self.here is not None)

    def finish(self) -> None:
        """Run this process's share of parts (see `start`), then merge every worker's records as
        they come, until all have ended."""
        if self.here is not None:
            batch, parts = self.here
            for index in _claimed(batch.counter, len(parts)):
                self.notes.clear()
                _run_parts(parts, [index], self.writer)
                self.writer.memo.update(self.notes)
                self._read_ready()  # a worker that ended: its job to another
                self._merge_received()
                if self.errors:  # a worker failed: the build fails, the parts left need not run
                    break
            self.here = None
        while self.workers:
            self._receive(None)
            self._merge_received()
        if self.errors:
            raise BuildError("\n".join(self.errors))

    def _receive(self, timeout: float | None) -> int:
        """Read what the workers have sent (waiting up to `timeout` for something, None: until
        something comes); a worker that ended frees its job for a batch short of workers. Part
        records are merged later (`_merge_received`). The number of messages read."""
        import multiprocessing.connection

        ready = multiprocessing.connection.wait(list(self.workers), timeout)
        for receive in ready:
            try:
                message = receive.recv_bytes()
            except EOFError:
                message = ERROR
            if message.startswith((PART, LAST)):
                self.received.append(message)
                if message.startswith(PART):
                    continue
            proc = self.workers.pop(receive)
            if message.startswith(ERROR):
                proc.join()
                self.errors.append(message[1:].decode("utf-8", "replace")
                                   or f"a build worker died (exit code {proc.exitcode})")
            else:  # joined as the build leaves the `with`: its exit (a few ms) is not waited for here
                self.ended.append(proc)
            self._staff()  # a job is free: a batch short of workers gets one
        return len(ready)

    def _read_ready(self) -> None:
        """Read whatever the workers have sent already, without waiting."""
        while self.workers and self._receive(0):
            pass

    def _merge_received(self) -> None:
        while self.received:
            *results, notes = pickle.loads(memoryview(self.received.pop(0))[1:])
            self.writer.merge_worker_results(*results)
            self.writer.memo.update(notes)


# What a worker's message is: a part's records, a part's records and the worker's end (no part
# was left to claim), its end, its failure.
PART, LAST, DONE, ERROR = b"p", b"l", b"d", b"e"


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """Differences between two site trees, one line each: missing, extra or changed files."""
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    want, have = files(expected), files(actual) if actual.is_dir() else set()
    problems = [f"missing: {p}" for p in sorted(want - have)]
    problems += [f"unexpected: {p}" for p in sorted(have - want)]
    problems += [f"differs: {p}" for p in sorted(want & have)
                 if not filecmp.cmp(expected / p, actual / p, shallow=False)]
    return problems


def check_build(settings: Settings, jobs: int | None = None) -> list[str]:
    """Build afresh into a temporary folder and list how the existing output differs from it."""
    scratch = Path(tempfile.mkdtemp(prefix="site-check-"))
    try:
        build(replace(settings, output_dir=scratch / "site"), jobs=jobs, force=True)
        with FolderLock(settings.output_dir):  # no build swaps another tree in while it is compared
            return compare_trees(scratch / "site", settings.output_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
