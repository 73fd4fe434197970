"""Search text: how rows and terms become lexemes and trigrams, as searchv3 sees them, and the
vocabulary of precomputed terms. Shared by the index (builder/api/search.py) and by the search
part's plan (builder/api/search_part.py), which needs no numpy when a change only patches answers.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence

import snowballstemmer

from ..model import SearchRow, Snapshot
from .jsonenc import dumps_v4

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


_stemmer = snowballstemmer.stemmer("english")
_STEMS: dict[str, str] = {}
_WORD_LEXEMES: dict[str, tuple[str, ...]] = {}
_WORD_TRIGRAMS: dict[str, frozenset[str]] = {}


Hits = tuple[tuple[int, float], ...]  # (position, weight) of a lexeme's occurrences in a row
# Hits are shared: a (position, weight) pair, and a lexeme's single hit, from a small domain, are
# each made once per process, not once per row (a third of the index's memory at 100k rows).
_PAIRS: dict[tuple[int, float], tuple[int, float]] = {}
_SINGLES: dict[tuple[int, float], Hits] = {}


def forget() -> None:
    """Let go of what the functions below memoised (25 MB at 100,000 rows): for the process's
    next parts, once the search answers are done."""
    for memo in (_STEMS, _WORD_LEXEMES, _WORD_TRIGRAMS, _PAIRS, _SINGLES):
        memo.clear()


def stem(word: str) -> str:
    """The Snowball English stem, memoised (a build stems each distinct word once)."""
    found = _STEMS.get(word)
    if found is None:
        found = _STEMS[word] = _stemmer.stemWord(word)
    return found


def _word_lexemes(word: str) -> tuple[str, ...]:
    """The lexemes of one lower-cased word (a hyphenated word, then its parts), memoised."""
    found = _WORD_LEXEMES.get(word)
    if found is None:
        parts = HYPHEN_RE.split(word)
        tokens = [word] if len(parts) == 1 else [word, *parts]
        found = _WORD_LEXEMES[word] = tuple("" if t in STOP_WORDS else stem(t) for t in tokens)
    return found


def text_lexemes(text: str) -> list[str]:
    """The lexemes of a text in position order (a hyphenated word, then its parts); '' for a stop word."""
    out: list[str] = []
    memo = _WORD_LEXEMES
    for word in WORD_RE.findall(text.lower()):
        found = memo.get(word)
        out += found if found is not None else _word_lexemes(word)
    return out


def row_hits(row: SearchRow) -> dict[str, Hits]:
    """lexeme -> its hits in the row. Tuples, not lists: the garbage collector stops tracking
    them, so millions of hits do not slow down every collection of the build."""
    positions: dict[str, list[tuple[int, float]]] = {}
    pairs, singles = _PAIRS, _SINGLES
    offset = 0
    for text, label in ((row.title, "A"), (row.slug, "B"), (row.description, "C"),
                        (row.category, "D"), (row.participants, "D")):
        if not text:
            continue
        lexemes = text_lexemes(text)
        weight = RANK_WEIGHTS[label]
        for i, lex in enumerate(lexemes, offset + 1):
            if lex:
                pair = (i, weight)
                pair = pairs.setdefault(pair, pair)
                hits = positions.get(lex)
                if hits is None:
                    positions[lex] = [pair]
                else:
                    hits.append(pair)
        offset += len(lexemes)
    out: dict[str, Hits] = {}
    for lex, hits in positions.items():
        if len(hits) == 1:
            single = singles.get(hits[0])
            out[lex] = single if single is not None else singles.setdefault(hits[0], (hits[0],))
        else:
            out[lex] = tuple(hits)
    return out


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: those of each word, lower-cased, with two spaces before and one after."""
    grams: set[str] = set()
    memo = _WORD_TRIGRAMS
    for word in TRIGRAM_WORD_RE.findall(text.lower()):
        found = memo.get(word)
        if found is None:
            padded = f"  {word} "
            found = memo[word] = frozenset([padded[i:i + 3] for i in range(len(padded) - 2)])
        grams |= found
    return grams


def similarity(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """pg_trgm similarity: |a ∩ b| / |a ∪ b| (the union's size computed from the intersection's).
    `SearchIndex` does the same division on arrays."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _emojized(text: str) -> str:
    """emoji.emojize: `:name:` codes become emoji (without a colon there is none to look up)."""
    if ":" not in text:
        return text
    import emoji  # 15 ms to import: only for a text that may hold a code

    return emoji.emojize(text)


def result(row: SearchRow) -> dict[str, object]:
    """One row as SearchV3Serializer writes it."""
    prefix = "/packages/p/" if row.item_type == "package" else "/grids/g/"
    return {
        "description": _emojized(row.description), "title": _emojized(row.title),
        "title_no_prefix": row.title, "slug_no_prefix": row.slug, "clean_title": row.title,
        "absolute_url": f"{prefix}{row.slug}/", "created": row.created, "modified": row.modified,
        "weight": row.weight, "item_type": row.item_type, "slug": row.slug, "category": row.category,
        "repo_watchers": row.repo_watchers, "repo_forks": row.repo_forks,
        "pypi_downloads": row.pypi_downloads, "score": row.score, "usage": row.usage,
        "participants": row.participants, "last_committed": row.last_committed,
        "last_released": row.last_released,
    }


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


def vocabulary_key(snap: Snapshot, rows: Iterable[SearchRow] = ()) -> str:
    """A digest of all `vocabulary` is made from: equal keys, equal vocabularies."""
    texts = [item.title + "\0" + item.slug for item in (*snap.packages.values(), *snap.grids.values())]
    texts.append("\1")  # what follows are the rows' texts
    texts += ["\0".join(getattr(row, field) for field in WORD_SOURCES) for row in rows]
    return hashlib.sha256("\0\0".join(texts).encode()).hexdigest()


def _similar_enough(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> bool:
    """Trigram similarity >= 0.2, tested exactly: 6·|A∩B| >= |A|+|B|."""
    return bool(a) and bool(b) and 6 * len(a & b) >= len(a) + len(b)


def row_body(row: SearchRow) -> bytes:
    """A row as it appears in answers."""
    return dumps_v4(result(row))


RANKED_FIELDS = ("item_type", "title", "slug", "description", "category", "participants", "weight")


def same_ranking(old: SearchRow, new: SearchRow) -> bool:
    """Whether two versions of a row match and rank the same for every query (they differ, if
    at all, in fields answers only show)."""
    return all(getattr(old, f) == getattr(new, f) for f in RANKED_FIELDS)


def _has_prefix(ordered: list[str], stem_: str) -> bool:
    """Whether a sorted list of lexemes holds one that starts with stem_."""
    at = bisect_left(ordered, stem_)
    return at < len(ordered) and ordered[at].startswith(stem_)


def terms_matching(terms: Iterable[str], rows: Sequence[SearchRow]) -> set[str]:
    """The terms that one of `rows` matches (full text, prefix or trigrams), as `SearchIndex`
    matches them: a term no changed row matches before or after a change keeps its answer."""
    if not rows:
        return set()
    features = []
    for row in rows:
        lexemes = set(row_hits(row))
        features.append((lexemes, sorted(lexemes), trigrams(row.title), trigrams(row.slug)))
    out: set[str] = set()
    for term in terms:
        q = term.strip()
        if not q:
            continue
        words = [t for t in text_lexemes(q) if t]
        stem_ = stem(q.lower()) if len(q) >= 3 and PREFIX_RE.match(q) is not None else ""
        qgrams = trigrams(q) if len(q) >= 3 else set()
        for lexemes, ordered, title_grams, slug_grams in features:
            if (words and all(w in lexemes for w in words)) or (stem_ and _has_prefix(ordered, stem_)) \
                    or _similar_enough(qgrams, title_grams) or _similar_enough(qgrams, slug_grams):
                out.add(term)
                break
    return out


def answer_key(term: str) -> str:
    """Terms with the same key have the same answer (matching is case-insensitive for ASCII)."""
    return term.lower() if term.isascii() else term


def sharing_key(term: str) -> str:
    """Terms with the same sharing key have the same trigrams, so `SearchIndex` reuses the
    trigram side of one for the next; terms with the same answer key have the same sharing key."""
    return " ".join(TRIGRAM_WORD_RE.findall(term.lower()))

