"""The API build stage: every file of /api/v4/ and /api/v3/, with hyperlinks under base_url."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..build import BuildContext
from ..model import Snapshot
from . import layout, search, v3, v4
from .browsable import Browsable
from .jsonenc import dumps_v3, dumps_v4
from .paging import DEFAULT_LIMIT, LARGE_LIMITS, PAST_END_MARGIN, v4_format_pages
from .search_rows import search_rows

Output = tuple[str, bytes | str]


def render(ctx: BuildContext) -> Iterator[Output]:
    """All API files, in a fixed order."""
    base = ctx.settings.base_url
    snap = ctx.snapshot
    yield from _errors()
    yield from _v4(snap, base)
    rows = search_rows(snap)
    index = search.SearchIndex(rows)
    terms = sorted(search.vocabulary(snap, rows))
    yield from search.files(terms, index)
    yield from _search_browsable(terms, index, base)
    yield from v3.files(snap)


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


def _v4(snap: Snapshot, base: str) -> Iterator[Output]:
    pages = Browsable(base)
    for fmt in (None, "json", "api"):
        links = v4.Links(base, fmt)
        root = v4.root(links)
        if fmt == "api":
            yield layout.v4_root(fmt), pages.page(view="root", instance=False, path="/api/v4/",
                                                  query="format=api", data=root)
        else:
            yield layout.v4_root(fmt), dumps_v4(root)
        for kind in layout.V4_LISTS:
            items = v4.entities(snap, kind, links)
            if fmt == "api":
                yield from _browsable_kind(pages, kind, items, links)
                continue
            for item in items:
                for key in item.keys:
                    yield layout.v4_detail(kind, key, fmt), item.body
            yield from v4.list_files(kind, items, links, fmt)


def _browsable_kind(pages: Browsable, kind: str, items: list[v4.Entity],
                    links: v4.Links) -> Iterator[Output]:
    for item in items:
        data = json.loads(item.body)
        for key in item.keys:
            path = f"/api/v4/{kind}/{key}/"
            yield layout.v4_detail(kind, key, "api"), pages.page(
                view=kind, instance=True, path=path, query="format=api", data=data)
    url = links.api + kind + "/"
    bodies = [i.body for i in items]
    for limit, offset in v4_format_pages(len(items), "api"):
        data = json.loads(v4.page_body(url, bodies, limit, offset, "api"))
        query = "format=api" if not offset else f"limit={limit}&offset={offset}&format=api"
        yield layout.v4_page(kind, limit, offset, "api"), pages.page(
            view=kind, instance=False, path=f"/api/v4/{kind}/", query=query, data=data,
            pages=pages.pagination(url, limit, offset, len(items)))


def _search_browsable(terms: list[str], index: search.SearchIndex, base: str) -> Iterator[Output]:
    pages = Browsable(base)
    yield layout.v4_search("api"), pages.page(view="search", instance=False, path="/api/v4/search/",
                                              query="format=api", data=[])
    for term in terms:
        data = [json.loads(d.body) for d in index.query(term)]
        yield layout.search_term_file(term).replace(".json", ".format-api.html"), pages.page(
            view="search", instance=False, path="/api/v4/search/", query=f"q={term}&format=api",
            data=data)
