"""`python build.py serve --watch`: build again whenever an input changes, for an edit-and-preview
loop. The inputs are looked at by `stat` alone (size and mtime of each file, a few hundred files),
at once when the kernel reports a change (inotify), else every 0.15 s: the build itself decides,
from content digests, what actually has to be rendered again. The
builds run in one long-lived process of their own (`BuildProcess`), which keeps its imports and
the snapshot it loaded last."""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .deps import BUILDER_DIR
from .errors import BuildError
from .serve import PreviewServer
from .settings import DEFAULT_SETTINGS_FILE, Settings, load_settings

Signature = tuple[tuple[str, int, int], ...]


def input_roots(settings: Settings, settings_file: Path | None = None) -> list[Path]:
    """The files and folders a build reads, the builder's own code included."""
    return [settings_file or DEFAULT_SETTINGS_FILE, settings.data_dir, settings.templates_dir,
            settings.static_dir, settings.content_dir, BUILDER_DIR]


def input_signature(roots: Iterable[Path]) -> Signature:
    """(path, size, mtime) of every file under `roots` (files or folders), in a stable order."""
    found: list[tuple[str, int, int]] = []
    for root in roots:
        for path in _files(Path(root)):
            try:
                st = os.stat(path)
            except OSError:  # removed while we looked: the next look sees it gone
                continue
            found.append((path, st.st_size, st.st_mtime_ns))
    return tuple(found)


def _files(root: Path) -> list[str]:
    if root.is_file():
        return [str(root)]
    out: list[str] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")  # written by imports
        out.extend(os.path.join(folder, name) for name in sorted(names))
    return out


SETTLE = 0.03  # seconds with no change reported after which a writer is taken to be done


def watch(signature: Callable[[], object], rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 0.15, wake: Callable[[float], bool] | None = None) -> None:
    """Call `rebuild()` whenever `signature()` changes, until `stop` is set.

    The signature is looked at every `interval`, and at once when `wake(timeout)` (which waits
    up to timeout for a report that a file may have changed, see `InputEvents`) says one came.
    A change is acted on once the signature has held still across a wait with no report (for
    SETTLE; without reports, for one `interval`): an editor or a crawl writes in several steps.
    A change made while `rebuild` runs leads to another rebuild, since the signature compared
    next is the one taken before it started."""
    last = signature()
    while _wait(stop, wake, interval) is not None:
        current = signature()
        if current == last:
            continue
        while True:  # let the writer finish
            woke = _wait(stop, wake, SETTLE if wake else interval)
            if woke is None:
                return
            settled = signature()
            if settled == current and not woke:
                break
            current = settled
        last = current
        rebuild()


def _wait(stop: threading.Event, wake: Callable[[float], bool] | None, seconds: float) -> bool | None:
    """Wait `seconds`, or less if `wake` reports a change first: whether it did (None once `stop`
    is set)."""
    if wake is None:
        return None if stop.wait(seconds) else False
    woke = wake(seconds)
    return None if stop.is_set() else woke


class InputEvents:
    """Reports from the kernel (inotify, Linux) that a file under the input roots may have
    changed, so that the watch loop looks at once rather than at its next poll. A folder added
    under a watched one is watched from then on; anything a watch misses (a file replaced under
    a watched file's name) the poll still finds."""

    def __init__(self, roots: Iterable[Path]) -> None:
        from inotify_simple import INotify, flags

        from .idlecheck import change_events

        self._flags = flags
        self._mask = change_events(flags)
        self._inotify = INotify()
        self._folders: dict[int, str] = {}  # watch -> the folder it watches
        try:
            for root in roots:
                root = Path(root)
                if root.is_file():
                    self._inotify.add_watch(root, self._mask)
                elif root.is_dir():
                    for folder, subfolders, _ in os.walk(root):
                        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
                        self._watch(folder)
        except OSError:  # no more watches to be had: none at all
            self._inotify.close()
            raise

    @classmethod
    def of(cls, roots: Iterable[Path]) -> InputEvents | None:
        """Reports for those roots, or None where the kernel cannot give them."""
        try:
            return cls(roots)
        except (ImportError, OSError):
            return None

    def _watch(self, folder: str) -> None:
        self._folders[self._inotify.add_watch(folder, self._mask | self._flags.ONLYDIR)] = folder

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a report; whether one came."""
        events = self._inotify.read(timeout=int(timeout * 1000))
        for event in events:
            if event.mask & self._flags.ISDIR and event.mask & (self._flags.CREATE | self._flags.MOVED_TO) \
                    and event.wd in self._folders and event.name != "__pycache__":
                try:
                    self._watch(os.path.join(self._folders[event.wd], event.name))
                except OSError:  # gone again
                    pass
        return bool(events)

    def close(self) -> None:
        self._inotify.close()


def serve_and_watch(server: PreviewServer, roots: list[Path], build: Callable[[], bool],
                    say: Callable[[str], object] = print) -> None:
    """Serve in a thread, and call `build()` whenever a file under `roots` changes; after a build
    that succeeds, the server reads the site's rules again. Runs until Ctrl-C, which it lets
    through, with the server shut down."""
    def rebuild() -> None:
        say("An input changed: building ...")
        if build():
            server.reload()

    threading.Thread(target=server.serve_forever, daemon=True).start()
    events = InputEvents.of(roots)
    try:
        watch(lambda: input_signature(roots), rebuild, threading.Event(), wake=events.wait if events else None)
    finally:
        server.shutdown()
        if events is not None:
            events.close()


class BuildProcess:
    """Runs builds, one at a time, in a long-lived process of its own, started afresh (not forked:
    a server's threads must not be copied into the build's workers). The process keeps what the
    last build loaded (`build.Resident`): the next build takes over the records of the snapshot
    lines that did not change instead of parsing them again. A process that dies, or whose code
    changed since it started (a maintainer editing `builder/`), is started again at the next
    build."""

    def __init__(self, settings_file: Path | None = None, **overrides: Any) -> None:
        self._args = (settings_file, overrides)
        self._process: Any = None
        self._conn: Connection | None = None
        self._code: Signature = ()  # the builder's code when the process started

    def build(self) -> tuple[bool, str]:
        """Build once: (whether it succeeded, its summary or its error)."""
        if self._process is None or not self._process.is_alive() or code_signature() != self._code:
            self._start()
        assert self._conn is not None
        try:
            self._conn.send("build")
            return self._conn.recv()
        except (EOFError, OSError):
            self._process.join()
            code = self._process.exitcode
            self.close()
            return False, f"the build process died (exit code {code}); the next build starts a new one"

    def _start(self) -> None:
        self.close()  # one that died between builds, or runs code that changed
        self._code = code_signature()
        ctx = multiprocessing.get_context("spawn")
        self._conn, theirs = ctx.Pipe()
        # Not a daemon: daemons may not have children, and builds fork workers. `close` ends it.
        self._process = ctx.Process(target=_serve_builds, args=(theirs, *self._args))
        self._process.start()
        theirs.close()

    def close(self) -> None:
        """End the process once it has read the request to stop, or after a second (a build still
        running is killed: the live site is never half-written)."""
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
        if self._process is not None:
            self._process.join(timeout=1)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def code_signature() -> Signature:
    """The builder's own source files, by `stat`."""
    return input_signature([BUILDER_DIR])


def _serve_builds(conn: Connection, settings_file: Path | None, overrides: dict[str, Any]) -> None:
    from .build import Resident, build

    resident = Resident()
    try:
        while conn.recv() is not None:
            try:  # the settings are read again each time: site.yml is an input too
                result = build(load_settings(settings_file, **overrides), resident=resident)
                conn.send((True, result.summary()))
            except BuildError as exc:
                conn.send((False, f"Error: {exc.format_message()}"))
            except Exception:  # a bug: shown in full, and the next build tries again
                conn.send((False, traceback.format_exc()))
    except (EOFError, KeyboardInterrupt):  # the watch ended (Ctrl-C reaches this process too)
        pass
    finally:
        resident.close()
