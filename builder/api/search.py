"""`/api/v4/search/?q=`: the live SearchV3 answer, precomputed for every term of the vocabulary.

Matching and ranking follow searchv3 (PostgreSQL full-text search, `english` configuration):
title (weight A), slug (B), description (C), category and participants (D) are tokenised,
stop words dropped and words Snowball-stemmed; a query matches when all its words match, or,
for one token of 3+ characters of [A-Za-z0-9_-], when a word starts with it, or when its
trigram similarity to the title or slug is at least 0.2. Results are ordered by
ts_rank + 0.02 * weight, then similarity, then title; at most 20. Titles and descriptions are
emojized. `weight`, `created` and `modified` come from the snapshot's search rows (a dump has
the live index); without them they are computed (see docs/api.md).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import emoji
import snowballstemmer

from ..model import SearchRow, Snapshot
from . import layout
from .jsonenc import dumps_v4

LIMIT = 20
WEIGHT_BOOST = 0.02
TRIGRAM_THRESHOLD = 0.2
RANK_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
PREFIX_RE = re.compile(r"\A[A-Za-z0-9_-]+\Z")
WORD_RE = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*", re.UNICODE)
# Characters a term may not hold to become a file name on every host.
UNSAFE_TERM = re.compile(r"[/\\<>:\"|?*%\x00-\x1f]")
STOP_WORDS = frozenset("""i me my myself we our ours ourselves you your yours yourself yourselves he
him his himself she her hers herself it its itself they them their theirs themselves what which
who whom this that these those am is are was were be been being have has had having do does did
doing a an the and but if or because as until while of at by for with about against between into
through during before after above below to from up down in out on off over under again further
then once here there when where why how all any both each few more most other some such no nor
not only own same so than too very s t can will just don should now""".split())

_stemmer = snowballstemmer.stemmer("english")


def _lexemes(text: str) -> list[str]:
    """The lexemes of a text in position order (a hyphenated word, then its parts)."""
    out: list[str] = []
    for m in WORD_RE.finditer(text.lower()):
        word = m.group(0)
        parts = re.split(r"[-_]", word)
        for token in ([word] if len(parts) == 1 else [word, *parts]):
            out.append("" if token in STOP_WORDS else _stemmer.stemWord(token))
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
        lexemes = _lexemes(text)
        for i, lex in enumerate(lexemes, 1):
            if lex:
                positions[lex].append((offset + i, RANK_WEIGHTS[label]))
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
    for word in re.findall(r"[^\W_]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


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


class SearchIndex:
    """All search rows, tokenised once; `query` answers one `q` as the live endpoint does."""

    def __init__(self, rows: Iterable[SearchRow]) -> None:
        self.docs = [_Doc(r, _index(r), dumps_v4(result(r))) for r in rows]
        self.by_lexeme: dict[str, list[_Doc]] = defaultdict(list)
        for doc in self.docs:
            for lex in doc.positions:
                self.by_lexeme[lex].append(doc)
        self._grams = {id(d): (_trigrams(d.row.title), _trigrams(d.row.slug)) for d in self.docs}

    def query(self, q: str) -> list[_Doc]:
        q = q.strip()
        if not q:
            return []
        terms = [t for t in _lexemes(q) if t]
        prefix = len(q) >= 3 and PREFIX_RE.match(q) is not None
        stem = _stemmer.stemWord(q.lower()) if prefix else ""
        qgrams = _trigrams(q) if len(q) >= 3 else set()
        scored = []
        for doc in self._candidates(terms, stem, qgrams):
            hits = [doc.positions.get(t) for t in terms]
            rank = sum(_rank_term(h) for h in hits if h) / len(terms) if terms and all(hits) else 0.0
            matched = bool(terms) and all(hits)
            if stem:
                pre = [h for lex, h in doc.positions.items() if lex.startswith(stem)]
                if pre:
                    matched = True
                    rank = max(rank, _rank_term([x for h in pre for x in h]))
            t_grams, s_grams = self._grams[id(doc)]
            similarity = max(_similarity(qgrams, t_grams), _similarity(_trigrams(q.lower()), s_grams)) \
                if qgrams else 0.0
            if not matched and similarity < TRIGRAM_THRESHOLD:
                continue
            scored.append((-(rank + WEIGHT_BOOST * doc.row.weight), -similarity, doc.row.title, doc))
        scored.sort(key=lambda s: s[:3])
        return [s[3] for s in scored[:LIMIT]]

    def _candidates(self, terms: list[str], stem: str, qgrams: set[str]) -> list[_Doc]:
        if qgrams:
            return self.docs  # trigram similarity can match any row
        found: dict[int, _Doc] = {}
        for t in terms:
            for d in self.by_lexeme.get(t, ()):
                found[id(d)] = d
        return list(found.values())

    def answer(self, q: str) -> bytes:
        return b"[" + b",".join(d.body for d in self.query(q)) + b"]"


def vocabulary(snap: Snapshot, rows: Iterable[SearchRow] = ()) -> set[str]:
    """Every precomputed term: whole titles and slugs of packages and grids (as written and
    lower-cased), and the lower-cased words and their stems of every searched field (title, slug,
    description, category, participants); terms that cannot be file names are left out."""
    terms: set[str] = {""}
    for item in (*snap.packages.values(), *snap.grids.values()):
        terms.update((item.title, item.title.lower(), item.slug))
    for row in rows:
        for text in (row.title, row.slug, row.description, row.category, row.participants):
            for word in (*WORD_RE.findall(text.lower()), *re.findall(r"[^\W_]+", text.lower())):
                terms.update((word, _stemmer.stemWord(word)))
    return {t for t in terms if t.strip() == t and not UNSAFE_TERM.search(t) and len(t.encode()) <= 200}


def files(terms: list[str], index: SearchIndex) -> Iterator[tuple[str, bytes]]:
    """`/api/v4/search/` without q (`[]`) and one file per vocabulary term."""
    yield layout.v4_search(), b"[]"
    yield layout.v4_search("json"), b"[]"
    for term in terms:
        yield layout.search_term_file(term), index.answer(term)
