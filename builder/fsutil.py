"""Filesystem helpers: atomic replacement of whole folders and single files."""

from __future__ import annotations

import ctypes
import ctypes.util
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


def sibling_tempdir(target: Path, label: str) -> Path:
    """A new empty folder beside target (same filesystem, so a rename can swap them)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{target.name}-{label}-", dir=target.parent))
    path.chmod(0o755)  # mkdtemp makes it private; the result is a normal, readable folder
    return path


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
