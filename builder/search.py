"""The search stage: the `/search/` page and the compact, sharded client-side search index.

The browser (static/search.js) ranks every query itself from three kinds of files, all under
`search/data/` with a content hash in their names so a CDN may cache them forever:

    head.<hash>.json      loaded by the first search: every package and grid, in weight order
    w<n>.<hash>.json      description words: sorted token ranges, each token with its postings
    d<n>.<hash>.json      descriptions to display, DOC_SHARD items per file, by position

The head is what ranking needs: title, slug, weight, stars, usage, last update, category.
Description words are looked up only for the query's words, and descriptions are fetched only
for the results shown, so the first search downloads the head, the word chunks of the query's
words and at most MAX_RESULTS description shards (tests/search/test_size.py measures it).

Head format (`"v": 1`):

    {"v": 1, "categories": [titles], "docs": {"size": 64, "files": [...]},
     "words": {"min": 2, "first": [first token of each chunk], "files": [...]},
     "items": [[category, title, slug, weight, stars, usage, updated], ...]}

An item's `category` is an index into `categories`, or -1 for a grid; `slug` is "" when it is
the lower-cased title; `stars` is a grid's package count; `updated` is days since 1970-01-01
of the last update's calendar date, or 0 when unknown. An item's position in `items` is its
id in postings and shards. A word chunk is `[[token, delta, delta, ...], ...]` (positions,
delta-encoded, ascending); a description shard is a list of strings.

`rank()` implements the ranking in Python too: the tests hold it and the script to the same
results.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import orjson

from .build import BuildContext, Output, Part
from .model import Snapshot

MAX_RESULTS = 20
DOC_SHARD = 64
DESCRIPTION_CHARS = 140
WORD_CHUNK_BYTES = 6000
MIN_WORD = 2
DATA_DIR = "search/data"
_PREFIX = re.compile(r"^(?:django|dj)[-_ ]")
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Entry:
    """One searchable package or grid."""

    kind: str  # "package" or "grid"
    id: int
    title: str
    slug: str
    description: str
    category: str  # the category title; "Grid" for a grid
    weight: int
    stars: int  # a grid's package count
    usage: int
    updated: str | None  # an API v4 timestamp

    @property
    def path(self) -> str:
        return f"/packages/p/{self.slug}/" if self.kind == "package" else f"/grids/g/{self.slug}/"


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """The index files (site path -> bytes) and the head's site path."""

    head_path: str
    files: dict[str, bytes]


# Text helpers: the script has the same functions (tokens, clean, truncate).

# A regular expression's word characters are exactly `str.isalnum` ones, plus "_".
_ALNUM_RUN = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and digits (`str.isalnum`), in order (duplicates kept)."""
    return _ALNUM_RUN.findall(text.lower())


def clean(text: str) -> str:
    """Whitespace collapsed, ends trimmed."""
    return " ".join(text.split())


def truncate(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def no_prefix(text: str) -> str:
    """'django-select2' -> 'select2' (the live site's clean title)."""
    return _PREFIX.sub("", text, count=1)


def days(timestamp: str | None) -> int:
    """Days since 1970-01-01 of the timestamp's calendar date; 0 when unknown."""
    if not timestamp:
        return 0
    return (date.fromisoformat(timestamp[:10]) - _EPOCH).days


# Entries.

Known = dict[int, tuple[object, object, str, Entry]]  # id(record) -> (record, its search row, category title, entry)


def entries(snapshot: Snapshot, known: Known | None = None) -> list[Entry]:
    """Every package and grid, in rank order: weight, stars, usage (descending), then title.

    `known`: an earlier build's entries (`entries_by_record`); an entry made from the very same
    record, search row and category title is that entry (records are never changed once loaded)."""
    known = known or {}
    rows = {(r.item_type, r.slug): r for r in snapshot.search_rows or ()}
    found: list[Entry] = []
    for p in snapshot.packages.values():
        row = rows.get(("package", p.slug))
        category = snapshot.categories[p.category].title
        had = known.get(id(p))
        if had is not None and had[0] is p and had[1] is row and had[2] == category:
            found.append(had[3])
            continue
        usage = p.extra.usage_count if p.extra else (row.usage if row else 0)
        found.append(Entry(
            "package", p.id, clean(p.title), p.slug, truncate(clean(p.repo_description)),
            category, row.weight if row else 0, p.repo_watchers, usage, p.last_updated))
    for g in snapshot.grids.values():
        row = rows.get(("grid", g.slug))
        had = known.get(id(g))
        if had is not None and had[0] is g and had[1] is row:
            found.append(had[3])
            continue
        found.append(Entry(
            "grid", g.id, clean(g.title), g.slug, truncate(clean(g.description)), "Grid",
            row.weight if row else 0, len(g.packages), 0, g.modified))
    return sorted(found, key=weight_order)


def entries_by_record(snapshot: Snapshot, items: list[Entry]) -> Known:
    """`entries(snapshot)`, by the record each is made from, for `entries`' `known`."""
    rows = {(r.item_type, r.slug): r for r in snapshot.search_rows or ()}
    out: Known = {}
    for e in items:
        if e.kind == "package":
            p = snapshot.packages[e.id]
            out[id(p)] = (p, rows.get(("package", p.slug)), e.category, e)
        else:
            g = snapshot.grids[e.id]
            out[id(g)] = (g, rows.get(("grid", g.slug)), e.category, e)
    return out


def weight_order(e: Entry) -> tuple[int, int, int, str, str, int]:
    """The index's order, which breaks ties between equally good matches."""
    return (-e.weight, -e.stars, -e.usage, e.title.lower(), e.kind, e.id)


# Ranking (mirrored by static/search.js).

def normalize(query: str) -> str:
    return " ".join(query.lower().split())


def tier(entry: Entry, query: str, words: Sequence[str], description_words: Iterable[str]) -> int | None:
    """0 exact title/slug, 1 prefix, 2 every word in title/slug, 3 with the description; None."""
    title, slug = entry.title.lower(), entry.slug
    names = (title, slug, no_prefix(title), no_prefix(slug))
    if query in names:
        return 0
    if any(n.startswith(query) for n in names):
        return 1
    both = title + " " + slug
    if all(w in both for w in words):
        return 2
    described = list(description_words)
    if words and all(w in both or (len(w) >= MIN_WORD and any(t.startswith(w) for t in described))
                     for w in words):
        return 3
    return None


def rank(items: Sequence[Entry], query: str, limit: int = MAX_RESULTS) -> list[Entry]:
    """The best `limit` matches: by tier, then by position; `items` are in `weight_order`."""
    q = normalize(query)
    if not q:
        return []
    words = tokens(q) or [q]
    scored = []
    for position, e in enumerate(items):
        t = tier(e, q, words, tokens(e.description))
        if t is not None:
            scored.append((t, position, e))
    return [e for _, _, e in sorted(scored, key=lambda s: s[:2])[:limit]]


# Files.

def _json(value: object) -> bytes:
    """Compact JSON, UTF-8 as it is. orjson writes the very bytes `json.dumps(value,
    ensure_ascii=False, separators=(",", ":"))` would for strings and lists (tests/search holds
    it for every code point) in a fraction of the time; json takes integers orjson cannot."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _named(stem: str, data: bytes) -> tuple[str, bytes]:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.json", data


def words(text: str) -> list[str]:
    """The distinct tokens of a text that are long enough to be looked up, sorted."""
    return sorted({t for t in tokens(text) if len(t) >= MIN_WORD})


def word_chunks(items: Sequence[Entry], words_of: Callable[[str], list[str]] = words) -> list[list[list[str | int]]]:
    """Description tokens with their delta-encoded postings, cut into sorted ranges."""
    postings: dict[str, list[int]] = defaultdict(list)
    for position, e in enumerate(items):
        for token in words_of(e.description):
            postings[token].append(position)
    chunks: list[list[list[str | int]]] = [[]]
    size = 0
    for token in sorted(postings):
        ids = postings[token]
        deltas = [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))]
        row: list[str | int] = [token, *deltas]
        # len(_json(row)): a token is letters and digits, which JSON never escapes
        row_size = len(token.encode()) + 4 + len(deltas) + sum(map(len, map(str, deltas)))
        if size and size + row_size > WORD_CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += row_size
    return chunks if chunks[0] else []


def build_index(items: Sequence[Entry], words_of: Callable[[str], list[str]] = words) -> SearchIndex:
    """The head, word chunks and description shards of `items` (already in rank order);
    `words_of` is `words`, or a function that gives what it would."""
    files: dict[str, bytes] = {}
    categories = sorted({e.category for e in items if e.kind == "package"})
    doc_names = []
    for n, start in enumerate(range(0, len(items), DOC_SHARD)):
        name, data = _named(f"d{n}", _json([e.description for e in items[start:start + DOC_SHARD]]))
        files[f"{DATA_DIR}/{name}"] = data
        doc_names.append(name)
    word_names, firsts = [], []
    for n, chunk in enumerate(word_chunks(items, words_of)):
        name, data = _named(f"w{n}", _json(chunk))
        files[f"{DATA_DIR}/{name}"] = data
        word_names.append(name)
        firsts.append(chunk[0][0])
    head = {
        "v": 1,
        "categories": categories,
        "docs": {"size": DOC_SHARD, "files": doc_names},
        "words": {"min": MIN_WORD, "first": firsts, "files": word_names},
        "items": [[categories.index(e.category) if e.kind == "package" else -1, e.title,
                   "" if e.slug == e.title.lower() else e.slug, e.weight, e.stars, e.usage, days(e.updated)]
                  for e in items],
    }
    name, data = _named("head", _json(head))
    files[f"{DATA_DIR}/{name}"] = data
    return SearchIndex(f"{DATA_DIR}/{name}", files)


CACHE = "client-search"  # the stage cache's entry (BuildContext.cache): a `Warmed`


@dataclass(frozen=True)
class Warmed:
    """What a process that builds again prepared between builds (`warm`) for the next index."""

    entries: Known
    words: dict[str, list[str]]  # description -> words(description)

    def words_of(self, text: str) -> list[str]:
        listed = self.words.get(text)
        return words(text) if listed is None else listed


def warm(ctx: BuildContext) -> None:
    """Between builds of a process that builds again (see builder.build.warm_stages): the
    entries and their descriptions' words, for the next build's index (ctx.cache)."""
    assert ctx.cache is not None
    last: Warmed | None = ctx.cache.get(CACHE)
    items = entries(ctx.snapshot, last.entries if last else None)
    if ctx.stop is not None and ctx.stop.is_set():
        return
    words_of = last.words_of if last else words
    ctx.cache[CACHE] = Warmed(entries_by_record(ctx.snapshot, items),
                              {e.description: words_of(e.description) for e in items})


def render(ctx: BuildContext) -> Iterator[Output]:
    """The search page and the index files."""
    from .pages.site import Link, Site

    warmed: Warmed | None = ctx.cache.get(CACHE) if ctx.cache is not None else None
    if warmed is None:
        index = build_index(entries(ctx.snapshot))
    else:
        index = build_index(entries(ctx.snapshot, warmed.entries), warmed.words_of)
    site = Site(ctx.snapshot, ctx.settings)
    meta = site.meta("/search/", "Search", "Search the packages and comparison grids of Django Packages.",
                     noindex=True, breadcrumbs=(Link("Home", site.href("/")), Link("Search")))
    yield "search/index.html", site.render(
        "search.html", page=meta, v=None, index_href=site.href("/" + index.head_path),
        search_css=site.static_href("search.css"),
        packages_href=site.href("/packages/"), categories_href=site.href("/categories/"),
        grids_href=site.href("/grids/"),
        categories=[(c.title_plural or c.title, site.href(site.category_path(c)))
                    for c in ctx.snapshot.categories.values()])
    yield from sorted(index.files.items())


def parts(ctx: BuildContext) -> list[Part]:
    """One part, re-run when the snapshot or the search page's template or assets change."""
    deps = ctx.deps
    key = deps.key("search", deps.snapshot_digest, deps.templates("search.html", "_header.html", "_footer.html"),
                   deps.static)
    return [Part("search", lambda: render(ctx), key, first=True)]
