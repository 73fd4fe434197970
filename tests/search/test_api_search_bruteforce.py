"""`/api/v4/search/` answers against a brute-force reference that scores every row.

The reference follows the rules of builder/api/search.py's docstring literally (no postings,
trigram counts over arrays, weight classes or early stops), so the index's shortcuts must give
the same bytes for every vocabulary term of a generated snapshot and for a few awkward queries.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
import weakref
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction

import pytest

from bench.generate import generate_snapshot
from builder.api import search, search_text
from builder.api.jsonenc import dumps_v4
from builder.api.search import _rank_term
from builder.api.search_rows import search_rows
from builder.api.search_text import PREFIX_RE, result, stem, text_lexemes, trigrams
from builder.model import SearchRow, Snapshot
from builder.snapshot import load_snapshot

SEED = 4242
FIELDS = (("title", 1.0), ("slug", 0.4), ("description", 0.2), ("category", 0.1), ("participants", 0.1))


@dataclass
class _Row:
    row: SearchRow
    rownum: int
    hits: dict[str, list[tuple[int, float]]]  # lexeme -> [(position, weight)]
    title_grams: set[str]
    slug_grams: set[str]
    body: bytes


def _prepare(rows: list[SearchRow]) -> list[_Row]:
    """Each row's lexemes with their (position, weight), trigram sets and JSON."""
    out = []
    for n, row in enumerate(rows):
        hits: dict[str, list[tuple[int, float]]] = defaultdict(list)
        offset = 0
        for field, weight in FIELDS:
            text = getattr(row, field)
            if not text:
                continue
            lexemes = text_lexemes(text)
            for i, lex in enumerate(lexemes, 1):
                if lex:  # a stop word keeps its position but is no lexeme
                    hits[lex].append((offset + i, weight))
            offset += len(lexemes)
        out.append(_Row(row, n, dict(hits), trigrams(row.title), trigrams(row.slug), dumps_v4(result(row))))
    return out


def _sim(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and Fraction(len(a & b), len(a | b)) >= Fraction(1, 5)


def naive_answer(prepared: list[_Row], q: str) -> bytes:
    """Score every row by the documented rules, sort all matches, keep the first 20."""
    q = q.strip()
    if not q:
        return b"[]"
    terms = [t for t in text_lexemes(q) if t]
    stem_ = stem(q.lower()) if len(q) >= 3 and PREFIX_RE.match(q) else ""
    qgrams = trigrams(q) if len(q) >= 3 else set()
    keys = []
    for r in prepared:
        matched, rank = False, 0.0
        if terms and all(t in r.hits for t in terms):
            matched, rank = True, sum(_rank_term(r.hits[t]) for t in terms) / len(terms)
        if stem_:
            hits = [h for lex, hs in r.hits.items() if lex.startswith(stem_) for h in hs]
            if hits:
                matched, rank = True, max(rank, _rank_term(hits))
        if qgrams and (_similar(qgrams, r.title_grams) or _similar(qgrams, r.slug_grams)):
            matched = True
        if matched:
            similarity = max(_sim(qgrams, r.title_grams), _sim(qgrams, r.slug_grams))
            keys.append((-(rank + search.WEIGHT_BOOST * r.row.weight), -similarity, r.row.title, r.rownum))
    keys.sort()
    return b"[" + b",".join(prepared[k[3]].body for k in keys[:search.LIMIT]) + b"]"


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    out = tmp_path_factory.mktemp("bruteforce") / "data"
    generate_snapshot(out, 400, 30, SEED)
    return load_snapshot(out)


def _queries(snap: Snapshot, rows: list[SearchRow]) -> list[str]:
    """Every vocabulary term, and awkward ones: blank, short, non-ASCII, several words, stop
    words, misspelt titles, one of more than 255 trigrams."""
    rng = random.Random(SEED)
    titles = sorted(r.title for r in rows if len(r.title) >= 6)
    misspelt = []
    for title in rng.sample(titles, 5):
        i = rng.randrange(1, len(title) - 2)
        misspelt.append(title[:i] + title[i + 1] + title[i] + title[i + 2:])
    extra = ["", "   ", "dj", "DJ", "ünïcode", "日本語", "django rest framework", "the", "the and", "rest-framework",
             "  django  ", "django_admin", "admin panel", "xyzzyq", "Django-REST", "api fast", "databse",
             "django django", "---", " ".join(titles[:60]), *misspelt]
    return sorted(search_text.vocabulary(snap, rows)) + extra


def _weighted(rows: list[SearchRow]) -> list[SearchRow]:
    """The same rows with a few weight classes (a dump's live weights), so scores mix rank and
    weight, and a few with an empty title, slug or description."""
    rng = random.Random(SEED)
    out = [replace(r, weight=rng.choice((0, 0, 0, 7, 20, 33, 50, 65, 100))) for r in rows]
    out[3] = replace(out[3], title="")
    out[5] = replace(out[5], slug="")
    out[7] = replace(out[7], title="", slug="", description="")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["computed", "classes"])
def test_every_term_as_brute_force(snap: Snapshot, weights: str) -> None:
    rows = search_rows(snap)
    if weights == "classes":
        rows = _weighted(rows)
    index = search.SearchIndex(rows)
    prepared = _prepare(rows)
    queries = _queries(snap, rows)
    assert len(queries) > 500
    got = search.answers(queries, index)  # as the build asks: its order, shared trigram sides
    wrong = [q for q in queries if got[q].body != naive_answer(prepared, q)]
    assert not wrong, f"{len(wrong)} of {len(queries)} answers differ, e.g. {wrong[:10]}"
    # The rows each answer shows are told by their places in `rows`, in order.
    shown = [q for q in queries if got[q].rows]
    assert len(shown) > 500
    for q in shown:
        assert b"[" + b",".join(search_text.row_body(rows[i]) for i in got[q].rows) + b"]" == got[q].body
    # One query at a time, on a fresh index, and `query` gives the rows `answer` writes, in order.
    fresh = search.SearchIndex(rows)
    for q in queries[::7]:
        assert fresh.answer(q) == got[q].body
        assert b"[" + b",".join(d.body for d in fresh.query(q)) + b"]" == got[q].body


def test_naive_reference_finds_something(snap: Snapshot) -> None:
    rows = search_rows(snap)
    prepared = _prepare(rows)
    title = max(rows, key=lambda r: (r.weight, r.title)).title
    assert naive_answer(prepared, title).startswith(b'[{"description"')
    assert naive_answer(prepared, "xyzzyq") == b"[]"


def test_no_rows() -> None:
    index = search.SearchIndex([])
    assert index.answer("django") == index.answer("") == b"[]" and index.query("django") == []


def test_index_is_freed_without_the_cyclic_collector(snap: Snapshot) -> None:
    """The search worker lets the index go after the answers (a third of a gigabyte at 100,000
    packages): reference counting alone must free it, with no cycle left for the collector."""
    index = search.SearchIndex(search_rows(snap))
    for q in ("django", "rest framework", "xyzzyq"):
        index.answer(q)
    ref = weakref.ref(index)
    gc.disable()
    try:
        del index
        assert ref() is None
    finally:
        gc.enable()


def test_index_holds_no_object_per_row(snap: Snapshot) -> None:
    """The index is a few hundred arrays, not an object per row or posting: freed, it leaves no
    holes scattered through the process's memory (at 100,000 rows, 200 MB of them)."""
    # The rows' descriptions and participants as they are (most postings), their titles and
    # slugs of a few words: the trigram side (an array per rare trigram) does not grow with them.
    rows = [replace(r, title=f"Package {r.id % 7}", slug=f"package-{r.id % 7}") for r in search_rows(snap)]
    assert len(rows) >= 400

    def allocations_held(rows: list[SearchRow]) -> int:
        """Blocks of memory the index's own code allocated and holds (its lexemes' strings are
        the stemmer's)."""
        tracemalloc.start()
        try:
            index = search.SearchIndex(rows)
            assert index.answer("package")
            gc.collect()
            held = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, search.__file__)])
        finally:
            tracemalloc.stop()
        return sum(stat.count for stat in held.statistics("filename"))

    few, many = allocations_held(rows[:100]), allocations_held(rows)
    assert abs(many - few) < 50, (few, many)  # an object per posting: thousands more
