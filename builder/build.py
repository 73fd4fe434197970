"""The build: load the snapshot, run each render stage into a SiteWriter, swap the result in."""

from __future__ import annotations

import filecmp
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .model import Snapshot
from .output import SiteWriter, WriteStats
from .settings import Settings
from .snapshot import load_snapshot

Output = tuple[str, bytes | str]


@dataclass(frozen=True)
class BuildContext:
    """What every render stage receives."""

    settings: Settings
    snapshot: Snapshot


Stage = Callable[[BuildContext], Iterable[Output]]


@dataclass(frozen=True)
class BuildResult:
    stats: WriteStats
    seconds: float
    output_dir: Path

    @property
    def files_written(self) -> int:
        return self.stats.files

    @property
    def bytes_written(self) -> int:
        return self.stats.bytes


def stages() -> list[tuple[str, Stage]]:
    """The render stages, in order. Imported here so each stage module stays independent."""
    from . import render_pages

    found: list[tuple[str, Stage]] = [("pages", render_pages.render)]
    try:  # the API stage plugs in once builder/api/ exists
        from .api import render as render_api
    except ImportError:
        pass
    else:
        found.append(("api", render_api.render))
    from . import report

    found.append(("report", report.render))
    from . import search

    found.append(("search", search.render))
    return found


def build(settings: Settings, *, progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the whole site from settings.data_dir into settings.output_dir."""
    started = time.perf_counter()
    snapshot = load_snapshot(settings.data_dir)
    context = BuildContext(settings, snapshot)
    with SiteWriter(settings.output_dir) as writer:
        for name, stage in stages():
            if progress:
                progress(name)
            for path, data in stage(context):
                writer.write(path, data)
    return BuildResult(writer.stats, time.perf_counter() - started, settings.output_dir)


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


def check_build(settings: Settings) -> list[str]:
    """Build afresh into a temporary folder and list how the existing output differs from it."""
    scratch = Path(tempfile.mkdtemp(prefix="site-check-"))
    try:
        fresh = Settings(**{**settings.__dict__, "output_dir": scratch / "site"})
        build(fresh)
        return compare_trees(scratch / "site", settings.output_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
