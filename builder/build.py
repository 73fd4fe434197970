"""The build: load the snapshot, run each render stage into a SiteWriter, swap the result in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .model import Snapshot
from .output import SiteWriter
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
    files_written: int
    bytes_written: int
    seconds: float
    output_dir: Path


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
    return BuildResult(writer.files_written, writer.bytes_written,
                       time.perf_counter() - started, settings.output_dir)
