"""The search part's memo: which rows each live answer shows, packed into the build state."""

from __future__ import annotations

import json
import zlib

import pytest

from builder.api.search_memo import Shown, ShownBuilder


def _shown() -> Shown:
    built = ShownBuilder()
    built.add("django", [4, 0, 2])
    built.add("forms", [])
    built.add("rest", [2, 3])
    return built.done()


def test_each_term_has_its_rows_in_order() -> None:
    shown = _shown()
    assert [shown.of(t).tolist() for t in ("django", "forms", "rest")] == [[4, 0, 2], [], [2, 3]]
    assert "forms" in shown and "admin" not in shown


def test_the_terms_showing_a_row() -> None:
    shown = _shown()
    assert shown.showing(2) == {"django", "rest"}
    assert shown.showing(4) == {"django"}
    assert shown.showing(1) == set()


def test_survives_the_state_file() -> None:
    again = Shown.unpack(json.loads(json.dumps(_shown().pack())))
    assert again.terms == ["django", "forms", "rest"]
    assert [again.of(t).tolist() for t in again.terms] == [[4, 0, 2], [], [2, 3]]


def test_moved_rows_keep_their_answers() -> None:
    """Rows at new places (one removed before them): each answer shows the same rows."""
    moved = _shown().moved([0, 0, 1, 2, 3])  # row 1 removed: rows 2, 3, 4 move up one
    assert [moved.of(t).tolist() for t in moved.terms] == [[3, 0, 1], [], [1, 2]]
    assert moved.showing(1) == {"django", "rest"}


@pytest.mark.parametrize("packed", [
    {"terms": ["a"], "counts": "AQ==", "places": "bm90IHpsaWI="},  # places not compressed
    {"terms": ["a", "b"], "counts": "AQ==", "places": "eJxjZGBgAAAACAAC"},  # fewer counts than terms
    {"terms": ["a"], "counts": "Ag==", "places": "eJxjZGBgAAAACAAC"},  # more places counted than held
    {"terms": "a", "counts": "AQ==", "places": "eJxjZGBgAAAACAAC"},
    {"terms": ["a"]},
])
def test_a_damaged_memo_is_refused(packed: dict) -> None:
    with pytest.raises((ValueError, KeyError, TypeError, zlib.error)):
        Shown.unpack(packed)


def test_a_place_past_the_rows_is_refused() -> None:
    with pytest.raises(ValueError):
        _shown().moved([0, 1, 2])
    assert _shown().moved(range(5)).places == _shown().places
