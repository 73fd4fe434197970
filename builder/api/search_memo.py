"""What the search part notes about the live tree's answers, for the next build (see
builder/api/search_part.py): the rows behind them, packed, and which rows each answer shows.

Imported by the worker that runs the search part, never by the parent: it needs numpy."""

from __future__ import annotations

import base64
import zlib
from array import array
from collections.abc import Sequence
from functools import cached_property
from itertools import accumulate

import numpy as np
import orjson

from ..model import SearchRow


class Shown:
    """For each term, the places (in a list of rows) of the rows its answer shows, in order."""

    def __init__(self, terms: list[str], counts: bytes, places: np.ndarray) -> None:
        if len(counts) != len(terms) or sum(counts) != len(places):
            raise ValueError("the counts do not fit the terms and places")
        self.terms = terms
        self.counts = counts
        self.places = places
        self.starts = np.fromiter(accumulate(counts, initial=0), dtype=np.int64, count=len(counts) + 1)

    @cached_property
    def _term_index(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    def __contains__(self, term: str) -> bool:
        return term in self._term_index

    def of(self, term: str) -> np.ndarray:
        i = self._term_index[term]
        return self.places[self.starts[i]:self.starts[i + 1]]

    def showing(self, place: int) -> set[str]:
        """The terms whose answers show the row at `place`."""
        entries = np.flatnonzero(self.places == place)
        return {self.terms[t] for t in (np.searchsorted(self.starts, entries, "right") - 1).tolist()}

    def moved(self, new_place: Sequence[int]) -> Shown:
        """The same answers, with the row at place p now at new_place[p]."""
        if len(self.places) and int(self.places.max()) >= len(new_place):
            raise ValueError("a place beyond the rows")
        return Shown(self.terms, self.counts, np.asarray(new_place, dtype=np.uint32)[self.places])

    def pack(self) -> dict:
        return {"terms": self.terms, "counts": base64.b64encode(self.counts).decode("ascii"),
                "places": base64.b64encode(zlib.compress(self.places.astype("<u4").tobytes(), 1)).decode("ascii")}

    @classmethod
    def unpack(cls, packed: dict) -> Shown:
        """The map `pack` made; ValueError, KeyError, TypeError or zlib.error for anything else."""
        terms = packed["terms"]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise TypeError("terms are not a list of strings")
        places = zlib.decompress(base64.b64decode(packed["places"], validate=True))
        if len(places) % 4:
            raise ValueError("places are not 4-byte numbers")
        counts = base64.b64decode(packed["counts"], validate=True)
        return cls(terms, counts, np.frombuffer(places, dtype="<u4").astype(np.uint32))


class ShownBuilder:
    """A `Shown` made one term at a time, in compact arrays (millions of places at 100,000 rows)."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.counts = bytearray()
        self.places = array("I")

    def add(self, term: str, places: Sequence[int]) -> None:
        self.terms.append(term)
        self.counts.append(len(places))
        self.places.extend(places)

    def done(self) -> Shown:
        return Shown(self.terms, bytes(self.counts), np.frombuffer(self.places, dtype=np.uint32))


def pack_rows(rows: list[SearchRow]) -> str:
    """The rows as lines of JSON (which holds no raw newline), compressed as they are encoded:
    the memo of 100,000 search rows is 55 MB as it is, 6 MB so, and never held whole."""
    packer = zlib.compressobj(1)
    packed = [packer.compress((b"\n" if i else b"") + orjson.dumps(row)) for i, row in enumerate(rows)]
    packed.append(packer.flush())
    return base64.b64encode(b"".join(packed)).decode("ascii")


def unpack_lines(packed: str) -> list[str]:
    text = zlib.decompress(base64.b64decode(packed, validate=True)).decode()
    return text.split("\n") if text else []
