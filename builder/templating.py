"""What the build's Jinja environments share: a cache of compiled templates between builds."""

from __future__ import annotations

import hashlib

import jinja2
from jinja2.bccache import Bucket


class _Cache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, but it never fails the build: a cache file that cannot be read
    (damaged) is compiled again, one that cannot be written (a full disk, a folder removed
    meanwhile) leaves the template compiled for this build only."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - whatever a damaged file makes pickle or marshal raise
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache(**options: object) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds, so a build compiles only the templates that
    changed (compiling them all is a tenth of a second in every worker). They are kept in
    Jinja's own per-user folder, which it checks is private (None where it cannot tell, or
    cannot make it). A compiled template depends on the environment's options and Jinja's
    version, which Jinja's own key (the template's file name and source) leaves out: they name
    the files here."""
    tag = hashlib.sha256(repr((jinja2.__version__, sorted(options.items()))).encode()).hexdigest()[:16]
    try:
        return _Cache(pattern=f"__djangopackages_static_{tag}_%s.cache")
    except (RuntimeError, OSError):  # no private temporary folder to be had
        return None
