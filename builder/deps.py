"""What the outputs of a part of the build are made from, as digests: the basis of incremental builds.

A part's key digests everything its outputs depend on: the builder's code and settings, the
templates it renders (with every template they extend, include or import), the static files
whose content hashes its pages link, and the snapshot records it reads. When a part's key
equals the one the last build recorded, its outputs are taken over without running it.

A record's digest is that of the snapshot line it was loaded from (a record is a function of its
line), or, for a record made otherwise, of the record itself (orjson encodes the dataclasses):
either way a change anywhere in a record changes its digest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .settings import Settings

if TYPE_CHECKING:
    from .model import Snapshot

BUILDER_DIR = Path(__file__).resolve().parent

Piece = bytes | str | int | None
# {% extends "x" %}, {% include 'x' %}, {% import "x" as y %}, {% from "x" import y %}
_REFERENCE = re.compile(r"""{%[-+]?\s*(extends|include|import|from)\s+(["'])(.+?)\2""")
_DYNAMIC_REFERENCE = re.compile(r"""{%[-+]?\s*(extends|include|import|from)\s+[^\s"']""")
ABSENT = bytes(16)  # the digest standing for a record that does not exist


def digest(*pieces: Piece) -> bytes:
    """One digest of a sequence of pieces (each framed, so ('ab', 'c') != ('a', 'bc'))."""
    framed: list[bytes] = []  # hashed in one call: a key has up to a few hundred pieces
    add = framed.append
    for piece in pieces:
        if type(piece) is bytes:
            add(_FRAMES.get(len(piece)) or b"b%d:" % len(piece))
        else:
            piece = repr(piece).encode()
            add(b"r%d:" % len(piece))
        add(piece)
    return hashlib.blake2b(b"".join(framed), digest_size=16).digest()


_FRAMES = {n: b"b%d:" % n for n in range(0, 257)}  # the frames of short pieces (digests), made once


def tree_digest(root: Path, suffix: str | None = None) -> bytes:
    """A digest of every file under root (of that suffix, if given), names and bytes."""
    h = hashlib.sha256()
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            if suffix and path.suffix != suffix:
                continue
            h.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.digest()[:16]


@cache
def source_digest() -> bytes:
    """The builder's own source (read once per process: it does not change while it runs)."""
    return tree_digest(BUILDER_DIR, ".py")


class Deps:
    """Digests of one build's inputs, each computed once, for the parts' keys."""

    def __init__(self, settings: Settings, snapshot: Snapshot) -> None:
        self.settings = settings
        self.snapshot = snapshot
        self._templates: dict[tuple[Path, str], bytes] = {}

    # -- what every output depends on --------------------------------------------------

    @cached_property
    def code(self) -> bytes:
        """The builder's source and the settings (but the output folder)."""
        settings = sorted((k, str(v)) for k, v in self.settings.__dict__.items() if k != "output_dir")
        return digest(source_digest(), repr(settings))

    @cached_property
    def static(self) -> bytes:
        """Every static file: pages link them with content hashes."""
        return tree_digest(self.settings.static_dir)

    @cached_property
    def content(self) -> bytes:
        return tree_digest(self.settings.content_dir)

    def templates(self, *names: str, root: Path | None = None) -> bytes:
        """The named templates with everything they extend, include or import, transitively.

        A template that names another with an expression (not a string constant) makes the
        digest cover every template, since which one it uses cannot be known without rendering."""
        root = root or self.settings.templates_dir
        return digest(*(self._template(root, name) for name in sorted(names)))

    def _template(self, root: Path, name: str) -> bytes:
        found = self._templates.get((root, name))
        if found is None:
            found = self._templates[root, name] = digest(*self._closure(root, name))
        return found

    def _closure(self, root: Path, name: str) -> list[Piece]:
        seen: dict[str, bytes] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            source = (root / current).read_bytes()
            seen[current] = source
            text = source.decode("utf-8")
            if _DYNAMIC_REFERENCE.search(text):
                return [tree_digest(root)]
            todo.extend(m.group(3) for m in _REFERENCE.finditer(text))
        return [piece for ref in sorted(seen) for piece in (ref, seen[ref])]

    # -- the snapshot ----------------------------------------------------------------------

    @cached_property
    def manifest(self) -> bytes:
        """The manifest (source, fetch time, counts): shown in every page's footer."""
        return digest(orjson.dumps(self.snapshot.manifest))

    @cached_property
    def packages(self) -> dict[int, bytes]:
        return self._digests("packages")

    @cached_property
    def grids(self) -> dict[int, bytes]:
        return self._digests("grids")

    @cached_property
    def categories(self) -> dict[int, bytes]:
        return self._digests("categories")

    def _digests(self, kind: str) -> dict[int, bytes]:
        """id -> digest of each record of a kind: the digest of the line it was loaded from, for
        a record that is still the one loaded (a fifth of the cost of encoding it), else of the
        record encoded."""
        lines = self.snapshot.line_digests.get(kind, {})
        out = {}
        for i, record in getattr(self.snapshot, kind).items():
            loaded = lines.get(i)
            out[i] = loaded[1] if loaded is not None and loaded[0] is record else digest(orjson.dumps(record))
        return out

    def collection(self, kind: str) -> bytes:
        """Every record of a kind ('packages', 'grids', 'categories'), and which ids exist."""
        return self._collections[kind]

    @cached_property
    def _collections(self) -> dict[str, bytes]:
        return {kind: digest(b"".join(i.to_bytes(8, "big") + d for i, d in getattr(self, kind).items()))
                for kind in ("packages", "grids", "categories")}

    @cached_property
    def snapshot_digest(self) -> bytes:
        """The whole snapshot: for outputs that show all of it (lists, feeds, search, sitemaps)."""
        snap = self.snapshot
        return digest(self.manifest, self.collection("packages"), self.collection("grids"),
                      self.collection("categories"), orjson.dumps(snap.search_rows), orjson.dumps(snap.history))

    def records(self, kind: str, ids: Iterable[int]) -> bytes:
        """The records of those ids, in that order (their digests joined; an id without a record
        counts as absent)."""
        table: dict[int, bytes] = getattr(self, kind)
        try:
            return b"".join(map(table.__getitem__, ids))
        except KeyError:
            return b"".join([table.get(i, ABSENT) for i in ids])

    def key(self, *pieces: Piece) -> str:
        """A part's key: the code and settings plus the given pieces."""
        return digest(self.code, *pieces).hex()
