"""Filesystem helpers: atomic replacement of whole folders and single files, and a folder's lock."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

_RENAME_EXCHANGE = 2


@cache
def _renameat2() -> Callable[..., int] | None:
    """libc's renameat2, if it has one (finding libc runs `ldconfig`: once a process)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _tempdir_prefix(target: Path, label: str) -> str:
    return f".{target.name}-{label}-"


def sibling_tempdir(target: Path, label: str) -> Path:
    """A new empty folder beside target (same filesystem, so a rename can swap them)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=_tempdir_prefix(target, label), dir=target.parent))
    path.chmod(0o755)  # mkdtemp makes it private; the result is a normal, readable folder
    return path


def sibling_tempdirs(target: Path, label: str) -> list[Path]:
    """The folders `sibling_tempdir(target, label)` made that are still there, by name."""
    pattern = glob.escape(_tempdir_prefix(target, label)) + "*"
    return sorted(p for p in target.parent.glob(pattern) if p.is_dir() and not p.is_symlink())


def replace_dir(new: Path, target: Path, keep_old: Path | None = None) -> None:
    """Put folder `new` in place of `target`, so a reader sees the old or the new tree, never a mix.

    The old tree is moved to `keep_old` (which must not exist, unless it is `new` itself) or
    deleted. Uses an atomic exchange where the kernel has one; elsewhere two renames, with a
    window of microseconds in which `target` does not exist.
    """
    if target.exists() and not target.is_symlink():
        if _exchange(new, target):  # the old tree is now at `new`
            if keep_old is None:
                shutil.rmtree(new, ignore_errors=True)
            elif keep_old != new:
                os.rename(new, keep_old)
            return
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(new, target)
        if keep_old is None:
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, keep_old)
    else:
        os.rename(new, target)


def write_file_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write bytes (or pieces of bytes, one after the other) through a temporary file and a
    rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.writelines([data] if isinstance(data, bytes) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class FolderLock:
    """One process at a time makes a folder: an `flock` on `.<name>.lock` beside it, held while
    the `with` block runs (or until `release`). The kernel lets go of it when its holder ends,
    however it ends, so a killed build leaves no stale lock. When another process holds it,
    `waiting(pid)` is called (the holder's process id, as it wrote it in the file, or None) and
    this one waits its turn. Forked children share the lock: it is let go of once the last of
    them closes it.

    `shared`: for reading the folder, beside other readers, while no one replaces it. Where no
    lock file can be made (a read-only snapshot), a reader goes on without one: nothing of its
    own replaces that folder."""

    def __init__(self, target: Path, waiting: Callable[[int | None], None] | None = None,
                 shared: bool = False) -> None:
        self.path = target.parent / f".{target.name}.lock"
        self.waiting = waiting
        self.mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            if self.mode == fcntl.LOCK_SH:
                return self
            raise
        try:
            try:
                fcntl.flock(fd, self.mode | fcntl.LOCK_NB)
            except BlockingIOError:
                if self.waiting is not None:
                    self.waiting(_holder(fd))
                fcntl.flock(fd, self.mode)
            if self.mode == fcntl.LOCK_EX:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """Let go of the lock before the `with` block ends."""
        fd, self._fd = self._fd, None
        if fd is not None:
            if self.mode == fcntl.LOCK_EX:
                os.ftruncate(fd, 0)  # names no holder once let go of (readers write no id)
            os.close(fd)  # lets go of the lock (the file stays: removing it would race a waiter)

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(fd: int) -> int | None:
    """The process id the lock's holder wrote in its file, if it has written one yet."""
    try:
        return int(os.pread(fd, 20, 0))
    except ValueError:
        return None
