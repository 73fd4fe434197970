"""The API build stage: every file of /api/v4/ and /api/v3/, with hyperlinks under base_url.

The stage is cut into named, keyed parts (`parts`, see builder.build): the detail files of each
kind in buckets of ids, so a changed entity re-renders its bucket only; the lists of each API
(which show every entity); the search answers (builder/api/search_part.py). The v4 entities a list part
needs are encoded on first use in each process, once per format.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property, partial

from ..build import BuildContext, Part
from ..deps import Deps
from ..model import Category, Snapshot
from . import layout, search_part, v3, v4
from .browsable import TEMPLATES, Browsable
from .jsonenc import dumps_v3, dumps_v4
from .paging import DEFAULT_LIMIT, LARGE_LIMITS, PAST_END_MARGIN, linked_offsets, v4_format_pages, v4_pages
from .search_part import SearchPart

Output = tuple[str, bytes | str]

# What `?q=<term>&format=api` answers: the browsable page of each term is not precomputed.
SEARCH_BROWSABLE = {
    "detail": "This static copy of the API has no browsable page for a search: request it without "
              "format=api (the JSON answer), or browse /api/v4/search/?format=api.",
}


def render(ctx: BuildContext) -> Iterator[Output]:
    """All API files, in a fixed order."""
    for part in (*early_parts(ctx), *parts(ctx)):
        yield from part.run()


def early_parts(ctx: BuildContext) -> list[Part]:
    """The part a build starts as soon as the snapshot is loaded, before it finds the other
    parts' keys: the search answers, the longest part (see builder.build)."""
    return SearchPart(ctx).parts()


def warm(ctx: BuildContext) -> None:
    """Between builds of a process that builds again (see builder.build.warm_stages): what the
    next search part starts from."""
    search_part.warm(ctx)


BUCKETS = 64  # parts per kind of detail file: an entity's bucket is its id % BUCKETS
MEMO = 6_000  # encoded entities a process keeps for its next parts (bounds memory at any size)


def parts(ctx: BuildContext) -> list[Part]:
    """The stage's parts (see builder.build) but the early one: errors, v4 details by id bucket,
    v4 lists, browsable details by bucket and lists, v3 details by bucket and lists."""
    snap, deps, base = ctx.snapshot, ctx.deps, ctx.settings.base_url
    data = _V4Data(snap, base)
    browsable_template = deps.templates("api/browsable.html", root=TEMPLATES)
    out = [Part("api/errors", _errors, deps.key("api/errors"))]
    for kind in layout.V4_LISTS:
        for bucket, ids in _buckets(getattr(snap, kind)):
            records = deps.records(kind, ids)
            out.append(Part(f"api/v4/{kind}/{bucket}", partial(data.details, kind, ids), deps.key(kind, records)))
            out.append(Part(f"api/v4/{kind}/{bucket}/browsable", partial(data.browsable_details, kind, ids),
                            deps.key(kind, records, browsable_template)))
    out.append(Part("api/v4/root", data.roots, deps.key("api/v4/root", browsable_template)))
    for kind in layout.V4_LISTS:
        ordered = list(reversed(getattr(snap, kind)))  # the live list order: newest id first
        digests = [getattr(deps, kind)[i] for i in ordered]
        windows = sorted((pages[0], limit, fmt or "", pages) for fmt in (None, "json", "api")
                         for limit, pages in _page_windows(len(ordered), fmt))
        for first, limit, fmt_name, pages in windows:  # by offset: parts that show the same entities are neighbours
            fmt = fmt_name or None
            last = pages[-1] + limit  # the entities these pages show: ordered[first:last]
            name = f"api/v4/{kind}/list/{fmt or 'plain'}/{limit}/{first}"
            key = deps.key(name, len(ordered), b"".join(digests[first:last]),
                           browsable_template if fmt == "api" else b"")
            out.append(Part(name, partial(data.list_pages, kind, fmt, limit, pages, ordered[first:last],
                                          len(ordered)), key))
    out.append(Part("api/v4/search/browsable", partial(_search_browsable, base), deps.key(browsable_template)))
    out.extend(_V3Parts(snap, deps).parts())
    return out


WINDOW = 100  # entities shown by the pages of one list part: a change re-renders the parts that show it


def _page_windows(count: int, fmt: str | None) -> list[tuple[int, list[int]]]:
    """The list pages of a kind in a format, cut into parts that each show about WINDOW entities
    (or one page, if larger): (limit, [offsets]) each."""
    pages = v4_pages(count) if fmt is None else v4_format_pages(count, fmt)
    out: list[tuple[int, list[int]]] = []
    for limit, offset in pages:
        if out and out[-1][0] == limit and offset + limit - out[-1][1][0] <= max(WINDOW, limit):
            out[-1][1].append(offset)
        else:
            out.append((limit, [offset]))
    return out


def _buckets(items: dict[int, object]) -> list[tuple[int, list[int]]]:
    buckets: dict[int, list[int]] = {}
    for i in items:
        buckets.setdefault(i % BUCKETS, []).append(i)
    return sorted(buckets.items())


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
    """The v4 entities of each format, each encoded once per process however many parts show it."""

    def __init__(self, snap: Snapshot, base: str) -> None:
        self.snap = snap
        self.base = base
        self._encoded: dict[tuple[str, str | None], dict[int, v4.Entity]] = {}
        self._contents: dict[tuple[str, int], str] = {}
        self.pages = Browsable(base)

    def content(self, kind: str, item: v4.Entity) -> str:
        """An entity's data as the browsable pages show it (the same on its page and in lists)."""
        key = (kind, item.data["id"])
        found = self._contents.get(key)
        if found is None:
            found = self._contents[key] = self.pages.content(item.data)
        return found

    def entities(self, kind: str, fmt: str | None, ids: list[int]) -> list[v4.Entity]:
        """Those entities of a kind, in the order given (kept for the next parts, up to MEMO)."""
        if sum(map(len, self._encoded.values())) > MEMO:
            self._encoded.clear()
            self._contents.clear()
        done = self._encoded.setdefault((kind, fmt), {})
        missing = [i for i in ids if i not in done]
        if missing:
            found = v4.entities(self.snap, kind, v4.Links(self.base, fmt), missing)
            done.update(zip(sorted(missing, reverse=True), found, strict=True))
        return [done[i] for i in ids]

    def details(self, kind: str, ids: list[int]) -> Iterator[Output]:
        """The plain and `?format=json` files of some entities, by id and by slug."""
        for fmt in (None, "json"):
            for item in self.entities(kind, fmt, ids):
                for key in item.keys:
                    yield layout.v4_detail(kind, key, fmt), item.body

    def browsable_details(self, kind: str, ids: list[int]) -> Iterator[Output]:
        """The `?format=api` pages of some entities, by id and by slug."""
        for item in self.entities(kind, "api", ids):
            content = self.content(kind, item)
            for key in item.keys:
                yield layout.v4_detail(kind, key, "api"), self.pages.detail_page(
                    kind, f"/api/v4/{kind}/{key}/", content)

    def roots(self) -> Iterator[Output]:
        for fmt in (None, "json"):
            yield layout.v4_root(fmt), dumps_v4(v4.root(v4.Links(self.base, fmt)))
        yield layout.v4_root("api"), self.pages.page(
            view="root", instance=False, path="/api/v4/", query="format=api",
            data=v4.root(v4.Links(self.base, "api")))

    def list_pages(self, kind: str, fmt: str | None, limit: int, offsets: list[int], ids: list[int],
                   count: int) -> Iterator[Output]:
        """Some list pages of one kind, size and format; `ids` the entities from the first page's
        offset on (newest first), `count` the length of the whole list."""
        links = v4.Links(self.base, fmt)
        items = self.entities(kind, fmt, ids)
        start, url = offsets[0], links.api + kind + "/"
        if fmt == "api":
            contents = [self.content(kind, item) for item in items]
            for offset in offsets:
                query = "format=api" if not offset else f"limit={limit}&offset={offset}&format=api"
                yield layout.v4_page(kind, limit, offset, "api"), self.pages.list_page(
                    view=kind, path=f"/api/v4/{kind}/", query=query, url=url, limit=limit, offset=offset,
                    contents=contents[offset - start:offset - start + limit], count=count)
        else:
            bodies = [item.body for item in items]
            for offset in offsets:
                yield layout.v4_page(kind, limit, offset, fmt), v4.page_body(
                    url, bodies[offset - start:offset - start + limit], limit, offset, fmt, count)


def _search_browsable(base: str) -> Iterator[Output]:
    yield layout.v4_search("api"), Browsable(base).page(
        view="search", instance=False, path="/api/v4/search/", query="format=api", data=[])


class _V3Parts:
    """API v3 in parts: package details by bucket, the package list and each category's filtered
    list in windows, the grid list, grids by bucket, the categories. A package's v3 body shows
    its category's and grids' slugs and its raw participants: `digests` covers them all."""

    def __init__(self, snap: Snapshot, deps: Deps) -> None:
        self.snap = snap
        self.deps = deps
        self.raw = v3.raw_participants(snap)
        self._bodies: dict[int, bytes] = {}

    @cached_property
    def digests(self) -> dict[int, bytes]:
        """Package id -> what its v3 body is made from: its digest, its category's, its grids'
        (counted) and its raw participants, in one piece that starts with its length (so the
        pieces of several packages joined tell them apart)."""
        d, snap, raw = self.deps, self.snap, self.raw
        packages, categories = d.packages, d.categories
        out = {}
        for p in snap.packages.values():
            piece = b"".join([packages[p.id], categories[p.category], len(p.grids).to_bytes(4, "big"),
                              d.records("grids", p.grids), repr(raw.get(p.slug)).encode()])
            out[p.id] = len(piece).to_bytes(4, "big") + piece
        return out

    def body(self, package_id: int) -> bytes:
        found = self._bodies.get(package_id)
        if found is None:
            if len(self._bodies) > MEMO:
                self._bodies.clear()
            p = self.snap.packages[package_id]
            found = self._bodies[package_id] = dumps_v3(v3.package(p, self.snap, self.raw))
        return found

    def parts(self) -> list[Part]:
        snap, deps, key = self.snap, self.deps, self.deps.key
        out = [Part("api/v3/root", lambda: iter([v3.root_file()]), key("api/v3/root"))]
        for bucket, ids in _buckets(snap.packages):
            out.append(Part(f"api/v3/packages/{bucket}", partial(self.details, ids),
                            key("v3 details", b"".join([self.digests[i] for i in ids]))))
        # The package list, and each category's (at the whole list's offsets, with its own
        # count), in windows of pages.
        order = v3.title_order(snap)
        offsets = list(linked_offsets(DEFAULT_LIMIT, len(order)))
        lists: list[tuple[Category | None, list[int], str, tuple]] = [
            (None, order, "api/v3/packages/list", ("v3 list",))]
        lists += [(c, [i for i in order if snap.packages[i].category == c.id], f"api/v3/category/{c.id}",
                   ("v3 category", deps.categories[c.id])) for c in snap.categories.values()]
        step = WINDOW // DEFAULT_LIMIT
        for category, ids, name, pieces in lists:
            for i in range(0, len(offsets), step):
                chunk = offsets[i:i + step]
                shown = ids[chunk[0]:chunk[-1] + DEFAULT_LIMIT]
                out.append(Part(f"{name}/{chunk[0]}", partial(self.list_pages, shown, chunk, len(ids), category),
                                key(*pieces, len(ids), chunk[0], b"".join([self.digests[i] for i in shown]))))
        # The grid list shows each grid's packages' slugs; a grid's pages show its packages' bodies.
        members = sorted({i for g in snap.grids.values() for i in g.packages})
        out.append(Part("api/v3/grids", lambda: v3.grid_list_files(snap),
                        key("v3 grid list", deps.collection("grids"), deps.records("packages", members))))
        for bucket, ids in _buckets(snap.grids):
            out.append(Part(f"api/v3/grids/{bucket}", partial(v3.grid_files, snap, ids, self.body),
                            key("v3 grids", *(deps.grids[i] + b"".join(self.digests[p] for p in snap.grids[i].packages)
                                              for i in ids))))
        out.append(Part("api/v3/categories", lambda: v3.category_files(snap),
                        key("v3 categories", deps.collection("categories"))))
        return out

    def details(self, ids: list[int]) -> Iterator[Output]:
        for i in ids:
            yield layout.v3_detail("packages", self.snap.packages[i].slug), self.body(i)

    def list_pages(self, ids: list[int], offsets: list[int], count: int, category: Category | None) -> Iterator[Output]:
        """Pages of the package list (or a category's): `ids` its packages from the first offset on."""
        yield from v3.package_pages([self.body(i) for i in ids], offsets[0], offsets, count, category)

