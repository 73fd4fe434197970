"""The API build stage: every file of /api/v4/ and /api/v3/, with hyperlinks under base_url.

The stage is cut into named, keyed parts (`parts`, see builder.build): the detail files of each
kind in buckets of ids, so a changed entity re-renders its bucket only; the lists of each API
(which show every entity); the search answers in buckets of terms. The v4 entities a list part
needs are encoded on first use in each process, once per format.
"""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import Iterator
from functools import cached_property, partial
from typing import TYPE_CHECKING

import orjson

from ..build import BuildContext, Part
from ..deps import Deps, digest
from ..model import Category, SearchRow, Snapshot
from ..output import Unchanged
from . import layout, v3, v4
from .browsable import TEMPLATES, Browsable
from .jsonenc import dumps_v3, dumps_v4
from .paging import DEFAULT_LIMIT, LARGE_LIMITS, PAST_END_MARGIN, linked_offsets, v4_format_pages, v4_pages
from .search_rows import search_rows

if TYPE_CHECKING:
    from . import search

Output = tuple[str, bytes | str]

# What `?q=<term>&format=api` answers: the browsable page of each term is not precomputed.
SEARCH_BROWSABLE = {
    "detail": "This static copy of the API has no browsable page for a search: request it without "
              "format=api (the JSON answer), or browse /api/v4/search/?format=api.",
}


def render(ctx: BuildContext) -> Iterator[Output]:
    """All API files, in a fixed order."""
    for part in parts(ctx):
        yield from part.run()


BUCKETS = 64  # parts per kind of detail file: an entity's bucket is its id % BUCKETS
MEMO = 6_000  # encoded entities a process keeps for its next parts (bounds memory at any size)


def parts(ctx: BuildContext) -> list[Part]:
    """The stage's parts (see builder.build): errors, v4 details by id bucket, v4 lists, browsable
    details by bucket and lists, search answers by term bucket, v3 details by bucket and lists."""
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
            key = deps.key(name, len(ordered), *digests[first:last], browsable_template if fmt == "api" else b"")
            out.append(Part(name, partial(data.list_pages, kind, fmt, limit, pages, ordered[first:last],
                                          len(ordered)), key))
    out.extend(_SearchParts(ctx).parts())
    out.append(Part("api/v4/search/browsable", partial(_search_browsable, base), deps.key(browsable_template)))
    out.extend(_V3Parts(snap, deps).parts())
    return out


WINDOW = 400  # entities shown by the pages of one list part: a change re-renders the parts that show it


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


class _SearchParts:
    """`/api/v4/search/?q=`: the vocabulary's answers, in one part.

    A term's answer depends only on the rows that match it (and their order), so when few rows
    changed since the last build, only the terms that a changed row matches, before or after
    the change, are answered again; the others are taken over (`Unchanged`). The rows of the
    live tree's answers are kept in the build state's memo to tell which changed.

    The index is built by the worker that runs the part, when some term needs answering: only
    that process holds it (a third of a gigabyte at 100,000 packages). The part is claimed
    first, so the others share out the rest of the build meanwhile."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.snap = ctx.snapshot
        self.index: search.SearchIndex | None = None
        self.groups: list[list[str]] = []
        self.fresh: set[str] | None = None  # terms to answer again (None: all)
        self.patched: dict[str, bytes] = {}  # term -> its live answer with changed rows' new bodies

    @cached_property
    def rows(self) -> list[SearchRow]:
        return search_rows(self.snap)

    @cached_property
    def digests(self) -> list[bytes]:
        return [digest(orjson.dumps(r)) for r in self.rows]

    def _memo(self) -> dict:
        return {"code": self.ctx.deps.code.hex(), "ids": [[r.item_type, r.id] for r in self.rows],
                "digests": [d.hex() for d in self.digests], "rows": _pack_rows(self.rows)}

    def parts(self) -> list[Part]:
        deps = self.ctx.deps
        return [Part("api/v4/search", self.files, deps.key("search", deps.snapshot_digest), early=True)]

    def _plan(self) -> None:
        """The terms, in groups; which to answer again, which to patch (when the memo tells)."""
        from . import search  # imported here, in the worker: the parent never loads numpy

        if self.groups:
            return
        terms = sorted(search.vocabulary(self.snap, self.rows))
        groups: dict[str, list[str]] = {}
        for term in terms:
            groups.setdefault(search.sharing_key(term), []).append(term)
        self.groups = [group for _, group in sorted(groups.items())]
        changed = self._changed_rows()
        if changed is not None:
            live = self.ctx.previous.live.files
            self.fresh = {t for t in terms if layout.search_term_file(t) not in live}
            # A row that changed in shown fields only ranks as before: its answers are the old ones
            # with its new body. Any other change: the terms it matches, before or after, are answered.
            shown_only = [(old, new) for old, new in changed if old and new and search.same_ranking(old, new)]
            others = [row for pair in changed if pair not in shown_only for row in pair if row]
            self.fresh |= search.terms_matching(terms, others)
            for old, new in shown_only:
                self._patch(search.terms_matching(terms, [new]) - self.fresh, old, new)
        if self.fresh is None or self.fresh:
            self._index()

    def _patch(self, terms: set[str], old: SearchRow, new: SearchRow) -> None:
        """Put a row's new body in the live answers that show it (or answer them again)."""
        from . import search  # imported here, in the worker: the parent never loads numpy

        before, after = search.row_body(old), search.row_body(new)
        root, live = self.ctx.settings.output_dir, self.ctx.previous.live.files
        for term in terms:
            path = layout.search_term_file(term)
            body = self.patched.get(term)
            if body is None:
                body = _read_if_unchanged(os.path.join(root, path), live[path].size, live[path].mtime)
                if body is None:
                    self.fresh.add(term)  # type: ignore[union-attr]
                    continue
            if before in body:
                self.patched[term] = body.replace(before, after)

    def _changed_rows(self) -> list[tuple[SearchRow | None, SearchRow | None]] | None:
        """(old, new) versions of the rows that changed since the live tree's answers (None for
        an added or removed row), or None when that cannot be told (no memo, other code) or too
        many changed to be worth it."""
        memo = self.ctx.previous.memo.get("search")
        if not memo or memo.get("code") != self.ctx.deps.code.hex():
            return None
        try:
            old = {tuple(i): (bytes.fromhex(d), row) for i, d, row in zip(memo["ids"], memo["digests"],
                                                                           _unpack_lines(memo["rows"]), strict=True)}
        except (KeyError, TypeError, ValueError, zlib.error):  # a memo this code did not write: answer all
            return None
        new = {(r.item_type, r.id): (d, r) for r, d in zip(self.rows, self.digests, strict=True)}
        changed_ids = sorted(i for i in old.keys() | new.keys() if old.get(i, (None,))[0] != new.get(i, (None,))[0])
        if len(changed_ids) > max(50, len(self.rows) // 50):
            return None
        # The order of the unchanged rows breaks ties: it must be the same as before.
        moved = set(changed_ids)
        if [i for i in (tuple(x) for x in memo["ids"]) if i not in moved] != [i for i in new if i not in moved]:
            return None
        return [(SearchRow(**orjson.loads(old[i][1])) if i in old else None, new[i][1] if i in new else None)
                for i in changed_ids]

    def _index(self) -> search.SearchIndex:
        from . import search  # imported here, in the worker: the parent never loads numpy

        if self.index is None:
            self.index = search.SearchIndex(self.rows)
        return self.index

    def files(self) -> Iterator[Output]:
        from . import search  # imported here, in the worker: the parent never loads numpy

        self._plan()
        yield layout.v4_search(), b"[]"
        yield layout.v4_search("json"), b"[]"
        for group in self.groups:  # answered a group at a time: memory stays small
            fresh = group if self.fresh is None else [t for t in group if t in self.fresh]
            answered = search.answers(fresh, self._index()) if fresh else {}
            for term in group:
                found = answered.get(term) or self.patched.get(term)
                yield layout.search_term_file(term), found if found is not None else \
                    Unchanged(partial(self._answer, term))
        self.index = None  # the process goes on with other parts: let its memory go to them
        self.ctx.memo["search"] = self._memo()  # the rows behind these answers, for the next build

    def _answer(self, term: str) -> bytes:
        return self._index().answer(term)


def _pack_rows(rows: list[SearchRow]) -> str:
    """The rows as lines of JSON (which holds no raw newline), compressed as they are encoded:
    the memo of 100,000 search rows is 55 MB as it is, 6 MB so, and never held whole."""
    packer = zlib.compressobj(1)
    packed = [packer.compress((b"\n" if i else b"") + orjson.dumps(row)) for i, row in enumerate(rows)]
    packed.append(packer.flush())
    return base64.b64encode(b"".join(packed)).decode("ascii")


def _unpack_lines(packed: str) -> list[str]:
    text = zlib.decompress(base64.b64decode(packed, validate=True)).decode()
    return text.split("\n") if text else []


def _read_if_unchanged(path: str, size: int, mtime: int) -> bytes | None:
    """A file's bytes if it still has the size and mtime recorded for it, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_size != size or st.st_mtime_ns != mtime:
            return None
        return os.read(fd, size)
    finally:
        os.close(fd)


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
        d, snap = self.deps, self.snap
        return {p.id: digest(d.packages[p.id], d.categories[p.category], d.records("grids", p.grids),
                             self.raw.get(p.slug)) for p in snap.packages.values()}

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
                            key("v3 details", *(self.digests[i] for i in ids))))
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
                                key(*pieces, len(ids), chunk[0], *(self.digests[i] for i in shown))))
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

