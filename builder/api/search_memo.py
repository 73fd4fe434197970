"""What the search part notes about the live tree's answers, for the next build (see
builder/api/search_part.py): the rows behind them, packed, and which rows each answer shows.

Imported by the worker that runs the search part, and between builds by a resident process
(search_part.warm); never by a build's main process."""

from __future__ import annotations

import base64
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cached_property
from itertools import accumulate

import orjson

from ..model import SearchRow


class Shown:
    """For each term, the places (in a list of rows) of the rows its answer shows, in order."""

    def __init__(self, terms: list[str], counts: bytes, places: array) -> None:
        if len(counts) != len(terms) or sum(counts) != len(places):
            raise ValueError("the counts do not fit the terms and places")
        self.terms = terms
        self.counts = counts
        self.places = places
        self.starts = list(accumulate(counts, initial=0))

    @cached_property
    def _term_index(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    def __contains__(self, term: str) -> bool:
        return term in self._term_index

    def of(self, term: str) -> array:
        i = self._term_index[term]
        return self.places[self.starts[i]:self.starts[i + 1]]

    def showing(self, place: int) -> set[str]:
        """The terms whose answers show the row at `place` (a scan of the places in C, not a map
        of every place: a build asks for a few rows, if any)."""
        out: set[str] = set()
        at = -1
        while True:
            try:
                at = self.places.index(place, at + 1)
            except ValueError:
                return out
            out.add(self.terms[bisect_right(self.starts, at) - 1])

    def moved(self, new_place: Sequence[int]) -> Shown:
        """The same answers, with the row at place p now at new_place[p]."""
        if self.places and max(self.places) >= len(new_place):
            raise ValueError("a place beyond the rows")
        if list(new_place) == list(range(len(new_place))):
            return self
        return Shown(self.terms, self.counts, array("I", map(new_place.__getitem__, self.places)))

    def pack(self) -> dict:
        return {"terms": self.terms, "counts": base64.b64encode(self.counts).decode("ascii"),
                "places": base64.b64encode(zlib.compress(_little_endian(self.places), 1)).decode("ascii")}

    @classmethod
    def unpack(cls, packed: dict) -> Shown:
        """The map `pack` made; ValueError, KeyError, TypeError or zlib.error for anything else."""
        terms = packed["terms"]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise TypeError("terms are not a list of strings")
        raw = zlib.decompress(base64.b64decode(packed["places"], validate=True))
        if len(raw) % 4:
            raise ValueError("places are not 4-byte numbers")
        places = array("I")
        places.frombytes(raw)
        if sys.byteorder == "big":
            places.byteswap()
        return cls(terms, base64.b64decode(packed["counts"], validate=True), places)


def _little_endian(places: array) -> bytes:
    if sys.byteorder == "big":
        places = array("I", places)
        places.byteswap()
    return places.tobytes()


class ShownBuilder:
    """A `Shown` made one term at a time, in compact arrays (millions of places at 100,000 rows)."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.counts = bytearray()
        self.places = array("I")

    def add(self, term: str, places: Iterable[int]) -> None:
        self.terms.append(term)
        before = len(self.places)
        self.places.extend(places)
        self.counts.append(len(self.places) - before)

    def done(self) -> Shown:
        return Shown(self.terms, bytes(self.counts), self.places)


ROWS_PER_BLOCK = 256  # rows packed together: a build that changed a few rows packs a few blocks


def pack_rows(rows: Sequence[SearchRow], digests: Sequence[str],
              previous: tuple[Sequence[str], Sequence[str]] | None = None) -> list[str]:
    """The rows as lines of JSON (which holds no raw newline), compressed ROWS_PER_BLOCK at a
    time (the memo of 100,000 search rows is 55 MB as it is, 6 MB so). `digests` are the rows'
    digests (hex); a block whose rows have the digests of the same block of `previous` (an
    earlier memo's blocks and digests) is that block, taken over as it is."""
    blocks: list[str] = []
    for start in range(0, len(rows), ROWS_PER_BLOCK):
        end, n = start + ROWS_PER_BLOCK, start // ROWS_PER_BLOCK
        if previous is not None and n < len(previous[0]) and previous[1][start:end] == digests[start:end]:
            blocks.append(previous[0][n])
            continue
        text = b"\n".join([orjson.dumps(row) for row in rows[start:end]])
        blocks.append(base64.b64encode(zlib.compress(text, 1)).decode("ascii"))
    return blocks


def unpack_lines(blocks: list[str]) -> list[str]:
    """The lines `pack_rows` packed; TypeError, ValueError or zlib.error for anything else."""
    if not isinstance(blocks, list):
        raise TypeError("the rows are not a list of blocks")
    lines: list[str] = []
    for block in blocks:
        lines.extend(zlib.decompress(base64.b64decode(block, validate=True)).decode().split("\n"))
    return lines
