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


def _rows(count: int) -> list:
    from builder.model import SearchRow

    return [SearchRow(id=i + 1, item_type="package", slug=f"p{i}", title=f"Package {i}", description="d\n«x»",
                      category="App", weight=0, created="c", modified="m", repo_watchers=i, repo_forks=0,
                      pypi_downloads=0, score=0, usage=0, participants="", last_committed=None, last_released=None)
            for i in range(count)]


def _hex_digests(rows: list) -> list[str]:
    import orjson

    from builder.deps import digest

    return [digest(orjson.dumps(r)).hex() for r in rows]


def test_rows_are_packed_in_blocks_and_an_unchanged_block_is_taken_over() -> None:
    import orjson

    from builder.api.search_memo import ROWS_PER_BLOCK, pack_rows, unpack_lines

    rows = _rows(ROWS_PER_BLOCK * 2 + 5)
    blocks = pack_rows(rows, _hex_digests(rows))
    assert len(blocks) == 3
    assert unpack_lines(blocks) == [orjson.dumps(r).decode() for r in rows]
    rows[ROWS_PER_BLOCK + 1].repo_watchers = 99_999  # one row of the second block changes
    again = pack_rows(rows, _hex_digests(rows), (blocks, _hex_digests(_rows(len(rows)))))
    assert again[0] is blocks[0] and again[2] is blocks[2] and again[1] != blocks[1]
    assert unpack_lines(again) == [orjson.dumps(r).decode() for r in rows]
    assert pack_rows(rows, _hex_digests(rows)) == again  # what packing afresh gives
    assert unpack_lines([]) == []


@pytest.mark.parametrize("blocks", ["one string", [b"bytes"], ["not base64!"], [12]])
def test_damaged_row_blocks_are_refused(blocks: object) -> None:
    from builder.api.search_memo import unpack_lines

    with pytest.raises((ValueError, TypeError, zlib.error)):
        unpack_lines(blocks)  # type: ignore[arg-type]
