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
every row:

- full-text matches come from postings (lexeme -> rows) and, for the prefix match, a range of
  the sorted lexemes; ts_rank of one lexeme in one row is computed once and cached;
- trigram matches (similarity >= 0.2, i.e. 6·|A∩B| >= |A|+|B|) come from trigram -> rows
  bitsets (Python ints) added up in bit slices, then compared per row size;
- rows get bit numbers in (weight desc, title, row) order, so rows found by trigrams alone
  (rank 0: ordered by weight, similarity, title) are taken a weight class at a time, stopping
  when 20 are certain; only the candidates that can reach the top 20 get a similarity.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import emoji
import snowballstemmer

from ..model import SearchRow, Snapshot
from . import layout
from .jsonenc import dumps_v4

LIMIT = 20
WEIGHT_BOOST = 0.02
TRIGRAM_THRESHOLD = 0.2  # similarity >= 1/5, tested exactly as 6·|A∩B| >= |A|+|B|
RANK_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
PREFIX_RE = re.compile(r"\A[A-Za-z0-9_-]+\Z")
WORD_RE = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*", re.UNICODE)
TRIGRAM_WORD_RE = re.compile(r"[^\W_]+")
HYPHEN_RE = re.compile(r"[-_]")
# Characters a term may not hold to become a file name on every host.
UNSAFE_TERM = re.compile(r"[/\\<>:\"|?*%\x00-\x1f]")
STOP_WORDS = frozenset("""i me my myself we our ours ourselves you your yours yourself yourselves he
him his himself she her hers herself it its itself they them their theirs themselves what which
who whom this that these those am is are was were be been being have has had having do does did
doing a an the and but if or because as until while of at by for with about against between into
through during before after above below to from up down in out on off over under again further
then once here there when where why how all any both each few more most other some such no nor
not only own same so than too very s t can will just don should now""".split())
# Similarity thresholds (numerator, denominator) tried, highest first, to pick the best few of a
# weight class with many trigram matches without computing every similarity.
LADDER = ((4, 5), (2, 3), (3, 5), (1, 2), (9, 20), (2, 5), (7, 20), (1, 3), (3, 10), (11, 40), (1, 4),
          (9, 40), (2, 9))

_stemmer = snowballstemmer.stemmer("english")
_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """The Snowball English stem, memoised (a build stems each distinct word once)."""
    found = _STEMS.get(word)
    if found is None:
        found = _STEMS[word] = _stemmer.stemWord(word)
    return found


def _lexemes(text: str) -> list[str]:
    """The lexemes of a text in position order (a hyphenated word, then its parts); '' for a stop word."""
    out: list[str] = []
    for word in WORD_RE.findall(text.lower()):
        parts = HYPHEN_RE.split(word)
        for token in ([word] if len(parts) == 1 else [word, *parts]):
            out.append("" if token in STOP_WORDS else stem(token))
    return out


@dataclass
class _Doc:
    row: SearchRow
    positions: dict[str, list[tuple[int, float]]]  # lexeme -> [(position, weight)]
    body: bytes


def _index(row: SearchRow) -> dict[str, list[tuple[int, float]]]:
    positions: dict[str, list[tuple[int, float]]] = defaultdict(list)
    offset = 0
    for text, label in ((row.title, "A"), (row.slug, "B"), (row.description, "C"),
                        (row.category, "D"), (row.participants, "D")):
        if not text:
            continue
        lexemes = _lexemes(text)
        weight = RANK_WEIGHTS[label]
        for i, lex in enumerate(lexemes, 1):
            if lex:
                positions[lex].append((offset + i, weight))
        offset += len(lexemes)
    return positions


def _rank_term(hits: list[tuple[int, float]]) -> float:
    """PostgreSQL calc_rank_or for one query term."""
    resj, wjm, jm = 0.0, -1.0, 0
    for j, (_, w) in enumerate(sorted(hits)):
        resj += w / ((j + 1) * (j + 1))
        if w > wjm:
            wjm, jm = w, j
    return (wjm + resj - wjm / ((jm + 1) * (jm + 1))) / 1.64493406685


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in TRIGRAM_WORD_RE.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def _similarity(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """pg_trgm similarity: |a ∩ b| / |a ∪ b| (the union's size computed from the intersection's)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def result(row: SearchRow) -> dict[str, object]:
    """One row as SearchV3Serializer writes it."""
    prefix = "/packages/p/" if row.item_type == "package" else "/grids/g/"
    return {
        "description": emoji.emojize(row.description), "title": emoji.emojize(row.title),
        "title_no_prefix": row.title, "slug_no_prefix": row.slug, "clean_title": row.title,
        "absolute_url": f"{prefix}{row.slug}/", "created": row.created, "modified": row.modified,
        "weight": row.weight, "item_type": row.item_type, "slug": row.slug, "category": row.category,
        "repo_watchers": row.repo_watchers, "repo_forks": row.repo_forks,
        "pypi_downloads": row.pypi_downloads, "score": row.score, "usage": row.usage,
        "participants": row.participants, "last_committed": row.last_committed,
        "last_released": row.last_released,
    }


def _bits(x: int) -> Iterator[int]:
    """The set bits of x, lowest first."""
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


def _mask(bits: Iterable[int]) -> int:
    x = 0
    for b in bits:
        x |= 1 << b
    return x


class _TrigramField:
    """trigram -> rows bitsets of one field (title or slug), and rows by trigram-set size."""

    def __init__(self, grams: Sequence[frozenset[str]]) -> None:
        lists: dict[str, list[int]] = defaultdict(list)
        by_size: dict[int, list[int]] = defaultdict(list)
        for bit, gs in enumerate(grams):
            for g in gs:
                lists[g].append(bit)
            if gs:
                by_size[len(gs)].append(bit)
        self.bitsets = {g: _mask(bits) for g, bits in lists.items()}
        self.max_size = max(by_size, default=0)
        # at_most[n]: rows whose trigram set has 1..n elements.
        self.at_most = [0] * (self.max_size + 1)
        acc = 0
        for n in range(1, self.max_size + 1):
            acc |= _mask(by_size.get(n, ()))
            self.at_most[n] = acc

    def counts(self, qgrams: set[str]) -> list[int]:
        """Bit slices of |qgrams ∩ row grams| for every row (slices[j]: bit j of the count)."""
        slices: list[int] = []
        bitsets = self.bitsets
        for g in qgrams:
            x = bitsets.get(g, 0)
            j = 0
            while x:
                if j == len(slices):
                    slices.append(x)
                    break
                s = slices[j]
                slices[j] = s ^ x
                x &= s
                j += 1
        return slices

    def at_least(self, ge: list[int], a: int, num: int, den: int) -> int:
        """Rows whose similarity to a query of `a` trigrams is >= num/den (`ge` from `levels`).

        c / (a + n - c) >= num/den  ⟺  c >= num·(a + n) / (num + den), n the row's size."""
        out = 0
        total = num + den
        n = 1
        top = min(self.max_size, (total * a) // num - a)  # beyond it the count would exceed a
        while n <= top:
            k = -(-num * (a + n) // total)
            # every size up to `last` needs the same count k
            last = min(top, (k * total) // num - a)
            group = self.at_most[last] ^ self.at_most[n - 1]
            if group and k < len(ge):
                out |= group & ge[k]
            n = last + 1
        return out


def levels(slices: list[int], a: int) -> list[int]:
    """ge[k]: rows whose bit-sliced count is >= k, for k in 0..a (ge[0] is every row)."""
    ge = [0] * (a + 1)
    acc = 0
    width = len(slices)
    for k in range(min(a, (1 << width) - 1), 0, -1):
        eq = -1
        for j in range(width):
            eq &= slices[j] if (k >> j) & 1 else ~slices[j]
        acc |= eq
        ge[k] = acc
    ge[0] = -1
    return ge


# The order of results: -(rank + 0.02·weight), -similarity, title, row (the live order, the row
# order for full ties), then the bit (unique with the row; only to find the row).
_Key = tuple[float, float, str, int, int]


class SearchIndex:
    """All search rows, tokenised once; `query` answers one `q` as the live endpoint does."""

    def __init__(self, rows: Iterable[SearchRow]) -> None:
        rows = list(rows)
        order = sorted(range(len(rows)), key=lambda i: (-rows[i].weight, rows[i].title, i))
        # docs[bit]: rows in (weight desc, title, row) order; `rownum` breaks the last ties.
        self.docs = [_Doc(rows[i], _index(rows[i]), dumps_v4(result(rows[i]))) for i in order]
        self.rownum = order
        self.weights = [d.row.weight for d in self.docs]
        self.titles = [d.row.title for d in self.docs]
        # weight classes: (score of a trigram-only match, first bit, end bit)
        self.classes: list[tuple[float, int, int]] = []
        for bit, w in enumerate(self.weights):
            if not self.classes or self.weights[self.classes[-1][1]] != w:
                if self.classes:
                    s, lo, _ = self.classes[-1]
                    self.classes[-1] = (s, lo, bit)
                self.classes.append((-(0.0 + WEIGHT_BOOST * w), bit, bit))
        if self.classes:
            s, lo, _ = self.classes[-1]
            self.classes[-1] = (s, lo, len(self.docs))
        postings: dict[str, list[tuple[int, list[tuple[int, float]]]]] = defaultdict(list)
        for bit, doc in enumerate(self.docs):
            for lex, hits in doc.positions.items():
                postings[lex].append((bit, hits))
        self.postings = dict(postings)
        self.lexemes = sorted(self.postings)
        self._ranks: dict[str, dict[int, float]] = {}
        self._lexbits: dict[str, int] = {}
        self.title_grams = [frozenset(_trigrams(d.row.title)) for d in self.docs]
        self.slug_grams = [frozenset(_trigrams(d.row.slug)) for d in self.docs]
        self.fields = (_TrigramField(self.title_grams), _TrigramField(self.slug_grams))

    # -- full-text part ------------------------------------------------------------------

    def _rank_of(self, lex: str) -> dict[int, float]:
        ranks = self._ranks.get(lex)
        if ranks is None:
            ranks = self._ranks[lex] = {b: _rank_term(h) for b, h in self.postings.get(lex, ())}
        return ranks

    def _bits_of(self, lex: str) -> int:
        x = self._lexbits.get(lex)
        if x is None:
            x = self._lexbits[lex] = _mask(b for b, _ in self.postings.get(lex, ()))
        return x

    def _fulltext(self, terms: list[str], stem_: str) -> dict[int, float]:
        """bit -> ts_rank of every row the full-text part matches (all terms, or the prefix)."""
        found: dict[int, float] = {}
        if terms:
            ranks = [self._rank_of(t) for t in terms]
            if all(ranks):
                smallest = min(ranks, key=len)
                for b in smallest:
                    if all(b in r for r in ranks):
                        found[b] = sum(r[b] for r in ranks) / len(terms)
        if stem_:
            lo = bisect_left(self.lexemes, stem_)
            hi = lo
            lexemes = self.lexemes
            while hi < len(lexemes) and lexemes[hi].startswith(stem_):
                hi += 1
            if hi - lo == 1:
                for b, r in self._rank_of(lexemes[lo]).items():
                    found[b] = max(found.get(b, 0.0), r)
            elif hi > lo:
                merged: dict[int, list[tuple[int, float]]] = {}
                for lex in lexemes[lo:hi]:
                    for b, hits in self.postings[lex]:
                        if b in merged:
                            merged[b] = merged[b] + hits
                        else:
                            merged[b] = hits
                for b, hits in merged.items():
                    found[b] = max(found.get(b, 0.0), _rank_term(hits))
        return found

    # -- ranking -------------------------------------------------------------------------

    def _similarity(self, qgrams: set[str], bit: int) -> float:
        if not qgrams:
            return 0.0
        return max(_similarity(qgrams, self.title_grams[bit]), _similarity(qgrams, self.slug_grams[bit]))

    def _key(self, bit: int, rank: float, qgrams: set[str]) -> _Key:
        return (-(rank + WEIGHT_BOOST * self.weights[bit]), -self._similarity(qgrams, bit),
                self.titles[bit], self.rownum[bit], bit)

    def query(self, q: str) -> list[_Doc]:
        q = q.strip()
        if not q:
            return []
        terms = [t for t in _lexemes(q) if t]
        prefix = len(q) >= 3 and PREFIX_RE.match(q) is not None
        stem_ = stem(q.lower()) if prefix else ""
        qgrams = _trigrams(q) if len(q) >= 3 else set()
        found = self._fulltext(terms, stem_)
        if len(found) > LIMIT:  # similarity only for the rows whose score can reach the top
            scores = sorted(-(r + WEIGHT_BOOST * self.weights[b]) for b, r in found.items())
            cut = scores[LIMIT - 1]
            keys = sorted(self._key(b, r, qgrams) for b, r in found.items()
                          if -(r + WEIGHT_BOOST * self.weights[b]) <= cut)
        else:
            keys = sorted(self._key(b, r, qgrams) for b, r in found.items())
        if qgrams:
            keys += self._trigram_only(qgrams, found, keys[LIMIT - 1] if len(keys) >= LIMIT else None)
            keys.sort()
        return [self.docs[k[4]] for k in keys[:LIMIT]]

    def _trigram_only(self, qgrams: set[str], found: dict[int, float],
                      worst: _Key | None) -> list[_Key]:
        """Keys of the rows matched by trigrams alone that can still reach the top LIMIT."""
        a = len(qgrams)
        slices = [levels(f.counts(qgrams), a) for f in self.fields]
        passing = 0
        for field, s in zip(self.fields, slices, strict=True):
            passing |= field.at_least(s, a, 1, 5)
        passing &= ~_mask(found)
        out: list[_Key] = []
        for score, lo, hi in self.classes:
            if len(out) >= LIMIT or (worst is not None and score > worst[0]):
                break
            m = (passing >> lo) & ((1 << (hi - lo)) - 1)
            if not m:
                continue
            need = LIMIT - len(out)
            if m.bit_count() > need + 4:
                for num, den in LADDER:
                    narrower = 0
                    for field, s in zip(self.fields, slices, strict=True):
                        narrower |= field.at_least(s, a, num, den) >> lo
                    narrower &= m
                    if narrower.bit_count() >= need:
                        m = narrower
                        break
            keys = sorted(self._key(b + lo, 0.0, qgrams) for b in _bits(m))
            out += keys[:need]
        return out

    def answer(self, q: str) -> bytes:
        return b"[" + b",".join(d.body for d in self.query(q)) + b"]"


# Which texts give vocabulary terms. Whole titles and slugs and the lower-cased words of titles
# and slugs are the requirement; the words of descriptions and participants would
# add a term per distinct word (thousands of participants' logins) for little use.
WHOLE_SOURCES = ("title", "slug")
WORD_SOURCES = ("title", "slug")
WITH_STEMS = True


def vocabulary(snap: Snapshot, rows: Iterable[SearchRow] = ()) -> set[str]:
    """Every precomputed term: whole titles and slugs of packages and grids (as written and
    lower-cased), the lower-cased words of their titles and slugs (hyphenated words whole and
    split) and those words' stems; terms that cannot be file names are left out."""
    terms: set[str] = {""}
    for item in (*snap.packages.values(), *snap.grids.values()):
        terms.update((item.title, item.title.lower(), item.slug))
    words: set[str] = set()
    for row in rows:
        for field in WORD_SOURCES:
            text = getattr(row, field).lower()
            words.update(WORD_RE.findall(text))
            words.update(TRIGRAM_WORD_RE.findall(text))
    terms |= words
    if WITH_STEMS:
        terms.update(stem(w) for w in words)
    return {t for t in terms if t.strip() == t and not UNSAFE_TERM.search(t) and len(t.encode()) <= 200}


def answer_key(term: str) -> str:
    """Terms with the same key have the same answer (matching is case-insensitive for ASCII)."""
    return term.lower() if term.isascii() else term


def answers(terms: Iterable[str], index: SearchIndex) -> dict[str, bytes]:
    """term -> its answer, each distinct answer computed once."""
    cache: dict[str, bytes] = {}
    out: dict[str, bytes] = {}
    for term in terms:
        key = answer_key(term)
        body = cache.get(key)
        if body is None:
            body = cache[key] = index.answer(term)
        out[term] = body
    return out


def files(answered: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    """`/api/v4/search/` without q (`[]`) and one file per vocabulary term, in term order."""
    yield layout.v4_search(), b"[]"
    yield layout.v4_search("json"), b"[]"
    for term in sorted(answered):
        yield layout.search_term_file(term), answered[term]
