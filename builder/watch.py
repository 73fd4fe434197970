"""`python build.py serve --watch`: build again whenever an input changes, for an edit-and-preview
loop. The inputs are looked at by `stat` alone (size and mtime of each file, a few hundred files):
the build itself decides, from content digests, what actually has to be rendered again."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from .serve import PreviewServer
from .settings import DEFAULT_SETTINGS_FILE, Settings

Signature = tuple[tuple[str, int, int], ...]


def input_roots(settings: Settings, settings_file: Path | None = None) -> list[Path]:
    """The files and folders a build reads, bar the builder's own code."""
    return [settings_file or DEFAULT_SETTINGS_FILE, settings.data_dir, settings.templates_dir,
            settings.static_dir, settings.content_dir]


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
        subfolders.sort()
        out.extend(os.path.join(folder, name) for name in sorted(names))
    return out


def watch(signature: Callable[[], object], rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 0.3) -> None:
    """Call `rebuild()` whenever `signature()` changes, until `stop` is set.

    A change is acted on once the signature has held still for one `interval` (an editor or a
    crawl writes its files in several steps). A change made while `rebuild` runs leads to
    another rebuild, since the signature compared next is the one taken before it started."""
    last = signature()
    while not stop.wait(interval):
        current = signature()
        if current == last:
            continue
        while not stop.wait(interval):  # let the writer finish
            settled = signature()
            if settled == current:
                break
            current = settled
        if stop.is_set():
            return
        last = current
        rebuild()


def serve_and_watch(server: PreviewServer, roots: list[Path], build: Callable[[], bool],
                    say: Callable[[str], object] = print, stop: threading.Event | None = None) -> None:
    """Serve in a thread, and call `build()` whenever a file under `roots` changes; after a build
    that succeeds, the server reads the site's rules again. Returns once `stop` is set (or on
    Ctrl-C, which it lets through), with the server shut down."""
    def rebuild() -> None:
        say("An input changed: building ...")
        if build():
            server.reload()

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        watch(lambda: input_signature(roots), rebuild, stop or threading.Event())
    finally:
        server.shutdown()
