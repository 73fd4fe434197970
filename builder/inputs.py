"""A fingerprint of everything a build reads, so an unchanged build can be skipped at once.

The inputs are the snapshot files, the templates, static files and Markdown content, the
settings, SOURCE_DATE_EPOCH and the builder's own source: a change to any of them changes
the fingerprint.
"""

from __future__ import annotations

import hashlib
import os

from .deps import source_digest, tree_digest
from .settings import Settings


def input_fingerprint(settings: Settings) -> str:
    """A hash of every input of a build of `settings`."""
    digest = hashlib.sha256()
    digest.update(repr(sorted((k, str(v)) for k, v in settings.__dict__.items() if k != "output_dir")).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())  # the report shows the build time
    for root in (settings.data_dir, settings.templates_dir, settings.static_dir, settings.content_dir):
        digest.update(tree_digest(root))
    digest.update(source_digest())
    return digest.hexdigest()
