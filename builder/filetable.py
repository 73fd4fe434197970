"""The writer's record of a tree's files: path -> (content hash, size, mtime, part), held flat.

At 100,000 packages a site has 1.2 million files, and the writer keeps several such records
(the live tree, the spare, the tree being made). As a dict of tuples that is about 450 bytes a
file. Here the paths are one run of UTF-8 bytes and the entries arrays (36 bytes a file); a
path is found through a dict while the table is small, and through a sorted array of path
hashes once it is large (`INDEX_AT`): about 80 bytes a file, where a dict of path strings took
190.
"""

from __future__ import annotations

import base64
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import accumulate, islice, repeat
from operator import add
from typing import TYPE_CHECKING, NamedTuple

import orjson

if TYPE_CHECKING:  # imported when a record is first indexed
    import numpy as np

HASH_SIZE = 16  # bytes of a content hash (SHA-256, cut: see output.content_digest)
BATCH = 3 * 2**14  # files per piece of the JSON: a multiple of 3, so base64 pieces join up
INDEX_AT = 2**17  # paths found through a dict up to this many; beyond, most through the sorted hashes
UNUSED = -2  # the size of a row whose path was removed (-1: an entry that is None)

_path_hash = hash  # the hash of a path in the sorted index (a test makes it collide)


class FileEntry(NamedTuple):
    hash: str  # hex
    size: int
    mtime: int  # st_mtime_ns
    part: str


class FileTable:
    """A mapping of site paths to FileEntry, or to None for a file known to be there but not as
    recorded (the writer replaces it). Removing a path leaves its row unused.

    A path's row is found through `_rows` (path -> row) or, for the rows moved out of it each
    time it grows past `INDEX_AT` paths, through `_index_hashes`: the
    sorted `hash()` of their paths, with `_index_rows` the row of each. A path has one used
    row at most; an unused row may stay in the index (its size says it is unused) until the
    next move. `hash()` of a str is the same in forked processes; a table unpickled in a
    process with another hash seed indexes its rows again.
    """

    def __init__(self) -> None:
        self._blob = bytearray()  # every row's path in UTF-8, each followed by a NUL
        self._ends = array("q")  # row -> where its path's NUL is in _blob
        self._hashes = bytearray()
        self._sizes = array("q")  # -1: the path's entry is None; UNUSED: the path was removed
        self._mtimes = array("q")
        self._parts = array("i")
        self._part_names: list[str] = []
        self._part_ids: dict[str, int] = {}
        self._rows: dict[str, int] = {}  # path -> row, for the rows not in the sorted index
        self._index_hashes = array("q")
        self._index_rows = array("q")
        self._count = 0  # paths held (used rows)
        self._by_part: dict[str, array] | None = None  # rows_by_part, until the table changes

    # -- rows ----------------------------------------------------------------------------------

    def _path(self, row: int) -> str:
        return self._blob[self._ends[row - 1] + 1 if row else 0:self._ends[row]].decode()

    def _row(self, rel: str) -> int | None:
        """The used row of rel, if it has one."""
        row = self._rows.get(rel)
        if row is not None or not self._index_hashes:
            return row
        keys, h = self._index_hashes, _path_hash(rel)
        at = bisect_left(keys, h)
        sizes = self._sizes
        while at < len(keys) and keys[at] == h:
            row = self._index_rows[at]
            if sizes[row] != UNUSED and self._path(row) == rel:
                return row
            at += 1
        return None

    def _used_rows(self) -> Iterable[int]:
        """The used rows, in the order their paths were added."""
        if self._count == len(self._ends):
            return range(self._count)
        if len(self._rows) == self._count:  # the dict holds every path, in that order
            return self._rows.values()
        sizes = self._sizes
        return (row for row in range(len(sizes)) if sizes[row] != UNUSED)

    def _row_batches(self) -> Iterator[range | list[int]]:
        """The used rows in batches of BATCH (the last one fewer), in order: ranges when no
        row is unused, so that no list of a million rows is ever made."""
        if self._count == len(self._ends):
            for start in range(0, self._count, BATCH):
                yield range(start, min(start + BATCH, self._count))
            return
        rows = array("q", self._used_rows())  # 8 bytes a row, not a list of ints
        for start in range(0, len(rows), BATCH):
            yield rows[start:start + BATCH].tolist()

    def _paths_and_rows(self) -> Iterable[tuple[str, int]]:
        if len(self._rows) == self._count:
            return self._rows.items()
        return ((self._path(row), row) for row in self._used_rows())

    def _add_row(self, rel: str, digest: bytes | bytearray, size: int, mtime: int, part: int) -> None:
        row = len(self._ends)
        self._blob += rel.encode()
        self._ends.append(len(self._blob))
        self._blob.append(0)
        self._hashes += digest
        self._sizes.append(size)
        self._mtimes.append(mtime)
        self._parts.append(part)
        self._rows[rel] = row
        self._count += 1
        self._index_if_due()

    def _index_if_due(self) -> None:
        """Index the rows of `_rows` once it holds INDEX_AT paths, then each time it holds an
        eighth as many (its path strings are 30 MB at INDEX_AT, the index's arrays a few)."""
        if len(self._rows) > (INDEX_AT // 8 if self._index_hashes else INDEX_AT):
            self._index()

    def _index(self, everything: bool = False) -> None:
        """Move the rows of `_rows` into the sorted index (with `everything`: index every used
        row afresh), leaving out unused rows."""
        import numpy as np

        if everything:
            rows = np.fromiter(self._used_rows(), dtype=np.int64, count=self._count)
            hashes = np.fromiter((_path_hash(self._path(row)) for row in rows.tolist()), dtype=np.int64,
                                 count=len(rows))
            old_hashes = old_rows = np.zeros(0, np.int64)
        else:
            hashes = np.fromiter(map(_path_hash, self._rows), dtype=np.int64, count=len(self._rows))
            rows = np.fromiter(self._rows.values(), dtype=np.int64, count=len(self._rows))
            old_hashes = np.frombuffer(self._index_hashes, dtype=np.int64)
            old_rows = np.frombuffer(self._index_rows, dtype=np.int64)
            used = np.frombuffer(self._sizes, dtype=np.int64)[old_rows] != UNUSED
            if not used.all():
                old_hashes, old_rows = old_hashes[used], old_rows[used]
        order = np.argsort(hashes, kind="stable")
        hashes, rows = hashes[order], rows[order]
        # Merged straight into the new arrays (np.insert, then a copy into an array, held three
        # copies of the index at once: 60 MB at a million paths, each time `_rows` is moved).
        new_at = np.searchsorted(old_hashes, hashes, side="right") + np.arange(len(hashes))
        old_at = np.ones(len(old_hashes) + len(hashes), dtype=bool)
        old_at[new_at] = False
        self._index_hashes = _merged(old_hashes, old_at, hashes, new_at)
        del old_hashes
        self._index_rows = _merged(old_rows, old_at, rows, new_at)
        self._rows = {}

    def _twice(self) -> bool:
        """True when a path has two used rows (only a damaged record read from JSON has)."""
        if not self._index_hashes:
            return len(self._rows) != self._count
        import numpy as np

        keys = np.frombuffer(self._index_hashes, dtype=np.int64)
        runs: dict[int, set[int]] = {}  # a hash found more than once -> where in the index
        for at in np.flatnonzero(keys[1:] == keys[:-1]).tolist():
            runs.setdefault(self._index_hashes[at], set()).update((at, at + 1))
        for found in runs.values():
            paths = [self._path(self._index_rows[at]) for at in found]
            if len(set(paths)) < len(paths):
                return True
        return False

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_seed": _path_hash("builder.filetable")}

    def __setstate__(self, state: dict) -> None:
        seed = state.pop("_seed")
        self.__dict__.update(state)
        if self._index_hashes and seed != _path_hash("builder.filetable"):
            self._index(everything=True)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, str) and self._row(rel) is not None

    def __iter__(self) -> Iterator[str]:
        for rel, _ in self._paths_and_rows():
            yield rel

    def _entry(self, row: int) -> FileEntry | None:
        size = self._sizes[row]
        if size < 0:
            return None
        at = row * HASH_SIZE
        return FileEntry(self._hashes[at:at + HASH_SIZE].hex(), size, self._mtimes[row],
                         self._part_names[self._parts[row]])

    def get(self, rel: str, default: FileEntry | None = None) -> FileEntry | None:
        row = self._row(rel)
        return default if row is None else self._entry(row)

    def __getitem__(self, rel: str) -> FileEntry | None:
        row = self._row(rel)
        if row is None:
            raise KeyError(rel)
        return self._entry(row)

    def items(self) -> Iterator[tuple[str, FileEntry | None]]:
        entry = self._entry
        for rel, row in self._paths_and_rows():
            yield rel, entry(row)

    def total_size(self) -> int:
        sizes = self._sizes
        if self._count == len(self._ends):
            return sum(sizes) + sizes.count(-1)  # a None entry's size is -1
        return sum(max(sizes[row], 0) for row in self._used_rows())

    def sizes_and_mtimes(self) -> Iterator[tuple[str, int, int]]:
        """(path, size, mtime) of every entry that is not None: what a stat of the file checks."""
        sizes, mtimes = self._sizes, self._mtimes
        for rel, row in self._paths_and_rows():
            size = sizes[row]
            if size >= 0:
                yield rel, size, mtimes[row]

    def stat_of(self, rel: str) -> tuple[int, int] | None:
        """(size, mtime) recorded for rel; None when rel is not here or its entry is None."""
        row = self._row(rel)
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
        row_of, their_row_of = self._row, other._row
        sizes, mtimes, hashes = self._sizes, self._mtimes, self._hashes
        their_sizes, their_mtimes, their_hashes = other._sizes, other._mtimes, other._hashes
        for rel in rels:
            mine, theirs = row_of(rel), their_row_of(rel)
            if (mine is None or theirs is None or sizes[mine] < 0 or their_sizes[theirs] < 0
                    or mtimes[mine] != their_mtimes[theirs]
                    or hashes[mine * HASH_SIZE:(mine + 1) * HASH_SIZE]
                    != their_hashes[theirs * HASH_SIZE:(theirs + 1) * HASH_SIZE]):
                out.append(rel)
        return out

    def has_hash(self, rel: str, digest: bytes) -> bool:
        """True when rel has an entry (not None) whose content hash is `digest`."""
        row = self._row(rel)
        return (row is not None and self._sizes[row] >= 0
                and self._hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE] == digest)

    def paths_not_in(self, other: FileTable) -> list[str]:
        """The paths held here that `other` does not hold, in this table's order."""
        if len(self._rows) == self._count and len(other._rows) == other._count:
            theirs = other._rows
            return [rel for rel in self._rows if rel not in theirs]
        return [rel for rel in self if rel not in other]

    def _rows_by_part(self) -> dict[str, array]:
        """part -> its rows, in the order they were added (worked out once while the table
        does not change)."""
        if self._by_part is None:
            out: dict[str, array] = {}
            names, parts, sizes = self._part_names, self._parts, self._sizes
            for row in self._used_rows():
                if sizes[row] >= 0:
                    name = names[parts[row]]
                    rows = out.get(name)
                    if rows is None:
                        rows = out[name] = array("q")
                    rows.append(row)
            self._by_part = out
        return self._by_part

    def parts(self) -> list[str]:
        """The parts that made the entries held (not None), in the order first seen."""
        return list(self._rows_by_part())

    def paths_of_part(self, part: str) -> list[str]:
        """The paths of the entries (not None) that `part` made, in the order they were added."""
        return [self._path(row) for row in self._rows_by_part().get(part, ())]

    def row_count(self) -> int:
        """The rows held, used or not (`compact` drops the unused ones)."""
        return len(self._ends)

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
        row = self._row(rel)
        if row is None:
            self._add_row(rel, digest, size, mtime, part)
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
        row = other._row(rel)
        size = -1 if row is None else other._sizes[row]
        if row is None or size < 0:
            raise ValueError(f"no entry to take at {rel!r}")
        name = other._part_names[other._parts[row]] if part is None else part
        self._put(rel, other._hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE], size, other._mtimes[row],
                  self._part_id(name))
        return size

    def take_many(self, rels: list[str], other: FileTable, part: str) -> int:
        """`take` of each of rels (none of them here yet) with its part renamed to `part`, in
        bulk; returns the files' total size."""
        rows = list(map(other._row, rels))
        if None in rows:
            raise ValueError("no entry to take")
        sizes, mtimes, hashes = other._sizes, other._mtimes, other._hashes
        taken_sizes = list(map(sizes.__getitem__, rows))
        if taken_sizes and min(taken_sizes) < 0:
            raise ValueError("no entry to take")
        if len(set(rels)) != len(rels) or any(map(self.__contains__, rels)):
            raise ValueError("a path to take is here already, or twice")
        self._by_part = None
        start = len(self._ends)
        self._ends.extend(_ends(rels, False, at=len(self._blob)))
        self._blob += _joined(rels)
        self._rows.update(zip(rels, range(start, start + len(rels)), strict=True))
        self._hashes += b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in rows])
        self._sizes.extend(taken_sizes)
        self._mtimes.extend(map(mtimes.__getitem__, rows))
        self._parts.extend([self._part_id(part)] * len(rows))
        self._count += len(rels)
        self._index_if_due()
        return sum(taken_sizes)

    def forget_entry(self, rel: str) -> None:
        """Keep rel but as None: known to be there, not as recorded."""
        row = self._row(rel)
        if row is None:
            raise KeyError(rel)
        self._by_part = None
        self._sizes[row] = -1

    def _remove(self, rel: str, row: int) -> None:
        self._rows.pop(rel, None)  # an indexed row stays in the index, as unused
        self._sizes[row] = UNUSED
        self._count -= 1
        self._by_part = None

    def discard(self, rels: Iterable[str]) -> None:
        """Remove those paths (any not here is left alone)."""
        for rel in rels:
            row = self._row(rel)
            if row is not None:
                self._remove(rel, row)

    def discard_parts(self, parts: Iterable[str]) -> None:
        """Remove the paths whose entries (not None) those parts made."""
        by_part = self._rows_by_part()
        for part in parts:
            for row in by_part.get(part, ()):
                self._remove(self._path(row) if self._rows else "", row)

    def pop(self, rel: str, default: FileEntry | None = None) -> FileEntry | None:
        row = self._row(rel)
        if row is None:
            return default
        entry = self._entry(row)
        self._remove(rel, row)
        return entry

    def update(self, other: FileTable) -> None:
        """Add (or replace) every path of another table."""
        ids = [self._part_id(name) for name in other._part_names] or [0]
        hashes, sizes, mtimes, parts = other._hashes, other._sizes, other._mtimes, other._parts
        for rel, row in other._paths_and_rows():
            self._put(rel, hashes[row * HASH_SIZE:(row + 1) * HASH_SIZE], sizes[row], mtimes[row], ids[parts[row]])

    def compact(self) -> None:
        """Drop the rows removed paths left unused (the entries, their order and the JSON stay
        as they are). A table that is copied and changed build after build, in a process that
        builds again, would otherwise grow by every file a build replaces."""
        if self._count == len(self._ends):
            return
        rows = list(self._used_rows())
        hashes, sizes, mtimes, parts = self._hashes, self._sizes, self._mtimes, self._parts
        paths = [self._path(r) for r in rows]
        self._blob = bytearray(_joined(paths))
        self._ends = _ends(paths, False)
        self._hashes = bytearray(b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in rows]))
        self._sizes = array("q", [sizes[r] for r in rows])
        self._mtimes = array("q", [mtimes[r] for r in rows])
        self._parts = array("i", [parts[r] for r in rows])
        self._index_hashes, self._index_rows, self._rows = array("q"), array("q"), {}
        self._by_part = None
        if len(rows) > INDEX_AT:
            del paths
            self._index(everything=True)
        else:
            self._rows = dict(zip(paths, range(len(rows)), strict=True))

    def copy(self) -> FileTable:
        """An independent table with the same entries."""
        table = FileTable.__new__(FileTable)
        table.__dict__.update(self.__dict__)
        table._blob, table._ends, table._hashes = bytearray(self._blob), array("q", self._ends), bytearray(self._hashes)
        table._sizes, table._mtimes = array("q", self._sizes), array("q", self._mtimes)
        table._parts = array("i", self._parts)
        table._part_names, table._part_ids, table._rows = list(self._part_names), dict(self._part_ids), dict(self._rows)
        table._index_hashes, table._index_rows = array("q", self._index_hashes), array("q", self._index_rows)
        table._by_part = self._by_part  # its arrays are never changed: a change makes new ones
        return table

    # -- as JSON ----------------------------------------------------------------------------

    def to_json(self) -> dict:
        """The table in a few strings: paths NUL-separated, hashes in hex, numbers as base64."""
        return orjson.loads(b"".join(self.json_chunks()))

    def json_chunks(self) -> Iterator[bytes]:
        """`to_json`'s JSON, made and handed out a batch of files at a time: the record of
        1.2 million files is 150 MB of JSON, never held whole."""
        hashes, blob, ends = self._hashes, self._blob, self._ends
        yield b'{"paths":"'
        every_path = (rel for rel, _ in self._paths_and_rows())
        for i, batch in enumerate(self._row_batches()):
            if type(batch) is range:  # rows one after another: their paths are too
                paths = blob[ends[batch.start - 1] + 1 if batch.start else 0:ends[batch.stop - 1]].decode()
            else:
                paths = "\0".join(islice(every_path, len(batch)))
            yield (b"\\u0000" if i else b"") + orjson.dumps(paths)[1:-1]
        yield b'","hashes":"'
        for batch in self._row_batches():
            if type(batch) is range:
                yield hashes[batch.start * HASH_SIZE:batch.stop * HASH_SIZE].hex().encode()
            else:
                yield b"".join([hashes[r * HASH_SIZE:(r + 1) * HASH_SIZE] for r in batch]).hex().encode()
        for name, numbers, typecode in (("sizes", self._sizes, "q"), ("mtimes", self._mtimes, "q"),
                                        ("part_of", self._parts, "i")):
            yield b'","' + name.encode() + b'":"'
            for batch in self._row_batches():
                picked = numbers[batch.start:batch.stop] if type(batch) is range else \
                    array(typecode, [numbers[r] for r in batch])
                yield _pack(picked).encode()
        yield b'","parts":' + orjson.dumps(self._part_names) + b"}"

    @classmethod
    def from_json(cls, data: dict) -> FileTable:
        table = cls()
        text = data["paths"]
        table._hashes = bytearray.fromhex(data["hashes"])
        table._sizes = _unpack("q", data["sizes"])
        table._mtimes = _unpack("q", data["mtimes"])
        table._parts = _unpack("i", data["part_of"])
        table._part_names = list(data["parts"])
        table._part_ids = {name: i for i, name in enumerate(table._part_names)}
        paths = text.split("\0") if text else []
        if paths:
            table._blob = bytearray(_joined(paths, text))
            table._ends = _ends(paths, text.isascii())
        counts = {len(table._ends), len(table._hashes) // HASH_SIZE, len(table._sizes), len(table._mtimes),
                  len(table._parts)}
        if len(counts) != 1 or min(table._sizes, default=0) < -1:
            raise ValueError("inconsistent file table")
        table._count = len(table._ends)
        if table._count > INDEX_AT:
            del paths
            table._index(everything=True)
        else:
            table._rows = dict(zip(paths, range(table._count), strict=True))
        if table._twice():
            raise ValueError("inconsistent file table: a path twice")
        if any(p < 0 or p >= len(table._part_names) for p in set(table._parts)):
            raise ValueError("file table names an unknown part")
        return table

    @classmethod
    def of(cls, entries: Iterable[tuple[str, FileEntry | None]]) -> FileTable:
        table = cls()
        for rel, entry in entries:
            table[rel] = entry
        return table


def _joined(paths: list[str], text: str | None = None) -> bytes:
    """The paths in UTF-8, each followed by a NUL (`text`: the paths joined by NULs already)."""
    return (("\0".join(paths) if text is None else text) + "\0").encode() if paths else b""


def _ends(paths: list[str], ascii: bool, at: int = 0) -> array:
    """Where the NUL after each path is in `_joined(paths)`, put at `at` in a blob (`ascii`:
    every path is ASCII, one byte a character)."""
    lengths = map(len, paths if ascii else map(str.encode, paths))
    ends = array("q", accumulate(map(add, lengths, repeat(1)), initial=at - 1))
    ends.pop(0)
    return ends


def _pack(numbers: array) -> str:
    if sys.byteorder == "big":
        numbers.byteswap()
    return base64.b64encode(numbers.tobytes()).decode("ascii")


def _merged(old: np.ndarray, old_at: np.ndarray, new: np.ndarray, new_at: np.ndarray) -> array:
    """An array("q") of `old` at the places `old_at` marks and `new` at the places `new_at`."""
    import numpy as np

    out = array("q", [0]) * len(old_at)
    view = np.frombuffer(out, dtype=np.int64)
    view[old_at] = old
    view[new_at] = new
    del view  # else `out` cannot grow
    return out


def _unpack(typecode: str, text: str) -> array:
    numbers = array(typecode)
    numbers.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers
