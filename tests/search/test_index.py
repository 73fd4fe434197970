"""The index files: what they hold, that they agree with each other, and that they are stable."""

from __future__ import annotations

import json
import re

from builder import search
from builder.model import Snapshot


def load(index: search.SearchIndex, name: str) -> object:
    return json.loads(index.files[f"{search.DATA_DIR}/{name}"])


def head_of(index: search.SearchIndex) -> dict:
    return json.loads(index.files[index.head_path])


def test_every_package_and_grid_once(snapshot: Snapshot, items: list[search.Entry]) -> None:
    keys = [(e.kind, e.slug) for e in items]
    assert len(keys) == len(set(keys)) == len(snapshot.packages) + len(snapshot.grids)


def test_entry_of_django_select2(items: list[search.Entry]) -> None:
    e = next(e for e in items if e.slug == "django-select2")
    assert (e.kind, e.title, e.category, e.path) == ("package", "Django-Select2", "App", "/packages/p/django-select2/")
    assert e.description == "This is a Django integration for Select2"
    assert e.stars == 209 and e.weight == 65 and e.updated and e.updated.startswith("2026-01-07")


def test_items_in_weight_order(items: list[search.Entry]) -> None:
    keys = [(-e.weight, -e.stars, -e.usage) for e in items]
    assert keys == sorted(keys)


def test_descriptions_truncated_and_kept_raw(items: list[search.Entry]) -> None:
    assert all(len(e.description) <= search.DESCRIPTION_CHARS for e in items)
    assert any("<script>" in e.description for e in items)  # escaped by the script, not here
    assert search.truncate("word " * 60, 40).endswith("…") and len(search.truncate("word " * 60, 40)) <= 40


def test_head_items_match_entries(index: search.SearchIndex, items: list[search.Entry]) -> None:
    head = head_of(index)
    assert head["v"] == 1 and len(head["items"]) == len(items)
    for row, e in zip(head["items"], items, strict=True):
        category, title, slug, weight, stars, usage, days = row
        assert title == e.title and (slug or title.lower()) == e.slug
        assert (category == -1) == (e.kind == "grid")
        assert category == -1 or head["categories"][category] == e.category
        assert (weight, stars, usage, days) == (e.weight, e.stars, e.usage, search.days(e.updated))


def test_description_shards_by_position(index: search.SearchIndex, items: list[search.Entry]) -> None:
    head = head_of(index)
    size = head["docs"]["size"]
    texts = [t for name in head["docs"]["files"] for t in load(index, name)]
    assert texts == [e.description for e in items]
    assert all(len(load(index, name)) <= size for name in head["docs"]["files"])


def test_word_postings_point_at_their_descriptions(index: search.SearchIndex, items: list[search.Entry]) -> None:
    head = head_of(index)
    tokens = []
    for first, name in zip(head["words"]["first"], head["words"]["files"], strict=True):
        chunk = load(index, name)
        assert chunk[0][0] == first
        for token, *deltas in chunk:
            tokens.append(token)
            position = 0
            for d in deltas:
                position += d
                assert token in search.tokens(items[position].description)
    assert tokens == sorted(tokens, key=lambda t: t.encode("utf-16-be"))  # the script compares UTF-16 units
    assert "select2" in tokens and all(len(t) >= search.MIN_WORD for t in tokens)


def test_file_names_carry_their_content_hash(index: search.SearchIndex) -> None:
    for path in index.files:
        assert re.fullmatch(r"search/data/(head|w\d+|d\d+)\.[0-9a-f]{10}\.json", path)


def test_deterministic(items: list[search.Entry], index: search.SearchIndex) -> None:
    assert search.build_index(list(items)).files == index.files


def test_days() -> None:
    assert search.days(None) == 0
    assert search.days("1970-01-02T00:00:00-05:00") == 1
    assert search.days("2026-01-07T13:42:43-05:00") == 20460


def test_tokens_are_runs_of_isalnum_characters() -> None:
    """Every code point, between letters: a token boundary exactly where `str.isalnum` says."""
    text = "".join(f"a{chr(cp)}b " for cp in range(0x110000))
    expected, current = [], []
    for ch in text.lower():
        if ch.isalnum():
            current.append(ch)
        elif current:
            expected.append("".join(current))
            current = []
    assert search.tokens(text) == expected
    words = ["django", "select2", "forms", "widgets", "été", "²"]
    assert search.tokens("Django-Select2: forms_widgets, ÉTÉ ²") == words


def test_json_is_what_the_standard_library_writes_for_every_code_point() -> None:
    """orjson writes the index files: the bytes json.dumps(ensure_ascii=False) writes."""
    for start in range(0, 0x110000, 0x800):
        text = "".join(chr(cp) for cp in range(start, start + 0x800) if not 0xD800 <= cp <= 0xDFFF)
        value = [text, {"k": text[:40]}, [1, -2, 0]]
        assert search._json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    huge = [2 ** 70]  # beyond orjson's integers: json writes it
    assert search._json(huge) == b"[1180591620717411303424]"


def test_word_chunks_fill_each_file_up_to_its_budget() -> None:
    """Each chunk's rows fit WORD_CHUNK_BYTES (as JSON) and the next chunk's first row would not."""
    import random

    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789éßж中文²"
    vocabulary = ["".join(rng.choice(alphabet) for _ in range(rng.randint(2, 14))) for _ in range(900)]
    items = [search.Entry("package", i, f"P{i}", f"p{i}", " ".join(rng.sample(vocabulary, rng.randint(0, 30))),
                          "App", 0, 0, 0, None) for i in range(1500)]
    chunks = search.word_chunks(items)
    assert len(chunks) > 5
    described = {w for e in items for w in search.words(e.description)}
    assert [row[0] for chunk in chunks for row in chunk] == sorted(described)
    for chunk, following in zip(chunks, chunks[1:], strict=False):
        sizes = [len(search._json(row)) for row in chunk]
        assert sum(sizes) <= search.WORD_CHUNK_BYTES < sum(sizes) + len(search._json(following[0]))
