"""The writer's record of a tree's files: path -> (content hash, size, mtime, part), held flat.

At 100,000 packages a site has 1.2 million files, and the writer keeps several such records
(the live tree, the spare, the tree being made). As a dict of tuples that is about 450 bytes a
file; here a file costs its path, one dict slot and 36 bytes in arrays.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import orjson

HASH_SIZE = 16  # bytes of a content hash (SHA-256, cut: see output.content_digest)
BATCH = 3 * 2**14  # files per piece of the JSON: a multiple of 3, so base64 pieces join up


class FileEntry(NamedTuple):
    hash: str  # hex
    size: int
    mtime: int  # st_mtime_ns
    part: str


class FileTable:
    """A mapping of site paths to FileEntry, or to None for a file known to be there but not as
    recorded (the writer replaces it). Removing a path leaves its row unused."""

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._paths: list[str] = []
        self._hashes = bytearray()
        self._sizes = array("q")  # -1: the path's entry is None
        self._mtimes = array("q")
        self._parts = array("i")
        self._part_names: list[str] = []
        self._part_ids: dict[str, int] = {}
        self._by_part: dict[str, list[str]] | None = None  # paths_by_part, until the table changes

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, rel: object) -> bool:
        return rel in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def keys(self):  # noqa: ANN201 - a dict keys view: supports set operations
        return self._rows.keys()

    def _entry(self, row: int) -> FileEntry | None:
        size = self._sizes[row]
        if size < 0:
            return None
        at = row * HASH_SIZE
        return FileEntry(self._hashes[at:at + HASH_SIZE].hex(), size, self._mtimes[row],
                         self._part_names[self._parts[row]])

    def get(self, rel: str, default: FileEntry | None = None) -> FileEntry | None:
        row = self._rows.get(rel)
        return default if row is None else self._entry(row)

    def __getitem__(self, rel: str) -> FileEntry | None:
        return self._entry(self._rows[rel])

    def items(self) -> Iterator[tuple[str, FileEntry | None]]:
        entry = self._entry
        for rel, row in self._rows.items():
            yield rel, entry(row)

    def total_size(self) -> int:
        sizes = [self._sizes[row] for row in self._rows.values()]
        return sum(sizes) + sizes.count(-1)  # a None entry's size is -1

    def sizes_and_mtimes(self) -> Iterator[tuple[str, int, int]]:
        """(path, size, mtime) of every entry that is not None: what a stat of the file checks."""
        sizes, mtimes = self._sizes, self._mtimes
        for rel, row in self._rows.items():
            size = sizes[row]
            if size >= 0:
                yield rel, size, mtimes[row]

    def stat_of(self, rel: str) -> tuple[int, int] | None:
        """(size, mtime) recorded for rel; None when rel is not here or its entry is None."""
        row = self._rows.get(rel)
        if row is None or self._sizes[row] < 0:
            return None
        return self._sizes[row], self._mtimes[row]

    def same_file(self, rel: str, other: FileTable) -> bool:
        """True when both tables have an entry (not None) at rel with the same hash and mtime:
        the same bytes in the same file, as recorded."""
        return not self.differing((rel,), other)

    def differing(self, rels: Iterable[str], other: FileTable) -> list[str]:
        """Those of `rels` where the two tables do not record the same file: an entry missing
        or None in either, or another hash or mtime (in one pass: a kept part checks all its
        files)."""
        out = []
        rows, theirs_rows = self._rows, other._rows
        sizes, mtimes, hashes = self._sizes, self._mtimes, self._hashes
        their_sizes, their_mtimes, their_hashes = other._sizes, other._mtimes, other._hashes
        for rel in rels:
            mine, theirs = rows.get(rel), theirs_rows.get(rel)
            if (mine is None or theirs is None or sizes[mine] < 0 or their_sizes[theirs] < 0
                    or mtimes[mine] != their_mtimes[theirs]
                    or hashes[mine * HASH_SIZE:(mine + 1) * HASH_SIZE]
                    != their_hashes[theirs * HASH_SIZE:(theirs + 1) * HASH_SIZE]):
                out.append(rel)
        return out

    def has_hash(self, rel: str, digest: bytes) -> bool:
        """True when rel has an entry (not None) whose content hash is `digest`."""
        row = self._rows.get(rel)
        return (row is not None and self._sizes[row] >= 0
                and self._hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE] == digest)

    def paths_by_part(self) -> dict[str, list[str]]:
        """part -> the paths it made, in the order they were recorded (worked out once while the
        table does not change: not to be changed by the caller)."""
        if self._by_part is not None:
            return self._by_part
        out: dict[str, list[str]] = {}
        names, parts, sizes = self._part_names, self._parts, self._sizes
        for rel, row in self._rows.items():
            if sizes[row] >= 0:
                out.setdefault(names[parts[row]], []).append(rel)
        self._by_part = out
        return out

    # -- changing ------------------------------------------------------------------------------

    def _part_id(self, part: str) -> int:
        found = self._part_ids.get(part)
        if found is None:
            found = self._part_ids[part] = len(self._part_names)
            self._part_names.append(part)
        return found

    def __setitem__(self, rel: str, entry: FileEntry | None) -> None:
        if entry is None:
            self._put(rel, bytes(HASH_SIZE), -1, 0, 0)
            return
        digest = bytes.fromhex(entry.hash)
        if len(digest) != HASH_SIZE:
            raise ValueError(f"not a {HASH_SIZE}-byte content hash: {entry.hash!r}")
        self._put(rel, digest, entry.size, entry.mtime, self._part_id(entry.part))

    def _put(self, rel: str, digest: bytes | bytearray, size: int, mtime: int, part: int) -> None:
        self._by_part = None
        row = self._rows.get(rel)
        if row is None:
            self._rows[rel] = len(self._paths)
            self._paths.append(rel)
            self._hashes += digest
            self._sizes.append(size)
            self._mtimes.append(mtime)
            self._parts.append(part)
        else:
            self._hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE] = digest
            self._sizes[row], self._mtimes[row], self._parts[row] = size, mtime, part

    def record(self, rel: str, digest: bytes, size: int, mtime: int, part: str) -> None:
        """Set rel's entry from its raw content hash."""
        if len(digest) != HASH_SIZE:
            raise ValueError(f"not a {HASH_SIZE}-byte content hash: {digest.hex()!r}")
        self._put(rel, digest, size, mtime, self._part_id(part))

    def take(self, rel: str, other: FileTable, part: str | None = None) -> int:
        """Copy other's entry at rel (which must not be None) into this table, with its part
        renamed to `part` if given; returns the file's size."""
        row = other._rows[rel]
        size = other._sizes[row]
        if size < 0:
            raise ValueError(f"no entry to take at {rel!r}")
        name = other._part_names[other._parts[row]] if part is None else part
        self._put(rel, other._hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE], size, other._mtimes[row],
                  self._part_id(name))
        return size

    def take_many(self, rels: list[str], other: FileTable, part: str) -> int:
        """`take` of each of rels (none of them here yet) with its part renamed to `part`, in
        bulk; returns the files' total size."""
        rows = list(map(other._rows.__getitem__, rels))
        sizes, mtimes, hashes = other._sizes, other._mtimes, other._hashes
        taken_sizes = list(map(sizes.__getitem__, rows))
        if taken_sizes and min(taken_sizes) < 0:
            raise ValueError("no entry to take")
        if not self._rows.keys().isdisjoint(rels) or len(set(rels)) != len(rels):
            raise ValueError("a path to take is here already, or twice")
        self._by_part = None
        start = len(self._paths)
        self._rows.update(zip(rels, range(start, start + len(rels)), strict=True))
        self._paths += rels
        self._hashes += b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in rows])
        self._sizes.extend(taken_sizes)
        self._mtimes.extend(map(mtimes.__getitem__, rows))
        self._parts.extend([self._part_id(part)] * len(rows))
        return sum(taken_sizes)

    def forget_entry(self, rel: str) -> None:
        """Keep rel but as None: known to be there, not as recorded."""
        self._by_part = None
        self._sizes[self._rows[rel]] = -1

    def compact(self) -> None:
        """Drop the rows removed paths left unused (the entries, their order and the JSON stay
        as they are). A table that is copied and changed build after build, in a process that
        builds again, would otherwise grow by every file a build replaces."""
        if len(self._rows) == len(self._paths):
            return
        rows = sorted(self._rows.values())
        paths, hashes, sizes, mtimes, parts = self._paths, self._hashes, self._sizes, self._mtimes, self._parts
        self._paths = [paths[r] for r in rows]
        self._hashes = bytearray(b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in rows]))
        self._sizes = array("q", [sizes[r] for r in rows])
        self._mtimes = array("q", [mtimes[r] for r in rows])
        self._parts = array("i", [parts[r] for r in rows])
        self._rows = dict(zip(self._paths, range(len(rows)), strict=True))

    def copy(self) -> FileTable:
        """An independent table with the same entries."""
        table = FileTable()
        table._rows, table._paths = dict(self._rows), list(self._paths)
        table._hashes, table._sizes = bytearray(self._hashes), array("q", self._sizes)
        table._mtimes, table._parts = array("q", self._mtimes), array("i", self._parts)
        table._part_names, table._part_ids = list(self._part_names), dict(self._part_ids)
        return table

    def discard(self, rels: Iterable[str]) -> None:
        """Remove those paths (any not here is left alone)."""
        self._by_part = None
        rows = self._rows
        for rel in rels:
            rows.pop(rel, None)

    def pop(self, rel: str, default: FileEntry | None = None) -> FileEntry | None:
        self._by_part = None
        row = self._rows.pop(rel, None)
        return default if row is None else self._entry(row)

    def update(self, other: FileTable) -> None:
        """Add (or replace) every path of another table."""
        ids = [self._part_id(name) for name in other._part_names] or [0]
        hashes, sizes, mtimes, parts = other._hashes, other._sizes, other._mtimes, other._parts
        for rel, row in other._rows.items():
            self._put(rel, hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE], sizes[row], mtimes[row], ids[parts[row]])

    # -- as JSON ----------------------------------------------------------------------------

    def to_json(self) -> dict:
        """The table in a few strings: paths NUL-separated, hashes in hex, numbers as base64."""
        return orjson.loads(b"".join(self.json_chunks()))

    def json_chunks(self) -> Iterator[bytes]:
        """`to_json`'s JSON, made and handed out a batch of files at a time: the record of
        1.2 million files is 150 MB of JSON, never held whole."""
        rows = sorted(self._rows.values())  # the order they were added: no sort of the paths
        batches = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]
        hashes, paths = self._hashes, self._paths
        yield b'{"paths":"'
        for i, batch in enumerate(batches):
            yield (b"\\u0000" if i else b"") + orjson.dumps("\0".join([paths[r] for r in batch]))[1:-1]
        yield b'","hashes":"'
        for batch in batches:
            yield b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in batch]).hex().encode()
        for name, numbers, typecode in (("sizes", self._sizes, "q"), ("mtimes", self._mtimes, "q"),
                                        ("part_of", self._parts, "i")):
            yield b'","' + name.encode() + b'":"'
            for batch in batches:
                yield _pack(array(typecode, [numbers[r] for r in batch])).encode()
        yield b'","parts":' + orjson.dumps(self._part_names) + b"}"

    @classmethod
    def from_json(cls, data: dict) -> FileTable:
        table = cls()
        paths = data["paths"].split("\0") if data["paths"] else []
        table._hashes = bytearray.fromhex(data["hashes"])
        table._sizes = _unpack("q", data["sizes"])
        table._mtimes = _unpack("q", data["mtimes"])
        table._parts = _unpack("i", data["part_of"])
        table._part_names = list(data["parts"])
        table._part_ids = {name: i for i, name in enumerate(table._part_names)}
        counts = {len(paths), len(table._hashes) // HASH_SIZE, len(table._sizes), len(table._mtimes),
                  len(table._parts)}
        table._paths = paths
        table._rows = dict(zip(paths, range(len(paths)), strict=True))
        if len(counts) != 1 or len(table._rows) != len(paths):  # a path twice: fewer rows than paths
            raise ValueError("inconsistent file table")
        if any(p < 0 or p >= len(table._part_names) for p in set(table._parts)):
            raise ValueError("file table names an unknown part")
        return table

    @classmethod
    def of(cls, entries: Iterable[tuple[str, FileEntry | None]]) -> FileTable:
        table = cls()
        for rel, entry in entries:
            table[rel] = entry
        return table


def _pack(numbers: array) -> str:
    if sys.byteorder == "big":
        numbers.byteswap()
    return base64.b64encode(numbers.tobytes()).decode("ascii")


def _unpack(typecode: str, text: str) -> array:
    numbers = array(typecode)
    numbers.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers
