"""`/api/v4/search/?q=`: the live SearchV3 answer, precomputed for every term of the vocabulary.

Matching and ranking follow searchv3 (PostgreSQL full-text search, `english` configuration):
title (weight A), slug (B), description (C), category and participants (D) are tokenised,
stop words dropped and words Snowball-stemmed; a query matches when all its words match, or,
for one token of 3+ characters of [A-Za-z0-9_-], when a word starts with it, or when its
trigram similarity to the title or slug is at least 0.2. Results are ordered by
ts_rank + 0.02 * weight, then similarity, then title; at most 20. Titles and descriptions are
emojized. `weight`, `created` and `modified` come from the snapshot's search rows (a dump has
the live index); without them they are computed (see docs/api.md).

How one query stays cheap (thousands are answered per build), with the same answer as scoring
every row (tests/search/test_api_search_bruteforce.py holds it to that):

- rows get positions in (weight desc, title, row) order, and what ranking needs of a row is a
  numpy array over positions; a row matched by trigrams alone scores -0.02·weight, so such
  rows' scores ascend with their positions;
- full-text matches come from postings (lexeme -> rows) and, for the prefix match, a range of
  the sorted lexemes; ts_rank of a lexeme in a row is computed once, in Python, when a query
  first needs it (of a prefix: once per prefix, over its lexemes' hits); the other words of a
  query are looked up in the rows of its rarest word;
- the index holds a few hundred arrays, not an object per row or posting: postings, their hits
  and ranks are flat arrays in lexeme order, the rows' JSON one buffer. Freed, it gives its
  memory back (at 100,000 rows, the objects it was made of left 200 MB of holes in the
  process's memory; these arrays leave 75 MB), and it is a quarter smaller;
- trigram sets are slots: every title, and the slugs whose trigrams differ from their title's.
  A trigram found in many slots is a 0/1 row of a uint8 matrix, a rarer one a list of slots;
  adding up the query's ones gives |A∩B| for every slot. Similarity >= 0.2 is tested in
  integers, 6·|A∩B| >= |A|+|B| (as |A∩B| >= the least passing count, per slot), and
  similarities are the same float division `search_text.similarity` does;
- the answer is the best 20 of the full-text rows (score -(ts_rank + 0.02·weight)) and of the
  first trigram matches, ordered by (score, -similarity, title, row) in one lexsort. The first
  k trigram matches are the first k by position, except within the weight class of the k-th,
  where the most similar are picked (narrowed by similarity floors, then partitioned);
- terms with the same words (differing in case or punctuation) have the same trigrams:
  `answers` asks for them one after the other (`sharing_key`) and the last trigram side is
  reused.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import collector
from ..model import SearchRow
from .search_text import (
    PREFIX_RE,
    RANK_WEIGHTS,
    answer_key,
    row_body,
    row_hits,
    sharing_key,
    stem,
    text_lexemes,
    trigrams,
)

LIMIT = 20
WEIGHT_BOOST = 0.02
TRIGRAM_THRESHOLD = 0.2  # similarity >= 1/5, tested exactly as 6·|A∩B| >= |A|+|B|
# Tuning only (answers do not depend on them): a trigram in more than 1/DENSE of the slots is a
# matrix row; full-text results of at most SMALL rows are combined in plain Python; FLOORS are
# the similarities tried, highest first, to narrow many rows tied on score.
DENSE = 64
SMALL = 64
FLOORS = (0.9, 0.75, 0.6, 0.5, 0.4, 0.3, 0.25)
CACHED = 20_000  # ranked lexemes (and prefixes) kept for the next queries: bounds memory at any size


@dataclass(slots=True)
class _Doc:
    row: SearchRow
    body: bytes


def _rank_term(hits: Sequence[tuple[int, float]]) -> float:
    """PostgreSQL calc_rank_or for one query term."""
    resj, wjm, jm = 0.0, -1.0, 0
    for j, (_, w) in enumerate(sorted(hits)):
        resj += w / ((j + 1) * (j + 1))
        if w > wjm:
            wjm, jm = w, j
    return (wjm + resj - wjm / ((jm + 1) * (jm + 1))) / 1.64493406685


_WEIGHTS = tuple(RANK_WEIGHTS.values())  # a hit's weight is kept as its place here
_WEIGHT_VALUES = np.array(_WEIGHTS, dtype=np.float64)
_ONE_HIT_RANKS = np.array([_rank_term([(1, w)]) for w in _WEIGHTS])  # a single hit's rank: its weight's


_Ranked = tuple[np.ndarray, np.ndarray]  # (positions ascending, ts_rank at each)
_NONE = np.zeros(0, dtype=np.intp)


@dataclass
class _TrigramMatch:
    """The trigram side of a query: its trigrams, the mask of the rows they match (None when no
    row shares one), the rows' similarity, and the first matches in order once asked for
    (`best`: the first `best_k`, or all of them if fewer)."""

    grams: frozenset[str]
    similar: np.ndarray | None
    similarity: _Similarity
    best: np.ndarray
    best_k: int


class _Similarity:
    """max(title, slug) similarity to a query's `a` trigrams, of the rows asked for
    (`similarity[rows]`): the division `search_text.similarity` does, on exact integers in float64. Made
    for the few rows a query ranks, not for all of them (at 100,000 packages that pass over
    every row was a fifth of the search answers' time)."""

    __slots__ = ("sizes", "slug_slot", "counts", "a")

    def __init__(self, index: SearchIndex, counts: np.ndarray | None, a: int) -> None:
        # The index's arrays, not the index: the index keeps its last match, which holds this,
        # and a cycle would keep the whole index alive until the cyclic collector runs.
        self.sizes, self.slug_slot, self.counts, self.a = index._float_sizes, index.slug_slot, counts, a

    def _of_slots(self, slots: np.ndarray) -> np.ndarray:
        assert self.counts is not None
        common = self.counts[slots].astype(np.float64)
        return common / (self.a + self.sizes[slots] - common)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        if self.counts is None:  # no row shares a trigram with the query
            return np.zeros(len(rows))
        similarity = self._of_slots(rows)
        slugs = self.slug_slot[rows]
        own = slugs >= 0
        if own.any():
            similarity[own] = np.maximum(similarity[own], self._of_slots(slugs[own]))
        return similarity


def _add_slot(grams: set[str], at: int, ids: dict[str, int], pair_gram: array, pair_slot: array,
              sizes: array) -> None:
    """List a slot's trigrams as (gram id, slot) pairs, numbering new grams."""
    pair_gram.extend([ids.setdefault(g, len(ids)) for g in grams])
    pair_slot.extend([at] * len(grams))
    sizes.append(len(grams))


def _within(rows: np.ndarray, sorted_rows: np.ndarray) -> np.ndarray:
    """Which of `rows` are in `sorted_rows` (ascending, not empty)."""
    at = np.minimum(sorted_rows.searchsorted(rows), len(sorted_rows) - 1)
    return sorted_rows[at] == rows


class SearchIndex:
    """All search rows, tokenised once; `query` answers one `q` as the live endpoint does.

    Postings: `lexemes` sorted; lexeme k's postings are `post_start[k]:post_start[k + 1]`,
    posting i is the row at position `post_rows[i]` (ascending within a lexeme), its hits
    (position in the row, weight as its place in `_WEIGHTS`) are `hit_start[i]:hit_start[i + 1]`
    of `hit_pos` and `hit_code`, and `post_rank[i]` is its ts_rank (NaN until a query needs it)."""

    def __init__(self, rows: Iterable[SearchRow]) -> None:
        with collector.paused():  # millions of small acyclic objects
            self._build(list(rows))

    def _build(self, rows: list[SearchRow]) -> None:
        order = sorted(range(len(rows)), key=lambda i: (-rows[i].weight, rows[i].title, i))
        # Positions are rows in (weight desc, title, row) order: `ordered[pos]` is the row,
        # `rownum[pos]` its place in `rows`, and its JSON is `bodies[body_at[pos]:body_at[pos + 1]]`
        # (one buffer, not an object per row: what the index leaves behind when it is freed
        # is then no scattered holes in the process's memory).
        self.ordered = [rows[i] for i in order]
        self.rownum = np.array(order, dtype=np.int32)
        n = self.size = len(self.ordered)
        bodies = bytearray()
        self.body_at = array("q", [0])
        for row in self.ordered:
            bodies += row_body(row)
            self.body_at.append(len(bodies))
        self.bodies = memoryview(bodies)  # a slice of it is no copy
        # The order of results is by score -(rank + 0.02·weight), then similarity desc, then
        # title and row: `tiebreak` is a row's place in (title, row) order. `boost` holds
        # 0.02·weight computed by Python, so scores are the very floats of that definition.
        self.boost = np.array([WEIGHT_BOOST * r.weight for r in self.ordered], dtype=np.float64)
        self.trigram_score = -(0.0 + self.boost)  # the score of a trigram-only match; ascending
        self.tiebreak = np.empty(n, dtype=np.intp)
        self.tiebreak[sorted(range(n), key=lambda p: (self.ordered[p].title, order[p]))] = np.arange(n)
        self._init_postings()
        self._init_trigrams()

    def _init_postings(self) -> None:
        """The postings' flat arrays (see the class)."""
        lex_ids: dict[str, int] = {}
        lex_of, pos_of, hit_count = array("i"), array("i"), array("i")
        hit_pos, hit_code = array("i"), array("B")
        codes = {w: c for c, w in enumerate(_WEIGHTS)}
        for pos, row in enumerate(self.ordered):
            found = row_hits(row)
            lex_of.extend([lex_ids.setdefault(lex, len(lex_ids)) for lex in found])
            pos_of.extend([pos] * len(found))
            for hits in found.values():
                hit_count.append(len(hits))
                for at, weight in hits:
                    hit_pos.append(at)
                    hit_code.append(codes[weight])
        # Lexeme ids in sorted order, so that the lexemes a prefix matches are a range of them.
        self.lexemes = sorted(lex_ids)
        renumber = np.empty(len(lex_ids), dtype=np.int32)
        renumber[[lex_ids[lex] for lex in self.lexemes]] = np.arange(len(lex_ids), dtype=np.int32)
        del lex_ids
        lexeme_of = renumber[np.frombuffer(lex_of, dtype=np.int32)]
        del renumber, lex_of
        order = np.argsort(lexeme_of, kind="stable")  # stable: rows stay ascending
        self.post_start = array("q", [0])  # not numpy's: read an item at a time, which numpy is slow at
        self.post_start.frombytes(np.cumsum(np.bincount(lexeme_of, minlength=len(self.lexemes)),
                                            dtype=np.int64).tobytes())
        del lexeme_of
        self.post_rows = np.frombuffer(pos_of, dtype=np.int32)[order]
        del pos_of
        # Each posting's hits, moved with it: hit_start[i]:hit_start[i + 1] in hit_pos/hit_code.
        counts = np.frombuffer(hit_count, dtype=np.int32)
        was_at = (np.cumsum(counts) - counts)[order]
        counts = counts[order]
        self.hit_start = np.concatenate(([0], np.cumsum(counts)))
        moved = np.repeat(was_at - self.hit_start[:-1], counts) + np.arange(self.hit_start[-1])
        del was_at, counts, order, hit_count
        self.hit_pos = np.frombuffer(hit_pos, dtype=np.int32)[moved]
        self.hit_code = np.frombuffer(hit_code, dtype=np.uint8)[moved]
        del moved, hit_pos, hit_code
        # ts_rank of each posting, worked out when a query first needs it (NaN until then).
        self.post_rank = np.full(len(self.post_rows), np.nan)
        self._ranks: dict[str, _Ranked] = {}
        self._prefixes: dict[str, _Ranked] = {}

    def _init_trigrams(self) -> None:
        n = self.size
        # Slots: titles at 0..n-1, then the slugs whose trigrams differ from their title's
        # (`slot[pos]` is pos for the others: most slugs are the title, lower-cased). Each slot's
        # trigrams are listed as (gram id, slot) pairs in flat arrays, not kept as sets.
        ids: dict[str, int] = {}
        pair_gram, pair_slot, sizes, own_slug = array("i"), array("i"), array("l"), array("l")
        slugs: list[tuple[int, set[str]]] = []
        for pos, row in enumerate(self.ordered):
            title = trigrams(row.title)
            _add_slot(title, pos, ids, pair_gram, pair_slot, sizes)
            if row.slug.lower() != row.title.lower():
                grams = trigrams(row.slug)
                if grams != title:
                    slugs.append((pos, grams))
        for pos, grams in slugs:
            own_slug.append(pos)
            _add_slot(grams, len(sizes), ids, pair_gram, pair_slot, sizes)
        del slugs
        self.own_slug = np.frombuffer(own_slug, dtype=np.int_).astype(np.intp)
        self.slug_slot = np.full(n, -1, dtype=np.intp)  # the slot of a row's own slug, or -1
        self.slug_slot[self.own_slug] = np.arange(n, n + len(self.own_slug), dtype=np.intp)
        self.gram_sizes = np.frombuffer(sizes, dtype=np.int_).astype(np.int64)
        self._float_sizes = self.gram_sizes.astype(np.float64)
        slots = len(sizes)
        gram_of = np.frombuffer(pair_gram, dtype=np.int32)  # int32 all through: 3 million pairs at 100k
        slot_of = np.frombuffer(pair_slot, dtype=np.int32)
        names = sorted(ids, key=ids.__getitem__)  # gram id -> gram
        counts = np.bincount(gram_of, minlength=len(names))
        common = sorted(g for g in names if counts[ids[g]] * DENSE > slots)
        self.dense_grams = {g: i for i, g in enumerate(common)}
        self.dense = np.zeros((len(common), slots), dtype=np.uint8)
        # Each gram's slots, ascending (a stable sort keeps the order they were added in): a
        # row of the dense matrix for a common gram, an array for the others.
        order = np.argsort(gram_of, kind="stable")
        del gram_of, pair_gram
        by_gram = slot_of[order]
        del order, slot_of, pair_slot
        ends = np.cumsum(counts).tolist()
        self.gram_slots = {}
        for i, g in enumerate(names):
            slots_of_gram = by_gram[ends[i] - counts[i]:ends[i]]
            row = self.dense_grams.get(g)
            if row is None:
                self.gram_slots[g] = slots_of_gram.copy()
            else:
                self.dense[row, slots_of_gram] = 1
        self._need: dict[int, np.ndarray] = {}  # query trigram count -> least passing |A∩B| per slot
        self._last_match: _TrigramMatch | None = None

    # -- full-text part ------------------------------------------------------------------

    def _lexeme(self, lex: str) -> int:
        """A lexeme's id (its place in `lexemes`), or -1 when no row holds it."""
        at = bisect_left(self.lexemes, lex)
        return at if at < len(self.lexemes) and self.lexemes[at] == lex else -1

    def _postings(self, lex: str) -> tuple[int, int]:
        """The range of a lexeme's postings (empty when no row holds it)."""
        k = self._lexeme(lex)
        return (0, 0) if k < 0 else (self.post_start[k], self.post_start[k + 1])

    def _hits(self, first: int, end: int) -> list[tuple[int, float]]:
        """The hits of postings first..end-1, one after the other: (position, weight) pairs."""
        start, stop = self.hit_start[first], self.hit_start[end]
        return list(zip(self.hit_pos[start:stop].tolist(), _WEIGHT_VALUES[self.hit_code[start:stop]].tolist(),
                        strict=True))

    def _ranks_of(self, start: int, end: int) -> np.ndarray:
        """ts_rank of postings start..end-1 (a view of `post_rank`), each worked out once."""
        ranks = self.post_rank[start:end]
        todo = np.flatnonzero(np.isnan(ranks)) + start
        if len(todo):
            self._rank_postings(todo)
        return ranks

    def _rank_postings(self, todo: np.ndarray) -> None:
        """Work out the ts_rank of the postings `todo` into `post_rank`."""
        if len(todo) <= 16:  # one at a time: cheaper than numpy's calls for a few
            hit_start, hit_code = self.hit_start, self.hit_code
            for posting in todo.tolist():
                start, end = hit_start[posting], hit_start[posting + 1]
                self.post_rank[posting] = _ONE_HIT_RANKS[hit_code[start]] if end - start == 1 else \
                    _rank_term(self._hits(posting, posting + 1))
            return
        starts = self.hit_start[todo]
        single = self.hit_start[todo + 1] - starts == 1
        self.post_rank[todo[single]] = _ONE_HIT_RANKS[self.hit_code[starts[single]]]
        several = todo[~single]
        if len(several):  # their hits gathered in one go, then ranked one posting at a time
            starts, counts = starts[~single], self.hit_start[several + 1] - starts[~single]
            ends = np.cumsum(counts)
            at = np.repeat(starts - (ends - counts), counts) + np.arange(ends[-1])
            pairs = list(zip(self.hit_pos[at].tolist(), _WEIGHT_VALUES[self.hit_code[at]].tolist(), strict=True))
            bounds = [0, *ends.tolist()]
            self.post_rank[several] = [_rank_term(pairs[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]

    def _ranked(self, lex: str) -> _Ranked:
        """The rows holding a lexeme and its ts_rank in each."""
        found = self._ranks.get(lex)
        if found is None:
            if len(self._ranks) >= CACHED:
                self._ranks.clear()
            start, end = self._postings(lex)
            found = self._ranks[lex] = (self.post_rows[start:end], self._ranks_of(start, end))
        return found

    def _prefixed(self, stem_: str) -> _Ranked:
        """The rows holding a lexeme that starts with stem_, ranked over all such lexemes' hits."""
        found = self._prefixes.get(stem_)
        if found is not None:
            return found
        lexemes = self.lexemes
        lo = bisect_left(lexemes, stem_)
        hi = bisect_left(lexemes, stem_ + "\U0010ffff", lo)  # and step over any going on with U+10FFFF
        while hi < len(lexemes) and lexemes[hi].startswith(stem_):
            hi += 1
        if hi - lo == 1:
            found = self._ranked(lexemes[lo])
        else:
            # The lexemes' postings are one range: each row's hits of all of them, ranked together.
            merged: dict[int, list[tuple[int, float]]] = {}
            start, end = self.post_start[lo], self.post_start[hi]
            pairs = self._hits(start, end)
            bounds = (self.hit_start[start:end + 1] - self.hit_start[start]).tolist()
            for p, first, stop in zip(self.post_rows[start:end].tolist(), bounds[:-1], bounds[1:], strict=True):
                if p in merged:
                    merged[p] += pairs[first:stop]
                else:
                    merged[p] = pairs[first:stop]
            at = sorted(merged)
            found = (np.array(at, dtype=np.intp), np.array([_rank_term(merged[p]) for p in at], dtype=np.float64))
        if len(self._prefixes) >= CACHED:
            self._prefixes.clear()
        self._prefixes[stem_] = found
        return found

    def _fulltext(self, terms: list[str], stem_: str) -> _Ranked:
        """The rows the full-text part matches (all terms, or the prefix) and their ts_rank."""
        found = _NONE, np.zeros(0)
        if len(terms) == 1:
            found = self._ranked(terms[0])
        elif terms:
            found = self._all_of(terms)
        if stem_:
            found = self._higher(found, self._prefixed(stem_))
        return found

    def _all_of(self, terms: list[str]) -> _Ranked:
        """The rows holding every term, ranked by the mean of the terms' ranks (added up in term
        order, as sum() does)."""
        ranges = [self._postings(t) for t in terms]
        start, end = min(ranges, key=lambda r: r[1] - r[0])
        if end - start <= SMALL:  # look the rarest term's rows up in the other terms' postings
            at = self.post_rows[start:end]
            places: list[np.ndarray] = []  # for each term, the posting of each row in `at`
            for start, end in ranges:
                other = self.post_rows[start:end]
                keep = _within(at, other) if len(at) else np.zeros(0, dtype=bool)
                at, places = at[keep], [p[keep] for p in places] + [other.searchsorted(at[keep]) + start]
            if not len(at):
                return at, np.zeros(0)
            ranks = [self.post_rank[postings].tolist() for postings in places]  # term by term
            todo = [posting for postings, rank in zip(places, ranks, strict=True)
                    for posting, r in zip(postings.tolist(), rank, strict=True) if r != r]  # NaN: not yet
            if todo:
                self._rank_postings(np.array(todo, dtype=np.intp))
                ranks = [self.post_rank[postings].tolist() for postings in places]
            return at, np.array([sum(row) / len(terms) for row in zip(*ranks, strict=True)], dtype=np.float64)
        ranked = [self._ranked(t) for t in terms]
        at = min((at for at, _ in ranked), key=len)
        for other, _ in ranked:
            at = at[_within(at, other)]
        total = np.zeros(len(at))
        for other, rank in ranked:
            total += rank[other.searchsorted(at)]
        return at, total / len(terms)

    def _higher(self, one: _Ranked, other: _Ranked) -> _Ranked:
        """The rows of either, each with the higher of its two ranks (a missing one counts as 0)."""
        if one is other or not len(other[0]):
            return one
        if not len(one[0]):
            return other
        if len(one[0]) + len(other[0]) <= SMALL:
            merged = dict(zip(one[0].tolist(), one[1].tolist(), strict=True))
            for p, r in zip(other[0].tolist(), other[1].tolist(), strict=True):
                merged[p] = max(merged.get(p, 0.0), r)
            at = sorted(merged)
            return np.array(at, dtype=np.intp), np.array([merged[p] for p in at], dtype=np.float64)
        rank = np.zeros(self.size)
        rank[one[0]] = one[1]
        rank[other[0]] = np.maximum(rank[other[0]], other[1])
        member = np.zeros(self.size, dtype=bool)
        member[one[0]] = True
        member[other[0]] = True
        at = np.flatnonzero(member)
        return at, rank[at]

    # -- trigram part --------------------------------------------------------------------

    def _trigram_match(self, qgrams: set[str]) -> _TrigramMatch:
        """The trigram side of a query; the last one is kept for the next query."""
        last = self._last_match
        if last is not None and last.grams == qgrams:
            return last
        counts = self._counts(qgrams) if qgrams else None
        if counts is None:
            match = _TrigramMatch(frozenset(qgrams), None, _Similarity(self, None, 0), _NONE, 0)
        else:
            match = _TrigramMatch(frozenset(qgrams), self._similar(counts, len(qgrams)),
                                  _Similarity(self, counts, len(qgrams)), _NONE, 0)
        self._last_match = match
        return match

    def _counts(self, qgrams: set[str]) -> np.ndarray | None:
        """|qgrams ∩ trigrams| of every slot; None when no slot holds any of them."""
        dense = [self.dense_grams[g] for g in qgrams if g in self.dense_grams]
        sparse = [self.gram_slots[g] for g in qgrams if g in self.gram_slots]
        if not dense and not sparse:
            return None
        dtype = np.uint8 if len(qgrams) < 255 else np.int32  # a count is at most len(qgrams)
        counts = np.add.reduce(self.dense[dense], axis=0, dtype=dtype)
        for slots in sparse:  # no slot twice in one list
            counts[slots] += 1
        return counts

    def _similar(self, counts: np.ndarray, a: int) -> np.ndarray:
        """The mask of the rows whose title or slug has similarity >= 0.2 to the query's `a`
        trigrams: 6·|A∩B| >= |A|+|B|, tested in integers."""
        need = self._need.get(a)
        if need is None:
            need = (a + self.gram_sizes + 5) // 6
            if counts.dtype == np.uint8:  # a < 255: a count of 255 is as out of reach as more
                need = np.minimum(need, 255)
            need = self._need[a] = need.astype(counts.dtype)
        passing = counts >= need
        similar = passing[:self.size]
        similar[self.own_slug] |= passing[self.size:]
        similar.flags.writeable = False
        return similar

    # -- ranking -------------------------------------------------------------------------

    def _top(self, q: str) -> np.ndarray:
        """Positions of the rows answering q, best first (at most LIMIT)."""
        q = q.strip()
        if not q or not self.size:
            return _NONE
        terms = [t for t in text_lexemes(q) if t]
        stem_ = stem(q.lower()) if len(q) >= 3 and PREFIX_RE.match(q) is not None else ""
        match = self._trigram_match(trigrams(q) if len(q) >= 3 else set())
        similarity = match.similarity
        fulltext, rank = self._fulltext(terms, stem_)
        rows, score = fulltext, -(rank + self.boost[fulltext])
        if len(rows) > LIMIT:
            rows, score = self._best(rows, score, similarity)
        if match.similar is not None:
            # The best rows matched by trigrams alone: the first trigram matches, but for the
            # full-text matches among them (scored above, with their rank).
            clash = np.count_nonzero(match.similar[fulltext])
            trigram = self._trigram_best(match, LIMIT + clash)
            if clash:
                trigram = trigram[~_within(trigram, fulltext)]
            trigram = trigram[:LIMIT]
            rows, score = np.concatenate((rows, trigram)), np.concatenate((score, self.trigram_score[trigram]))
        return rows[np.lexsort((self.tiebreak[rows], -similarity[rows], score))][:LIMIT]

    def _best(self, rows: np.ndarray, score: np.ndarray,
              similarity: _Similarity) -> tuple[np.ndarray, np.ndarray]:
        """The LIMIT best of `rows` and their scores, in no order."""
        cut = np.partition(score, LIMIT - 1)[LIMIT - 1]
        ahead = score < cut
        tied = self._most_similar(rows[score == cut], LIMIT - np.count_nonzero(ahead), similarity)
        return np.concatenate((rows[ahead], tied)), np.concatenate((score[ahead], np.full(len(tied), cut)))

    def _trigram_best(self, match: _TrigramMatch, k: int) -> np.ndarray:
        """The trigram matches in order (score, similarity, title, row): the first k at least, or all."""
        if k <= match.best_k or len(match.best) < match.best_k:
            return match.best
        assert match.similar is not None
        rows = np.flatnonzero(match.similar)  # ascending positions: ascending scores
        if len(rows) > k:
            # Rows scoring better than the k-th are in; then the most similar of those tied with it.
            cut = self.trigram_score[rows[k - 1]]
            below = rows.searchsorted(self.trigram_score.searchsorted(cut, "left"))
            upto = rows.searchsorted(self.trigram_score.searchsorted(cut, "right"))
            rows = np.concatenate((rows[:below], self._most_similar(rows[below:upto], k - below, match.similarity)))
        match.best = rows[np.lexsort((self.tiebreak[rows], -match.similarity[rows], self.trigram_score[rows]))]
        match.best_k = k
        return match.best

    def _most_similar(self, rows: np.ndarray, need: int, similarity: _Similarity) -> np.ndarray:
        """The `need` rows of `rows` with the highest similarity, ties broken by title and row."""
        if len(rows) <= need:
            return rows
        sim = similarity[rows]
        if len(rows) > 4 * need:
            for floor in FLOORS:  # every row as similar as the need-th is at least at this floor
                keep = sim >= floor
                if np.count_nonzero(keep) >= need:
                    rows, sim = rows[keep], sim[keep]
                    break
        level = np.partition(sim, len(rows) - need)[len(rows) - need]  # the need-th highest
        over = rows[sim > level]
        even = rows[sim == level]
        rest = need - len(over)
        if len(even) > rest:
            even = even[np.argpartition(self.tiebreak[even], rest - 1)[:rest]]
        return np.concatenate((over, even))

    def query(self, q: str) -> list[_Doc]:
        """The rows answering q, in the live endpoint's order."""
        return [_Doc(self.ordered[p], self._body(p)) for p in self._top(q).tolist()]

    def answer(self, q: str) -> bytes:
        """The JSON body of `/api/v4/search/?q=`."""
        return self.answer_rows(q).body

    def answer_rows(self, q: str) -> Answer:
        """The JSON body of `/api/v4/search/?q=`, and the places in `rows` of the rows it shows."""
        top = self._top(q)
        bodies, at = self.bodies, self.body_at
        return Answer(b"[" + b",".join([bodies[at[p]:at[p + 1]] for p in top.tolist()]) + b"]",
                      self.rownum[top].tolist())

    def _body(self, pos: int) -> bytes:
        """The JSON of the row at a position."""
        return bytes(self.bodies[self.body_at[pos]:self.body_at[pos + 1]])


class Answer(NamedTuple):
    body: bytes
    rows: list[int]  # the places of its rows in the index's `rows`, in the answer's order


def answers(terms: Iterable[str], index: SearchIndex) -> dict[str, Answer]:
    """term -> its answer, each distinct answer computed once (in sharing key order)."""
    terms = list(terms)
    first: dict[str, str] = {}  # answer key -> the term its answer is computed for
    for term in terms:
        first.setdefault(answer_key(term), term)
    cache = {key: index.answer_rows(first[key]) for key in sorted(first, key=lambda k: (sharing_key(k), k))}
    return {term: cache[answer_key(term)] for term in terms}
