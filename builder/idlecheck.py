"""The spare tree's check, done while a resident process waits for the next change.

Before a build takes over the spare tree's files it checks that each is as recorded: one `stat`
a file, 0.2 s at 6,000 packages, at the start of every build (`output.SpareCheck`). A process
that builds again and again (`serve --watch`, `build.Resident`) does it between builds
instead. Once a build has swapped its trees in, a thread asks the kernel to report any change
in the folders of either tree (inotify, Linux), then checks the spare's files. The next build
trusts that check when nothing was reported since; otherwise (a file edited, a folder added or
removed, another process's build, a check not finished, no inotify to be had) it checks the
spare as any build does.

Both trees are watched: most of their files are one file under two names (hard links), and
the kernel reports a change under the name it was made through.

The thread then does what else its caller asked (`then`): the build has the stages prepare, from
the snapshot and state just built, what their next parts start from (see `build.warm_stages`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from .output import BuildState, StateMemory, Tree, _dir_id, files_not_as_recorded, read_state, spare_path

CHECK_STOP_EVERY = 1024  # files stat'ed, or folders watched, between looks at the stop flag


def watch_budget() -> int:
    """How many folders the check may watch: a quarter of the watches this user may have, so
    that editors and other tools keep theirs."""
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text()) // 4
    except (OSError, ValueError):
        return 8192 // 4  # the kernel's default before 5.11


def change_events(flags: Any) -> int:
    """The inotify events (of `inotify_simple.flags`) that may mean a file or folder changed."""
    return (flags.MODIFY | flags.ATTRIB | flags.CLOSE_WRITE | flags.CREATE | flags.DELETE
            | flags.MOVED_FROM | flags.MOVED_TO | flags.DELETE_SELF | flags.MOVE_SELF)


def _folders(root: Path, tree: Tree) -> set[str]:
    """The folder of a tree and every folder its recorded files are in."""
    out = {str(root)}
    prefix = f"{root}/"
    for rel in tree.files:
        folder = rel.rpartition("/")[0]
        while folder and prefix + folder not in out:
            out.add(prefix + folder)
            folder = folder.rpartition("/")[0]
    return out


class IdleCheck:
    """Checks the spare tree of an output folder in a thread while no build runs, and keeps the
    check valid for as long as the kernel reports no change in either tree."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._inotify = None  # inotify_simple.INotify, once the trees are watched
        self._retired = None  # a watch a build ended, closed by the next thread (closing 17,000
        # watches takes the kernel 0.04 s at 6,000 packages: not on a build's way)
        self._trees: tuple[Tree, Tree] | None = None  # (live, spare) being checked or checked
        self._vouched: Tree | None = None  # the spare, once found as recorded

    def start(self, out_dir: Path, memory: StateMemory, save: Callable[[], None] | None = None,
              then: Callable[[BuildState, threading.Event], None] | None = None) -> None:
        """After a build of `out_dir`: watch its trees and check its spare, in a thread (unless
        a check of these very trees is already in hand). `save`, if given, writes the new live
        tree's state first: the build that swapped the trees in has returned by then. `then`,
        if given, runs last, with the live state and the event that asks it to stop early."""
        if save is None:
            state = read_state(out_dir, memory=memory)
            if self._vouched is not None and self._trees is not None and self._trees[0] is state.live \
                    and self._trees[1] is state.spare:
                return
        self._end()
        self._stop.clear()
        # Not a daemon: a process that ends without `stop` still writes the state first.
        self._thread = threading.Thread(target=self._run, args=(out_dir, memory, save, then), name="idle-check")
        self._thread.start()

    def _run(self, out_dir: Path, memory: StateMemory, save: Callable[[], None] | None,
             then: Callable[[BuildState, threading.Event], None] | None) -> None:
        state = self._check(out_dir, memory, save)
        if state is not None and then is not None and not self._stop.is_set():
            then(state, self._stop)

    def _check(self, out_dir: Path, memory: StateMemory, save: Callable[[], None] | None) -> BuildState | None:
        """Save the state, watch the trees, check the spare; the live state (None if not saved)."""
        self._close_retired()
        if save is not None:
            try:
                save()  # never left half-done: the next build waits for it (`pause`)
            except OSError:  # the state is not written: the next build builds afresh, and says why
                return None
        state = read_state(out_dir, memory=memory)
        live, spare = state.live, state.spare
        live.files.parts()  # the files by part, which the next build's keep step starts from, worked out now
        self._trees = (live, spare) if spare is not None else None
        if spare is None or self._stop.is_set():
            return state
        try:
            from inotify_simple import INotify, flags
        except (ImportError, OSError):  # not Linux, or no inotify_simple: the builds check the spare
            return state
        spare_dir = spare_path(out_dir)
        folders = sorted(_folders(out_dir, live) | _folders(spare_dir, spare))
        if len(folders) > watch_budget():
            return state  # too many folders (100,000 packages): the watches are left to the editor and the like
        changes = change_events(flags)
        try:
            self._inotify = inotify = INotify(nonblocking=True)
            if self._watched(inotify, folders, changes | flags.ONLYDIR | flags.DONT_FOLLOW) \
                    and self._as_recorded(spare_dir, spare):
                self._vouched = spare
        except OSError:  # no watch to be had (the system's limit), or a folder gone meanwhile
            pass
        if self._vouched is None and self._inotify is not None:  # the watches go back at once
            self._inotify.close()
            self._inotify = None
        return state

    def _watched(self, inotify: object, folders: list[str], mask: int) -> bool:
        """Watch every folder (False if stopped first)."""
        for i, folder in enumerate(folders):
            if i % CHECK_STOP_EVERY == 0 and self._stop.is_set():
                return False
            inotify.add_watch(folder, mask)  # type: ignore[attr-defined]
        return True

    def _as_recorded(self, spare_dir: Path, spare: Tree) -> bool:
        """Whether every file of the spare is as recorded (False if stopped first). Watched from
        here on: what changed before shows in the files' sizes and mtimes."""
        if _dir_id(spare_dir) != spare.dir_id:
            return False
        recorded = spare.files.sizes_and_mtimes()
        while chunk := list(islice(recorded, CHECK_STOP_EVERY)):
            if self._stop.is_set() or next(files_not_as_recorded(spare_dir, chunk), None) is not None:
                return False
        return not self._stop.is_set()

    def stop(self) -> None:
        """End the thread and the watch."""
        self._end()
        self._close_retired()

    def _end(self) -> None:
        """End the thread, forget any check (the trees are about to change, or are not known);
        the watch is retired, for the next thread to close."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._inotify is not None:
            self._close_retired()
            self._retired, self._inotify = self._inotify, None
        self._trees = self._vouched = None

    def _close_retired(self) -> None:
        if self._retired is not None:
            self._retired.close()
            self._retired = None

    def pause(self) -> None:
        """End the thread before a build starts (the build forks); a check it had not finished
        is forgotten, a finished one stays valid while nothing changes."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            if self._vouched is None:
                self._end()

    def wait(self) -> bool:
        """Wait for the thread; whether it found the spare as recorded."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self._vouched is not None

    def vouches_for(self, spare: Tree | None) -> bool:
        """Whether `spare` was found as recorded while idle, with no change reported since. Asked
        once by a build about to change the trees: the watch ends here."""
        self.pause()
        vouched = (spare is not None and spare is self._vouched and self._inotify is not None
                   and not self._inotify.read(timeout=0))
        self._end()  # what the watch reports from here on is the build's own doing
        return vouched
