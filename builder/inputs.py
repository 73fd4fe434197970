"""A fingerprint of everything a build reads, so an unchanged build can be skipped at once.

The inputs are the snapshot files, the templates, static files and Markdown content, the
settings, SOURCE_DATE_EPOCH and the builder's own source: a change to any of them changes
the fingerprint.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .settings import Settings

BUILDER_DIR = Path(__file__).resolve().parent


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def input_fingerprint(settings: Settings) -> str:
    """A hash of every input of a build of `settings`."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr(sorted((k, str(v)) for k, v in settings.__dict__.items() if k != "output_dir")).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())  # the report shows the build time
    for label, root in (("data", settings.data_dir), ("templates", settings.templates_dir),
                        ("static", settings.static_dir), ("content", settings.content_dir),
                        ("builder", BUILDER_DIR)):
        if not root.is_dir():
            continue
        for path in _files(root):
            if label == "builder" and path.suffix != ".py":
                continue
            digest.update(f"\0{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
