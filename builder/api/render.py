"""The API build stage: every file of /api/v4/ and /api/v3/, with hyperlinks under base_url.

The stage is cut into independent parts (`parts`, which the build shares out among its worker
processes; `named_parts` names them for `bench/bench_api.py`). The v4 entities are encoded on
first use in each process, once per format, and shared by the parts that run there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..build import BuildContext
from ..model import Snapshot
from . import layout, search, v3, v4
from .browsable import Browsable
from .jsonenc import dumps_v3, dumps_v4
from .paging import DEFAULT_LIMIT, LARGE_LIMITS, PAST_END_MARGIN, v4_format_pages
from .search_rows import search_rows

Output = tuple[str, bytes | str]

# What `?q=<term>&format=api` answers: the browsable page of each term is not precomputed.
SEARCH_BROWSABLE = {
    "detail": "This static copy of the API has no browsable page for a search: request it without "
              "format=api (the JSON answer), or browse /api/v4/search/?format=api.",
}


def render(ctx: BuildContext) -> Iterator[Output]:
    """All API files, in a fixed order."""
    for _, part in named_parts(ctx):
        yield from part()


def parts(ctx: BuildContext) -> list[Callable[[], Iterator[Output]]]:
    """The stage's independent pieces of work (see builder.build)."""
    return [part for _, part in named_parts(ctx)]


def named_parts(ctx: BuildContext) -> list[tuple[str, Callable[[], Iterator[Output]]]]:
    """The stage's parts in order, each a name and a function yielding its files."""
    data = _V4Data(ctx.snapshot, ctx.settings.base_url)
    return [
        ("errors", _errors),
        ("v4 details", data.details),
        ("v4 lists", data.lists),
        ("browsable", data.browsable),
        ("search", lambda: _search(ctx.snapshot, ctx.settings.base_url)),
        ("v3", lambda: v3.files(ctx.snapshot)),
    ]


def _errors() -> Iterator[Output]:
    sizes = ", ".join(str(s) for s in LARGE_LIMITS)
    yield layout.error("v4-not-found"), dumps_v4(v4.NOT_FOUND)
    yield layout.error("v3-not-found"), dumps_v3({"error": 404, "message": "Not found."})
    yield layout.error("v4-page-size"), dumps_v4({
        "detail": f"This static copy of the API has pages of limit {DEFAULT_LIMIT} (every offset up to "
                  f"the count + {PAST_END_MARGIN}) and of limit {sizes} (offsets that are multiples "
                  "of the limit). Use one of these page sizes.",
        "page_sizes": [DEFAULT_LIMIT, *LARGE_LIMITS]})
    yield layout.error("v3-page-size"), dumps_v3({
        "error": 404, "message": f"This static copy of API v3 has pages of limit {DEFAULT_LIMIT} only.",
        "page_sizes": [DEFAULT_LIMIT]})
    yield layout.error("v4-search-browsable"), dumps_v4(SEARCH_BROWSABLE)


class _V4Data:
    """The v4 entities of each format, encoded on first use."""

    def __init__(self, snap: Snapshot, base: str) -> None:
        self.snap = snap
        self.base = base
        self._entities: dict[tuple[str | None, str], list[v4.Entity]] = {}

    def entities(self, fmt: str | None, kind: str) -> list[v4.Entity]:
        found = self._entities.get((fmt, kind))
        if found is None:
            found = self._entities[fmt, kind] = v4.entities(self.snap, kind, v4.Links(self.base, fmt))
        return found

    def details(self) -> Iterator[Output]:
        for fmt in (None, "json"):
            yield layout.v4_root(fmt), dumps_v4(v4.root(v4.Links(self.base, fmt)))
            for kind in layout.V4_LISTS:
                for item in self.entities(fmt, kind):
                    for key in item.keys:
                        yield layout.v4_detail(kind, key, fmt), item.body

    def lists(self) -> Iterator[Output]:
        for fmt in (None, "json"):
            links = v4.Links(self.base, fmt)
            for kind in layout.V4_LISTS:
                yield from v4.list_files(kind, self.entities(fmt, kind), links, fmt)

    def browsable(self) -> Iterator[Output]:
        pages = Browsable(self.base)
        links = v4.Links(self.base, "api")
        yield layout.v4_root("api"), pages.page(view="root", instance=False, path="/api/v4/",
                                                query="format=api", data=v4.root(links))
        for kind in layout.V4_LISTS:
            yield from _browsable_kind(pages, kind, self.entities("api", kind), links)


def _browsable_kind(pages: Browsable, kind: str, items: list[v4.Entity],
                    links: v4.Links) -> Iterator[Output]:
    contents = [pages.content(item.data) for item in items]  # one for the pages by id and by slug
    for item, content in zip(items, contents, strict=True):
        for key in item.keys:
            yield layout.v4_detail(kind, key, "api"), pages.detail_page(kind, f"/api/v4/{kind}/{key}/", content)
    url = links.api + kind + "/"
    for limit, offset in v4_format_pages(len(items), "api"):
        query = "format=api" if not offset else f"limit={limit}&offset={offset}&format=api"
        yield layout.v4_page(kind, limit, offset, "api"), pages.list_page(
            view=kind, path=f"/api/v4/{kind}/", query=query, url=url, limit=limit, offset=offset,
            contents=contents)


def _search(snap: Snapshot, base: str) -> Iterator[Output]:
    """`/api/v4/search/`: the empty query (JSON and browsable) and one JSON file per term."""
    rows = search_rows(snap)
    index = search.SearchIndex(rows)
    terms = search.vocabulary(snap, rows)
    yield from search.files(search.answers(terms, index))
    yield layout.v4_search("api"), Browsable(base).page(
        view="search", instance=False, path="/api/v4/search/", query="format=api", data=[])
