"""Walking the API v4 lists into snapshot records, with the consistency checks of a complete crawl.

Each list (`categories`, `grids`, `packages`) is read with `?limit=<page size>`. The
first page gives `count` and the `next` link; from the link's `limit`/`offset` the
remaining page URLs are predicted and fetched concurrently, then the `next` chain is
walked through them, so a server whose links do not follow the prediction is still
read page by page. List pages carry whole objects in v4: no detail requests.

A list pass is *consistent* when every page reports the same `count`, no id appears
twice and the number of distinct objects equals `count`. An inconsistent pass (an
object added or removed mid-crawl shifts the pages) is re-read from fresh requests;
so is the whole crawl when a reference does not resolve (a grid created after the
grid list was read) or two objects share a slug (a rename mid-crawl). Both are
bounded by `max_passes`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import CrawlError
from ..snapshot import CATEGORY, GRID, PACKAGE
from .client import ClientStats, PoliteClient
from .journal import Journal
from .links import LinkMap

LISTS = ("packages", "grids", "categories")  # the longest first, so its pages start soonest


@dataclass
class Progress:
    """How far the crawl is: pages done (fetched or taken from the journal) of pages expected."""

    pages_done: int = 0
    pages_expected: int = 0
    from_journal: int = 0
    passes: dict[str, int] = field(default_factory=dict)
    stats: ClientStats = field(default_factory=ClientStats)


@dataclass
class Page:
    """One list page: its `count`, its `next` link and its objects as snapshot records."""

    count: int
    next: str | None
    records: list[dict[str, Any]]


@dataclass(repr=False)  # asyncio.run may repr the main task's result (CPython 3.11): keep that cheap
class Records:
    """The crawled objects as snapshot records (relations resolved into ids)."""

    categories: list[dict[str, Any]]
    grids: list[dict[str, Any]]
    packages: list[dict[str, Any]]


class Crawler:
    """Reads every list of one API v4 source."""

    def __init__(self, client: PoliteClient, links: LinkMap, journal: Journal | None, *, page_size: int,
                 max_passes: int = 3, progress: Callable[[Progress], None] | None = None) -> None:
        self.client = client
        self.links = links
        self.journal = journal
        self.page_size = page_size
        self.max_passes = max_passes
        self.progress = Progress(stats=client.stats)
        self._notify = progress

    async def collect(self) -> Records:
        """Read all lists until they are consistent and every reference resolves."""
        fresh = False
        for _ in range(self.max_passes):
            lists = dict(zip(LISTS, await asyncio.gather(*(self.read_list(k, fresh) for k in LISTS)),
                             strict=True))
            records = Records(**lists)
            problems = duplicate_slugs(lists) + dangling_references(records)
            if not problems:
                return records
            fresh = True  # something changed between the lists (or during one): read them all again
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CrawlError(f"the lists still disagree after {self.max_passes} passes:\n{shown}{more}")

    async def read_list(self, kind: str, fresh: bool = False) -> list[dict[str, Any]]:
        """Every object of one list, from a consistent pass; fresh=True ignores the journal."""
        reason = ""
        for number in range(1, self.max_passes + 1):
            self.progress.passes[kind] = number
            objects, reason = await self._read_pass(kind, fresh)
            if not reason:
                return objects
            fresh = True
        raise CrawlError(f"the {kind} list stayed inconsistent after {self.max_passes} passes: {reason}")

    async def _read_pass(self, kind: str, fresh: bool) -> tuple[list[dict[str, Any]], str]:
        """(records in list order, '' or why this pass is inconsistent)."""
        first_url = self.links.url(f"{kind}/?limit={self.page_size}")
        first = await self._page(first_url, kind, fresh)
        predicted = self._predict(first.next, first.count)
        self.progress.pages_expected += 1 + len(predicted)
        fetched = dict(zip(predicted, await asyncio.gather(*(self._page(u, kind, fresh) for u in predicted)),
                           strict=True))
        pages, seen = [first], {first_url}
        while pages[-1].next is not None:
            url = self.links.follow(pages[-1].next)
            if url in seen:
                raise CrawlError(f"{url}: the `next` links of the {kind} list go round in a circle")
            seen.add(url)
            if url not in fetched:
                self.progress.pages_expected += 1
                fetched[url] = await self._page(url, kind, fresh)
            pages.append(fetched[url])
        records: dict[int, dict[str, Any]] = {}
        duplicates: set[int] = set()
        for page in pages:
            for rec in page.records:
                if rec["id"] in records:
                    duplicates.add(rec["id"])
                records[rec["id"]] = rec
        counts = sorted({p.count for p in pages})
        if len(counts) > 1:
            return [], f"its pages report different counts {counts}"
        if duplicates:
            return [], f"ids {sorted(duplicates)[:10]} appear on more than one page"
        if len(records) != first.count:
            return [], f"it reports {first.count} objects but {len(records)} were collected"
        return list(records.values()), ""

    def _predict(self, next_link: Any, count: int) -> list[str]:
        """Source URLs of the pages after the first, predicted from the first `next` link."""
        if next_link is None:
            return []
        url = self.links.follow(next_link)
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        values = dict(query)
        try:
            limit, offset = int(values["limit"]), int(values["offset"])
        except (KeyError, ValueError):
            return []
        if limit <= 0 or offset <= 0:
            return []
        urls = []
        for start in range(offset, count, limit):
            q = urlencode([(k, str(start) if k == "offset" else v) for k, v in query])
            urls.append(urlunsplit(parts._replace(query=q)))
        return urls

    async def _page(self, url: str, kind: str, fresh: bool) -> Page:
        """One list page, from the journal when allowed, else from the source (and then journaled).

        Its objects are turned into records at once, while other requests are in flight.
        """
        body = None if fresh or self.journal is None else self.journal.get(url)
        if body is not None:
            self.progress.from_journal += 1
        else:
            fetched = await self.client.fetch_json(url)
            body = fetched.data
            _check_page(url, body)
            if self.journal is not None:
                self.journal.record(url, body, fetched.raw)
        convert = {"categories": self._category, "grids": self._grid, "packages": self._package}[kind]
        page = Page(body["count"], body["next"], [convert(url, obj) for obj in body["results"]])
        self.progress.pages_done += 1
        if self._notify is not None:
            self._notify(self.progress)
        return page

    def _category(self, url: str, obj: Any) -> dict[str, Any]:
        return _pick(url, obj, CATEGORY)

    def _grid(self, url: str, obj: Any) -> dict[str, Any]:
        rec = _pick(url, obj, GRID)
        rec["packages"] = [self.links.entity_id(link, "packages") for link in _list(obj, "packages")]
        rec["features"] = rec["elements"] = None  # API v4 does not show them
        return rec

    def _package(self, url: str, obj: Any) -> dict[str, Any]:
        rec = _pick(url, obj, PACKAGE)
        rec["category"] = self.links.entity_id(obj.get("category"), "categories")
        rec["grids"] = [self.links.entity_id(link, "grids") for link in _list(obj, "grids")]
        rec["extra"] = None  # API v4 does not show what a dump adds
        return rec


def _check_page(url: str, body: Any) -> None:
    ok = (isinstance(body, dict) and type(body.get("count")) is int and isinstance(body.get("results"), list)
          and (body.get("next") is None or isinstance(body.get("next"), str)))
    if not ok:
        raise CrawlError(f"{url}: not an API v4 list page (expected count, next and results)")


def _pick(url: str, obj: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's fields of an API object; a missing one is left for the loader to report."""
    if not isinstance(obj, dict) or type(obj.get("id")) is not int:
        raise CrawlError(f"{url}: an entry without an integer id: {str(obj)[:80]}")
    return {name: obj[name] for name in schema if name in obj}


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise CrawlError(f"{obj.get('slug', obj.get('id'))!r}: field {name!r} is not a list of links")
    return value


def duplicate_slugs(lists: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every slug that two objects of one list share."""
    problems = []
    for kind, objects in lists.items():
        owner: dict[Any, Any] = {}
        for obj in objects:
            slug = obj.get("slug")
            if slug in owner:
                problems.append(f"{kind}: slug {slug!r} is used by ids {owner[slug]} and {obj['id']}")
            else:
                owner[slug] = obj["id"]
    return problems


def dangling_references(records: Records) -> list[str]:
    """Every relation that names a missing object or is not mirrored on the other side."""
    categories = {c["id"] for c in records.categories}
    grids = {g["id"]: set(g["packages"]) for g in records.grids}
    packages = {p["id"]: set(p["grids"]) for p in records.packages}
    problems = []
    for p in records.packages:
        if p["category"] not in categories:
            problems.append(f"package {p['id']} names category {p['category']}, which the list lacks")
        for gid in p["grids"]:
            if gid not in grids:
                problems.append(f"package {p['id']} names grid {gid}, which the list lacks")
            elif p["id"] not in grids[gid]:
                problems.append(f"package {p['id']} names grid {gid}, which does not list it")
    for g in records.grids:
        for pid in g["packages"]:
            if pid not in packages:
                problems.append(f"grid {g['id']} lists package {pid}, which the list lacks")
            elif g["id"] not in packages[pid]:
                problems.append(f"grid {g['id']} lists package {pid}, which does not name it")
    return problems
