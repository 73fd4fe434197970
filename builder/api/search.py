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
  the sorted lexemes; ts_rank of a lexeme (or a prefix) in its rows is computed once, in
  Python, and cached as arrays; the other words of a query are looked up in the rows of its
  rarest word;
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
    Hits,
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


_Posting = tuple[np.ndarray, tuple[Hits, ...]]  # (row positions ascending, the lexeme's hits in each)
_NO_POSTING: _Posting = (np.zeros(0, dtype=np.intp), ())


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


_ONE_HIT_RANK = {w: _rank_term([(1, w)]) for w in RANK_WEIGHTS.values()}  # depends on the weight only


def _hits_rank(hits: Hits) -> float:
    """_rank_term, looked up for a single hit (the most common case)."""
    return _ONE_HIT_RANK[hits[0][1]] if len(hits) == 1 else _rank_term(hits)


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
    """All search rows, tokenised once; `query` answers one `q` as the live endpoint does."""

    def __init__(self, rows: Iterable[SearchRow]) -> None:
        with collector.paused():  # millions of small acyclic objects
            self._build(list(rows))

    def _build(self, rows: list[SearchRow]) -> None:
        order = sorted(range(len(rows)), key=lambda i: (-rows[i].weight, rows[i].title, i))
        # docs[pos]: rows in (weight desc, title, row) order; `rownum` is a row's place in `rows`.
        self.docs = [_Doc(rows[i], row_body(rows[i])) for i in order]
        self.rownum = order
        n = self.size = len(self.docs)
        self.weights = [d.row.weight for d in self.docs]
        self.titles = [d.row.title for d in self.docs]
        # The order of results is by score -(rank + 0.02·weight), then similarity desc, then
        # title and row: `tiebreak` is a row's place in (title, row) order. `boost` holds
        # 0.02·weight computed by Python, so scores are the very floats of that definition.
        self.boost = np.array([WEIGHT_BOOST * w for w in self.weights], dtype=np.float64)
        self.trigram_score = -(0.0 + self.boost)  # the score of a trigram-only match; ascending
        self.tiebreak = np.empty(n, dtype=np.intp)
        self.tiebreak[sorted(range(n), key=lambda p: (self.titles[p], self.rownum[p]))] = np.arange(n)

        # Postings: every (lexeme, row) pair in flat arrays, grouped by lexeme with one stable
        # sort (rows stay ascending); no list per lexeme is ever made.
        lex_ids: dict[str, int] = {}
        lex_of, pos_of = array("i"), array("i")
        hits_of: list[Hits] = []
        for pos, doc in enumerate(self.docs):
            found = row_hits(doc.row)
            lex_of.extend([lex_ids.setdefault(lex, len(lex_ids)) for lex in found])
            pos_of.extend([pos] * len(found))
            hits_of.extend(found.values())
        # Each step lets go of what it read: at 100,000 rows these are 4 million entries each.
        lexeme_of = np.frombuffer(lex_of, dtype=np.int32)
        order = np.argsort(lexeme_of, kind="stable")
        ends = np.cumsum(np.bincount(lexeme_of, minlength=len(lex_ids))).tolist()
        del lexeme_of, lex_of
        rows = np.frombuffer(pos_of, dtype=np.int32)[order]  # int32: row positions fit
        del pos_of
        unsorted = np.fromiter(hits_of, dtype=object, count=len(hits_of))
        del hits_of
        hits = unsorted[order]
        del unsorted, order
        self.postings: dict[str, _Posting] = {}
        start = 0
        for lex, end in zip(lex_ids, ends, strict=True):  # lex_ids: in id order
            self.postings[lex] = (rows[start:end], tuple(hits[start:end]))
            start = end
        self.lexemes = sorted(self.postings)
        self._ranks: dict[str, _Ranked] = {}
        self._prefixes: dict[str, _Ranked] = {}
        self._init_trigrams()

    def _init_trigrams(self) -> None:
        n = self.size
        # Slots: titles at 0..n-1, then the slugs whose trigrams differ from their title's
        # (`slot[pos]` is pos for the others: most slugs are the title, lower-cased). Each slot's
        # trigrams are listed as (gram id, slot) pairs in flat arrays, not kept as sets.
        ids: dict[str, int] = {}
        pair_gram, pair_slot, sizes, own_slug = array("i"), array("i"), array("l"), array("l")
        slugs: list[tuple[int, set[str]]] = []
        for pos, doc in enumerate(self.docs):
            title = trigrams(doc.row.title)
            _add_slot(title, pos, ids, pair_gram, pair_slot, sizes)
            if doc.row.slug.lower() != doc.row.title.lower():
                grams = trigrams(doc.row.slug)
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

    def _ranked(self, lex: str) -> _Ranked:
        """The rows holding a lexeme and its ts_rank in each."""
        found = self._ranks.get(lex)
        if found is None:
            if len(self._ranks) >= CACHED:
                self._ranks.clear()
            at, hits = self.postings.get(lex, _NO_POSTING)
            found = self._ranks[lex] = (at, np.array([_hits_rank(h) for h in hits], dtype=np.float64))
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
            merged: dict[int, Hits] = {}
            for lex in lexemes[lo:hi]:
                at, hits_of = self.postings[lex]
                for p, hits in zip(at.tolist(), hits_of, strict=True):
                    merged[p] = merged[p] + hits if p in merged else hits
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
        postings = [self.postings.get(t, _NO_POSTING) for t in terms]
        rarest = min((at for at, _ in postings), key=len)
        if len(rarest) <= SMALL:  # look the rarest term's rows up in the other terms' postings
            at = rarest
            places = []
            for other, _ in postings:
                keep = _within(at, other) if len(at) else np.zeros(0, dtype=bool)
                at, places = at[keep], [p[keep] for p in places] + [other.searchsorted(at[keep])]
            places = [p.tolist() for p in places]
            ranks = [sum(_hits_rank(hits[place[k]]) for (_, hits), place in zip(postings, places, strict=True))
                     / len(terms) for k in range(len(at))]
            return at, np.array(ranks, dtype=np.float64)
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
        return [self.docs[p] for p in self._top(q).tolist()]

    def answer(self, q: str) -> bytes:
        """The JSON body of `/api/v4/search/?q=`."""
        return self.answer_rows(q).body

    def answer_rows(self, q: str) -> Answer:
        """The JSON body of `/api/v4/search/?q=`, and the places in `rows` of the rows it shows."""
        docs, top = self.docs, self._top(q).tolist()
        return Answer(b"[" + b",".join([docs[p].body for p in top]) + b"]", [self.rownum[p] for p in top])


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
