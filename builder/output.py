"""Writing the built site: a fresh tree beside `site/`, swapped in at once when complete.

Files whose bytes did not change since the previous build are hard-linked from it
instead of written again, so their mtimes stay put and a CDN deploy (which compares
content hashes) uploads only what changed. The previous build's content hashes live in
a small state file beside the output folder (`.site-state.json`), never inside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType

from .errors import BuildError
from .fsutil import replace_dir, sibling_tempdir, write_file_atomic


def check_site_path(path: str) -> str:
    """Refuse output paths that would escape the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        raise BuildError(f"refusing to write outside the site folder: {path!r}")
    return str(pure)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def state_path(out_dir: Path) -> Path:
    """Where the content hashes of the last build of `out_dir` are kept."""
    return out_dir.parent / f".{out_dir.name}-state.json"


@dataclass
class BuildState:
    """What the last build of an output folder wrote: its inputs' fingerprint and its files."""

    inputs: str | None
    files: dict[str, list]  # path -> [content hash, size, mtime_ns]

    def output_intact(self, out_dir: Path) -> bool:
        """True when every file of the last build is still there, untouched."""
        for rel, (_, size, mtime) in self.files.items():
            try:
                st = os.stat(out_dir / rel)
            except OSError:
                return False
            if st.st_size != size or st.st_mtime_ns != mtime:
                return False
        return bool(self.files)


def read_state(out_dir: Path) -> BuildState:
    """The state of the last build of `out_dir` (empty when unknown or unreadable)."""
    try:
        state = json.loads(state_path(out_dir).read_text(encoding="utf-8"))
        return BuildState(state.get("inputs"), dict(state["files"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return BuildState(None, {})


@dataclass
class WriteStats:
    files: int = 0
    bytes: int = 0
    written: int = 0
    reused: int = 0
    removed: int = 0
    paths: set[str] = field(default_factory=set)


class SiteWriter:
    """Collects output files in a temporary folder; `commit()` swaps it in for the output folder.

    Used as a context manager: on an exception the temporary folder is removed and the
    existing output folder is left untouched.
    """

    def __init__(self, out_dir: Path, inputs: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.inputs = inputs
        self.root = sibling_tempdir(self.out_dir, "build")
        self.stats = WriteStats()
        self._old = read_state(self.out_dir).files if self.out_dir.is_dir() else {}
        self._new: dict[str, list] = {}


    def write(self, path: str, data: bytes | str) -> None:
        """Write one file, `path` relative to the site root with '/' separators."""
        rel = check_site_path(path)
        if rel in self._new:
            raise BuildError(f"two outputs claim the same file: {rel}")
        blob = data.encode("utf-8") if isinstance(data, str) else data
        digest = content_hash(blob)
        target = self.root / rel
        if not self._reuse(rel, digest, target):
            try:
                target.write_bytes(blob)
            except FileNotFoundError:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blob)
            self.stats.written += 1
        st = target.stat()
        self._new[rel] = [digest, st.st_size, st.st_mtime_ns]
        self.stats.files += 1
        self.stats.bytes += len(blob)

    def _reuse(self, rel: str, digest: str, target: Path) -> bool:
        """Hard-link the previous build's file when its bytes are the same and it is untouched."""
        old = self._old.get(rel)
        if not old or old[0] != digest:
            return False
        source = self.out_dir / rel
        try:
            st = source.stat()
            if st.st_size != old[1] or st.st_mtime_ns != old[2]:
                return False
            try:
                os.link(source, target)
            except FileNotFoundError:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
        except OSError:
            return False
        self.stats.reused += 1
        return True

    def take_worker_results(self) -> tuple[dict[str, list], WriteStats]:
        """In a worker process: hand over (and forget) what this process wrote."""
        new, stats = self._new, self.stats
        self._new, self.stats = {}, WriteStats()
        return new, stats

    def merge_worker_results(self, new: dict[str, list], stats: WriteStats) -> None:
        """In the parent: account for the files a worker process wrote into the same tree."""
        clash = self._new.keys() & new.keys()
        if clash:
            raise BuildError(f"two outputs claim the same file: {min(clash)}")
        self._new.update(new)
        for name in ("files", "bytes", "written", "reused"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(stats, name))

    def copy_tree(self, source: Path, prefix: str) -> None:
        """Copy a folder of assets (sorted, so the order of writes is stable)."""
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            self.write(f"{prefix}/{path.relative_to(source).as_posix()}", path.read_bytes())

    def commit(self) -> None:
        self.stats.removed = len(self._old.keys() - self._new.keys())
        self.stats.paths = set(self._new)
        replace_dir(self.root, self.out_dir)
        state = {"inputs": self.inputs, "files": dict(sorted(self._new.items()))}
        write_file_atomic(state_path(self.out_dir), json.dumps(state, separators=(",", ":")).encode())

    def abort(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
