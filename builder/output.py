"""Writing the built site: a whole new tree is prepared beside `site/`, then swapped in at once.

Two trees take turns. `site/` is the live one; `.site-spare/` is the tree of the build before,
kept after its swap. The next build brings the spare up to date in place, touching only files
whose bytes differ, then exchanges it with `site/` (renameat2 RENAME_EXCHANGE), so a reader of
`site/` sees the old tree or the new one, never a mix, and an update costs what changed.

Files whose bytes equal the live tree's are hard links to the live file, so their mtimes stay
put and a CDN deploy (which compares content hashes) uploads only what changed. A file is never
written in place: it is unlinked first, so an inode shared by the two trees is never modified.

The state of each tree (each file's content hash, size, mtime and the part that made it, and
each part's key) lives in a file beside the output folder, never inside it: the live tree's in
`.site-state.json` (with the inputs' fingerprint and the stages' notes), the spare's in
`.site-spare-state.json`. Before a build modifies the spare, it deletes the spare's state, so a
build that dies half-way leaves a spare the next build discards rather than trusts. At the swap
the live tree becomes the spare, and its state file becomes the spare's by a rename.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path, PurePosixPath
from types import TracebackType

import orjson

from .errors import BuildError
from .filetable import HASH_SIZE, FileTable
from .fsutil import replace_dir, sibling_tempdir, sibling_tempdirs, write_file_atomic

STATE_VERSION = 7


class Unchanged:
    """Outputs whose bytes a part knows to be the live tree's: taken over without rendering, all
    at once (a part yields one in place of a (path, bytes) pair).

    `render(i)` makes the bytes of the i-th path, for when its live file cannot be taken
    (missing or touched)."""

    __slots__ = ("paths", "render")

    def __init__(self, paths: list[str], render: Callable[[int], bytes]) -> None:
        self.paths = paths
        self.render = render


def check_site_path(path: str) -> str:
    """Refuse output paths that would escape the output folder; the path in its normal form."""
    if path and path[0] not in "/." and path[-1] != "/" and "//" not in path and "/." not in path:
        return path  # already normal (no empty, "." or ".." part): pathlib would return it as it is
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        raise BuildError(f"refusing to write outside the site folder: {path!r}")
    return str(pure)


def content_digest(data: bytes) -> bytes:
    """A cryptographic content hash: equal hashes make the writer keep or link a file, so data
    crafted to collide must not be able to make one page serve another's bytes. SHA-256, cut to
    HASH_SIZE bytes: with the CPU's SHA extensions it is 1.7x as fast as BLAKE2b here (534 MB
    of output at 6,000 packages: 0.34 s against 0.58 s)."""
    return hashlib.sha256(data).digest()[:HASH_SIZE]


def state_path(out_dir: Path) -> Path:
    """Where the state of the trees of `out_dir` is kept."""
    return out_dir.parent / f".{out_dir.name}-state.json"


def spare_state_path(out_dir: Path) -> Path:
    """Where the state of the spare tree of `out_dir` is kept: the live state of the build before."""
    return out_dir.parent / f".{out_dir.name}-spare-state.json"


def spare_path(out_dir: Path) -> Path:
    """The folder of the previous build's tree, brought up to date by the next build."""
    return out_dir.parent / f".{out_dir.name}-spare"


FRESH_TREE = "build"  # a fresh tree is made beside the output, in `.<name>-build-<random>`


def remove_abandoned_trees(out_dir: Path) -> list[str]:
    """Delete the fresh trees that builds of out_dir left beside it when they were killed
    half-way (SIGKILL, SIGTERM, `serve --watch` stopping a build); returns their names. Only
    while holding the output's lock (`fsutil.FolderLock`): then no other build is making one."""
    removed = sibling_tempdirs(out_dir, FRESH_TREE)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return [path.name for path in removed]


def _dir_id(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino]


Identity = tuple[int, int, int, int]  # a file's device, inode, size and mtime


@dataclass
class Tree:
    """What one tree holds, as recorded: its folder's identity, its files and its parts' keys.

    `ran` names the parts the build of this tree ran, and `after` is the identity of the state
    file of the tree it was built after (which then became the spare): every other part's files
    are recorded here as they were there, so the next build compares only the files of these
    parts with the spare's (None: not known, compare every file)."""

    dir_id: list[int] | None = None
    files: FileTable = field(default_factory=FileTable)
    parts: dict[str, str | None] = field(default_factory=dict)
    ran: frozenset[str] | None = None
    after: Identity | None = None
    read_from: Identity | None = None  # the identity of the state file this record was read from

    def json_chunks(self) -> Iterator[bytes]:
        """The tree as JSON, in pieces."""
        names = sorted(self.parts)
        keys = orjson.dumps([names, [self.parts[n] for n in names]])
        ran = orjson.dumps(None if self.ran is None else sorted(self.ran))
        yield (b'{"dir":' + orjson.dumps(self.dir_id) + b',"keys":' + keys + b',"ran":' + ran
               + b',"after":' + orjson.dumps(self.after) + b',"files":')
        yield from self.files.json_chunks()
        yield b"}"

    @classmethod
    def from_json(cls, data: dict, read_from: Identity | None = None) -> Tree:
        names, keys = data["keys"]
        ran, after = data["ran"], data["after"]
        if ran is not None and not all(isinstance(name, str) for name in ran):
            raise TypeError("ran: not a list of part names")
        return cls(data["dir"], FileTable.from_json(data["files"]), dict(zip(names, keys, strict=True)),
                   None if ran is None else frozenset(ran), None if after is None else tuple(after),
                   read_from)

    def unchanged_since(self, spare: Tree | None) -> frozenset[str] | None:
        """The parts whose files this tree records as `spare` does, but for `ran`: None when
        `spare` is not the tree this one was built after (as far as the records tell)."""
        if spare is None or self.ran is None or self.after is None or spare.read_from != self.after:
            return None
        return self.ran


@dataclass
class BuildState:
    """The recorded state of an output folder: its inputs' fingerprint, the live and spare trees."""

    inputs: str | None = None
    live: Tree = field(default_factory=Tree)
    spare: Tree | None = None
    memo: dict = field(default_factory=dict)  # what stages note about the live tree (see memo_json)

    @property
    def files(self) -> FileTable:
        return self.live.files

    def output_intact(self, out_dir: Path, jobs: int = 1) -> bool:
        """True when every file of the live tree is still there, untouched (with `jobs` > 1,
        a forked process checks every other file)."""
        return _intact(out_dir, self.live, jobs) and bool(self.live.files)

    def json_chunks(self, memo: bytes | None = None) -> Iterator[bytes]:
        """The state of the live tree as JSON, in pieces written one after the other (at 100,000
        packages its file table is 75 MB: never held whole, nor twice). The spare's is a file
        of the same form: the state of the build before. `memo`: `memo_json(self.memo)`, if the
        caller has it already."""
        yield b'{"version":' + orjson.dumps(STATE_VERSION) + b',"inputs":' + orjson.dumps(self.inputs) + b',"memo":'
        if memo is None:
            yield from memo_chunks(self.memo)
        else:
            yield memo
        yield b',"live":'
        yield from self.live.json_chunks()
        yield b"}"


def memo_json(memo: dict) -> bytes:
    """The stages' notes as JSON. A note is a JSON value, or that value already encoded (bytes):
    a worker sends such a note to the main process as one string, not as the objects it holds."""
    return b"".join(memo_chunks(memo))


def memo_chunks(memo: dict) -> Iterator[bytes]:
    """`memo_json` in pieces, a note at a time: an encoded note is handed on as it is, never
    copied into one string with the others (at 100,000 packages the notes are 28 MB)."""
    yield b"{"
    for i, (key, note) in enumerate(memo.items()):
        yield (b"," if i else b"") + orjson.dumps(key) + b":"
        yield note if isinstance(note, bytes) else orjson.dumps(note)
    yield b"}"


def _not_as_recorded(root: Path, tree: Tree, start: int = 0, step: int = 1) -> Iterator[tuple[str, bool]]:
    """The files of a tree that are not as recorded (size, mtime), as (path, missing), one
    `stat` a file (of every `step`-th file from the `start`-th)."""
    return files_not_as_recorded(root, islice(tree.files.sizes_and_mtimes(), start, None, step))


def files_not_as_recorded(root: Path, recorded: Iterable[tuple[str, int, int]]) -> Iterator[tuple[str, bool]]:
    """Of files under root recorded as (path, size, mtime), those not as recorded, as (path,
    missing)."""
    prefix, stat = f"{root}{os.sep}", os.stat
    for rel, size, mtime in recorded:
        try:
            st = stat(prefix + rel)
        except OSError:
            yield rel, True
            continue
        if st.st_size != size or st.st_mtime_ns != mtime:
            yield rel, False


SPLIT_INTACT_AT = 5000  # files: below this, forking a second checker costs more than it saves


def _intact(root: Path, tree: Tree, jobs: int = 1) -> bool:
    """Every file of a live tree as recorded (a live tree records every file it has)."""
    if tree.dir_id is None or _dir_id(root) != tree.dir_id:
        return False
    if jobs < 2 or len(tree.files) < SPLIT_INTACT_AT or "fork" not in multiprocessing.get_all_start_methods():
        return next(_not_as_recorded(root, tree), None) is None
    # The stats are system calls (2.5 us each here): a forked process checks the odd files.
    receive, send = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to be had (a limit): all of them here
        os.close(receive)
        os.close(send)
        return next(_not_as_recorded(root, tree), None) is None
    if pid == 0:
        try:
            os.close(receive)
            os.write(send, b"1" if next(_not_as_recorded(root, tree, 1, 2), None) is None else b"0")
        finally:
            os._exit(0)
    os.close(send)
    intact = False
    try:
        intact = next(_not_as_recorded(root, tree, 0, 2), None) is None
        if intact:
            answer = os.read(receive, 1)
            # No answer: the process died, and the odd files are checked here.
            intact = answer == b"1" or (not answer and next(_not_as_recorded(root, tree, 1, 2), None) is None)
        return intact
    finally:
        os.close(receive)
        if not intact:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _file_identity(fd_or_path: int | Path) -> Identity | None:
    """(device, inode, size, mtime) of a file: a state file rewritten or replaced has another."""
    try:
        st = os.stat(fd_or_path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class StateMemory:
    """The states of an output folder's trees as this process last read or wrote them, each with
    its file's identity. A process that builds again and again (`serve --watch`) reads a state
    file again only when something else has replaced it (0.08 s a build at 6,000 packages).
    States handed out are copies of what is held; the file tables in them are never changed."""

    def __init__(self) -> None:
        self._held: dict[Path, tuple[Identity, BuildState]] = {}

    def recall(self, path: Path) -> BuildState | None:
        held = self._held.get(path)
        if held is None or _file_identity(path) != held[0]:
            return None
        return replace(held[1], spare=None)

    def hold(self, path: Path, identity: Identity | None, state: BuildState) -> None:
        """Hold the state in the file at path, whose identity is given (its tree's `read_from`
        becomes that identity); an unknown identity holds nothing."""
        if identity is None:
            self._held.pop(path, None)
        else:
            state.live.read_from = identity
            self._held[path] = identity, state

    def moved(self, source: Path, target: Path) -> None:
        """A state file was renamed (its identity stays)."""
        held = self._held.pop(source, None)
        if held is None:
            self._held.pop(target, None)
        else:
            self._held[target] = held


def _read_state_file(path: Path, memory: StateMemory | None = None) -> BuildState | None:
    """The state in a file (None when missing, unreadable or of another version)."""
    known = memory.recall(path) if memory is not None else None
    if known is not None:
        return known
    loaded = _load_state_file(path)
    if loaded is None:
        return None
    identity, state = loaded
    if memory is None:
        return state
    memory.hold(path, identity, state)
    return replace(state)


def _load_state_file(path: Path) -> tuple[Identity | None, BuildState] | None:
    """The identity of a state file and the state in it, read from disk."""
    try:
        with open(path, "rb") as handle:  # the identity and the bytes of one and the same file
            identity, data = _file_identity(handle.fileno()), orjson.loads(handle.read())
        if data.get("version") != STATE_VERSION:
            return None
        return identity, BuildState(data["inputs"], Tree.from_json(data["live"], identity), None, data["memo"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def read_state(out_dir: Path, spare: bool = True, memory: StateMemory | None = None) -> BuildState:
    """The state of the last build of `out_dir` (empty when unknown or unreadable), with its
    spare tree's if `spare` (see `read_spare`); from `memory` when the file is the one it holds."""
    state = _read_state_file(state_path(out_dir), memory)
    if state is None:
        return BuildState()
    if spare:
        state.spare = read_spare(out_dir, memory)
    return state


def read_spare(out_dir: Path, memory: StateMemory | None = None) -> Tree | None:
    """The recorded state of the spare tree of `out_dir` (None when unknown or unreadable)."""
    state = _read_state_file(spare_state_path(out_dir), memory)
    return state.live if state is not None else None


def spare_problems(root: Path, tree: Tree) -> tuple[list[str], list[str]]:
    """The files of a spare tree that are missing, and those not as recorded (size, mtime)."""
    missing, changed = [], []
    for rel, gone in _not_as_recorded(root, tree):
        (missing if gone else changed).append(rel)
    return missing, changed


class SpareCheck:
    """`spare_problems` for the spare of a state, run in a forked process, so that a build
    checks its 75,000 files (a stat each) while it loads the snapshot."""

    def __init__(self, out_dir: Path, state: BuildState, checked: bool = False) -> None:
        self.tree = state.spare
        self._receive = self._process = None
        # `checked`: the spare was found as recorded already (`idlecheck`): no process, no problem.
        self._found: tuple[list[str], list[str]] | None = ([], []) if checked else None
        self._root = spare_dir = spare_path(out_dir)
        if checked or self.tree is None or self.tree.dir_id is None or _dir_id(spare_dir) != self.tree.dir_id:
            return
        ctx = multiprocessing.get_context("fork")
        self._receive, send = ctx.Pipe(duplex=False)
        tree = self.tree

        def check() -> None:
            send.send(spare_problems(spare_dir, tree))

        self._process = ctx.Process(target=check, daemon=True)
        self._process.start()
        send.close()

    def ready(self) -> bool:
        """Whether `result` would answer without waiting for the process."""
        return self._process is None or self._receive.poll()

    def result(self) -> tuple[list[str], list[str]]:
        """The problems found (checked here if the process could not tell)."""
        if self._found is not None:
            return self._found
        if self._process is None:
            return spare_problems(self._root, self.tree) if self.tree else ([], [])
        try:
            found = self._receive.recv()
        except EOFError:  # the process died: check here
            found = spare_problems(self._root, self.tree)
        self._process.join()  # it ends once it has sent its answer
        self.close()
        return found

    def close(self) -> None:
        """Stop the check (a build that fails does not wait for it)."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
            self._receive.close()
            self._process = None


@dataclass
class WriteStats:
    files: int = 0
    bytes: int = 0
    written: int = 0  # files whose bytes were written
    reused: int = 0   # files taken over: already in place, or hard-linked from the live tree
    removed: int = 0  # files of the live tree that the new one does not have

    def add(self, other: WriteStats) -> None:
        for name in ("files", "bytes", "written", "reused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class SiteWriter:
    """Prepares the next tree of `out_dir`; `commit()` swaps it in for the live one.

    Used as a context manager: on an exception the live output folder is left untouched.
    `fresh` starts from an empty tree instead of the spare (files equal to the live tree's
    are still hard-linked from it). `state` is the output folder's, if already read;
    `spare_check` a check of its spare started earlier; `memory` keeps the states it reads and
    writes for the next build of the same process; `save_later` leaves writing the new state
    to a call of `save_state` after the commit.
    """

    def __init__(self, out_dir: Path, inputs: str | None = None, *, fresh: bool = False,
                 state: BuildState | None = None, spare_check: SpareCheck | None = None,
                 memory: StateMemory | None = None, save_later: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.save_later = save_later
        self.inputs = inputs
        self.stats = WriteStats()
        self.memory = memory
        state = read_state(self.out_dir, memory=memory) if state is None else state
        self.live = state.live if state.live.dir_id and _dir_id(self.out_dir) == state.live.dir_id else Tree()
        spare_dir = spare_path(self.out_dir)
        spare = state.spare
        if fresh or spare is None or spare.dir_id is None or _dir_id(spare_dir) != spare.dir_id:
            spare = None
            if spare_dir.exists():
                shutil.rmtree(spare_dir, ignore_errors=True)
        self._spare = spare
        self._problems: set[str] = set()  # the spare's files found not as recorded
        if spare is not None:
            self.root = spare_dir
            self._target = self._verified(spare_dir, spare, spare_check)
            self._fresh = False
            # From here on the spare is being changed: no state may vouch for it any more.
            spare_state_path(self.out_dir).unlink(missing_ok=True)
        else:
            self.root = sibling_tempdir(self.out_dir, FRESH_TREE)
            self._target = FileTable()
            self._fresh = True
        # Paths of files as strings, not pathlib's (10 us a path here, for every file linked or written).
        self._root_prefix, self._live_prefix = f"{self.root}{os.sep}", f"{self.out_dir}{os.sep}"
        self._new = FileTable()
        self._keys: dict[str, str | None] = {}
        self._kept: set[str] = set()
        self._written: dict[bytes, str] = {}  # content hash -> path of a file the running part wrote

    def _verified(self, root: Path, tree: Tree, check: SpareCheck | None) -> FileTable:
        """The spare's files as recorded; None for one that is not as recorded (to be replaced)."""
        missing, changed = check.result() if check is not None and check.tree is tree else spare_problems(root, tree)
        self._problems.update(missing, changed)
        if not missing and not changed:
            return tree.files  # the state's own record: copied before any change (`_changed_target`)
        out = tree.files.copy()
        for rel in changed:
            out.forget_entry(rel)
        for rel in missing:
            out.pop(rel)
        return out

    # -- parts -------------------------------------------------------------------------------

    def start_part(self, name: str, key: str | None) -> None:
        """A part is about to write its outputs."""
        self._keys[name] = key
        self._written.clear()  # equal bytes are linked within a part (a package by id and slug)

    def keep_parts(self, keys: dict[str, str]) -> set[str]:
        """Take over from the live tree the outputs of each part whose key (name -> key) is the
        one recorded for it; returns the names of the parts kept. A part with a file that is
        not intact is not kept: it runs. Called once, before any file is written."""
        if self._new:
            raise RuntimeError("keep_parts comes before any write")
        live = self.live.files
        # Where the spare may differ from the live tree: the files of the parts the live tree's
        # build ran and those the spare's check found not as recorded (else: any file).
        ran = self.live.unchanged_since(self._spare)
        problems: dict[str, list[str]] = {}
        for rel in self._problems:
            entry = live.get(rel)
            if entry is not None:
                problems.setdefault(entry.part, []).append(rel)
        kept: set[str] = set()
        for name, key in keys.items():
            if name not in self.live.parts or self.live.parts[name] != key:
                continue
            suspect = live.paths_of_part(name) if ran is None or name in ran else problems.get(name, ())
            linked: list[str] = []
            for rel in self._target.differing(suspect, live):
                if self._link_live(rel):
                    linked.append(rel)
                else:  # the part will run: undo the links made for it
                    for done in linked:
                        os.unlink(self._root_prefix + done)
                        self._changed_target().pop(done, None)
                    break
            else:
                kept.add(name)
                self._keys[name] = key
                self.stats.reused += len(linked)
        # The new tree's record starts as the live one's, less the files of the parts not kept
        # (or empty, when none is kept).
        if kept:
            self._new = live.copy()
            self._new.discard_parts([name for name in live.parts() if name not in kept])
        self.stats.files += len(self._new)
        self.stats.bytes += self._new.total_size()
        self._kept = kept
        return kept

    def _changed_target(self) -> FileTable:
        """The spare's record, about to be changed: copied first if it is the state's own."""
        if self._spare is not None and self._target is self._spare.files:
            self._target = self._target.copy()
        return self._target

    # -- files -------------------------------------------------------------------------------

    def write(self, path: str, data: bytes | str, part: str = "") -> None:
        """Write one file, `path` relative to the site root with '/' separators."""
        rel = check_site_path(path)
        if rel in self._new:
            raise BuildError(f"two outputs claim the same file: {rel}")
        blob = data.encode("utf-8") if isinstance(data, str) else data
        digest = content_digest(blob)
        target, live = self._target, self.live.files
        in_live = live.has_hash(rel, digest)
        if target.has_hash(rel, digest) and (not in_live or target.same_file(rel, live)):
            self._new.take(rel, target, part)
        elif in_live and self._link_live(rel):
            self._new.take(rel, live, part)
            self.stats.reused += 1
        else:
            self._new.record(rel, digest, len(blob), self._write_or_link(rel, blob, digest), part)
            self.stats.written += 1
        self.stats.files += 1
        self.stats.bytes += len(blob)

    def take_unchanged(self, files: Unchanged, part: str = "") -> None:
        """Take over the live tree's files at those paths; one that is missing or not as
        recorded is rendered and written."""
        live, target, new = self.live.files, self._target, self._new
        taken: list[str] = []
        for i, path in enumerate(files.paths):
            rel = check_site_path(path)
            if rel in new:
                raise BuildError(f"two outputs claim the same file: {rel}")
            if live.stat_of(rel) is None:
                self.write(rel, files.render(i), part)
            elif target.same_file(rel, live):
                taken.append(rel)
            elif self._link_live(rel):
                taken.append(rel)
                self.stats.reused += 1
            else:
                self.write(rel, files.render(i), part)
        if self._taken is not None:  # a worker: the parent records them from its own live table
            self._taken.append((part, taken))
        else:
            self._take_many(taken, part)

    _taken: list[tuple[str, list[str]]] | None = None  # in a worker: (part, paths) taken over as they are

    def _take_many(self, rels: list[str], part: str) -> None:
        try:
            self.stats.bytes += self._new.take_many(rels, self.live.files, part)
        except ValueError:
            seen: set[str] = set()
            for rel in rels:
                if rel in self._new or rel in seen:
                    raise BuildError(f"two outputs claim the same file: {rel}") from None
                seen.add(rel)
            raise
        self.stats.files += len(rels)

    def _clear(self, rel: str) -> None:
        """Make room for a new file at rel in the tree being prepared (never write through a link)."""
        if not self._fresh:
            try:
                os.unlink(self._root_prefix + rel)
            except FileNotFoundError:
                pass

    def _write_or_link(self, rel: str, blob: bytes, digest: bytes) -> int:
        """Write new bytes, as a hard link to a file with the same bytes the part wrote already
        if there is one (a package by id and by slug, search terms with one answer)."""
        same = self._written.get(digest)
        if same is not None:
            self._clear(rel)
            source, target = self._root_prefix + same, self._root_prefix + rel
            try:
                os.link(source, target)
                return self._new.stat_of(same)[1]
            except FileNotFoundError:
                if os.path.exists(source):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    os.link(source, target)
                    return self._new.stat_of(same)[1]
        mtime = self._write(rel, blob)
        self._written[digest] = rel  # its entry, with the mtime, is in self._new once written
        return mtime

    def _write(self, rel: str, blob: bytes) -> int:
        """Write a new file (O_EXCL: never through an existing name, which may be a hard link
        to a file of the live tree)."""
        self._clear(rel)
        target = self._root_prefix + rel
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(target, flags, 0o644)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            os.unlink(target)
            fd = os.open(target, flags, 0o644)
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view):]
            return os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)

    def _link_live(self, rel: str) -> bool:
        """Hard-link the live tree's file, if it is untouched since it was recorded."""
        recorded = self.live.files.stat_of(rel)
        if recorded is None:
            return False
        source = self._live_prefix + rel
        try:
            st = os.stat(source)
            if (st.st_size, st.st_mtime_ns) != recorded:
                return False
            self._clear(rel)
            target = self._root_prefix + rel
            try:
                os.link(source, target)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(source, target)
        except OSError:
            return False
        return True

    # -- workers -----------------------------------------------------------------------------

    def begin_worker(self) -> None:
        """In a new worker process: start accounting afresh (the parent keeps what it has done)."""
        self._new, self._keys, self.stats, self._written = FileTable(), {}, WriteStats(), {}
        self._taken = []

    def take_worker_results(self) -> tuple[FileTable, dict[str, str | None], WriteStats, list]:
        """In a worker process: hand over (and forget) what this process wrote, and the paths
        it took over from the live tree as they are (the parent has their records already)."""
        results = self._new, self._keys, self.stats, self._taken
        self._new, self._keys, self.stats, self._taken = FileTable(), {}, WriteStats(), []
        return results

    def merge_worker_results(self, new: FileTable, keys: dict[str, str | None],
                             stats: WriteStats, taken: list[tuple[str, list[str]]]) -> None:
        """In the parent: account for the files a worker process wrote into the same tree."""
        clash = [rel for rel in new if rel in self._new] if self._new else []
        if clash:
            raise BuildError(f"two outputs claim the same file: {min(clash)}")
        if self._new:
            self._new.update(new)
        else:
            self._new = new  # the first worker's record, taken as it is: no copy
        self._keys.update(keys)
        self.stats.add(stats)
        for part, rels in taken:
            self._take_many(rels, part)

    # -- the swap ------------------------------------------------------------------------------

    memo: dict | None = None  # the stages' notes about the new tree (kept with the state), if any

    def commit(self) -> None:
        """Remove what the new tree does not have, swap it in, keep the old one as the spare."""
        for rel in self._target.paths_not_in(self._new):
            try:
                os.unlink(self._root_prefix + rel)
            except FileNotFoundError:
                continue
            _prune_empty_dirs(self.root, rel)
        self.stats.removed = len(self.live.files.paths_not_in(self._new))
        spare_dir, spare_state = spare_path(self.out_dir), spare_state_path(self.out_dir)
        spare_state.unlink(missing_ok=True)
        had_live = self.out_dir.is_dir()
        replace_dir(self.root, self.out_dir, keep_old=spare_dir if had_live else None)
        after = None  # the identity of the spare's state file, if the old live tree is the spare
        if had_live and self.live.dir_id is not None and _dir_id(spare_dir) == self.live.dir_id:
            # The old live tree is the spare now: its state file (read at the start, as it was)
            # is the spare's. Its memo and inputs are not read from there.
            try:
                os.replace(state_path(self.out_dir), spare_state)
                after = self.live.read_from
                if self.memory is not None:
                    self.memory.moved(state_path(self.out_dir), spare_state)
            except FileNotFoundError:  # removed behind the build's back: the spare is not vouched for
                pass
        elif spare_dir.exists():
            shutil.rmtree(spare_dir, ignore_errors=True)
        live = Tree(_dir_id(self.out_dir), self._new, self._keys, frozenset(self._keys.keys() - self._kept), after)
        self._unsaved = BuildState(self.inputs, live, None, self.memo or {})
        if not self.save_later:
            self.save_state()

    save_later = False  # commit leaves the new live tree's state to `save_state`
    _unsaved: BuildState | None = None

    def save_state(self) -> None:
        """Write the new live tree's state (commit does, unless `save_later`). Until it is
        written, the live tree has none: a build meanwhile would build afresh."""
        state, self._unsaved = self._unsaved, None
        if state is None:
            return
        path = state_path(self.out_dir)
        if self.memory is None:  # the notes are written one by one, never joined
            write_file_atomic(path, state.json_chunks())
            return
        memo = memo_json(state.memo)
        write_file_atomic(path, state.json_chunks(memo))
        state.memo = orjson.loads(memo)  # held as the next build would read it: as the JSON gives them
        state.live.files.compact()  # the next build's record starts as a copy of it
        self.memory.hold(path, _file_identity(path), state)

    def abort(self) -> None:
        if self._fresh:
            shutil.rmtree(self.root, ignore_errors=True)
        # a spare changed half-way stays on disk, but the state no longer vouches for it

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def _prune_empty_dirs(root: Path, rel: str) -> None:
    """Remove the folders of a removed file that are now empty, innermost first."""
    parent = PurePosixPath(rel).parent
    while parent.parts:
        try:
            os.rmdir(root / parent)
        except OSError:
            return
        parent = parent.parent
