"""Writing the built site: every file goes into a fresh folder that then replaces `site/` at once."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from types import TracebackType

from .errors import BuildError
from .fsutil import replace_dir, sibling_tempdir


def check_site_path(path: str) -> str:
    """Refuse output paths that would escape the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        raise BuildError(f"refusing to write outside the site folder: {path!r}")
    return str(pure)


class SiteWriter:
    """Collects output files in a temporary folder; `commit()` swaps it in for the output folder.

    Used as a context manager: on an exception the temporary folder is removed and the
    existing output folder is left untouched.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.root = sibling_tempdir(self.out_dir, "build")
        self.files_written = 0
        self.bytes_written = 0
        self._seen: set[str] = set()

    def write(self, path: str, data: bytes | str) -> None:
        """Write one file, `path` relative to the site root with '/' separators."""
        rel = check_site_path(path)
        if rel in self._seen:
            raise BuildError(f"two outputs claim the same file: {rel}")
        self._seen.add(rel)
        blob = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / rel
        try:
            target.write_bytes(blob)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        self.files_written += 1
        self.bytes_written += len(blob)

    def copy_tree(self, source: Path, prefix: str) -> None:
        """Copy a folder of assets (sorted, so the order of writes is stable)."""
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            self.write(f"{prefix}/{path.relative_to(source).as_posix()}", path.read_bytes())

    def commit(self) -> None:
        replace_dir(self.root, self.out_dir)

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
