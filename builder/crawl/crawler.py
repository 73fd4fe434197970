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
grid list was read). Both are bounded by `max_passes`.
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
            raw = dict(zip(LISTS, await asyncio.gather(*(self.read_list(k, fresh) for k in LISTS)),
                           strict=True))
            records = self._records(raw)
            problems = dangling_references(records)
            if not problems:
                return records
            fresh = True  # something changed between the lists: read them all again
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        raise CrawlError(f"references still do not resolve after {self.max_passes} passes:\n{shown}")

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
        """(objects in list order, '' or why this pass is inconsistent)."""
        first_url = self.links.url(f"{kind}/?limit={self.page_size}")
        first = await self._page(first_url, fresh)
        count = first["count"]
        predicted = self._predict(first["next"], count)
        self.progress.pages_expected += 1 + len(predicted)
        fetched = dict(zip(predicted, await asyncio.gather(*(self._page(u, fresh) for u in predicted)),
                           strict=True))
        pages, url, seen = [first], first_url, {first_url}
        while pages[-1]["next"] is not None:
            url = self.links.follow(pages[-1]["next"])
            if url in seen:
                raise CrawlError(f"{url}: the `next` links of the {kind} list go round in a circle")
            seen.add(url)
            if url not in fetched:
                self.progress.pages_expected += 1
                fetched[url] = await self._page(url, fresh)
            pages.append(fetched[url])
        objects: dict[int, dict[str, Any]] = {}
        duplicates: set[int] = set()
        for page in pages:
            for obj in page["results"]:
                oid = obj.get("id") if isinstance(obj, dict) else None
                if type(oid) is not int:
                    raise CrawlError(f"{url}: a {kind} entry without an integer id: {str(obj)[:80]}")
                if oid in objects:
                    duplicates.add(oid)
                objects[oid] = obj
        counts = sorted({p["count"] for p in pages})
        if len(counts) > 1:
            return [], f"its pages report different counts {counts}"
        if duplicates:
            return [], f"ids {sorted(duplicates)[:10]} appear on more than one page"
        if len(objects) != count:
            return [], f"it reports {count} objects but {len(objects)} were collected"
        return list(objects.values()), ""

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

    async def _page(self, url: str, fresh: bool) -> dict[str, Any]:
        """One list page, from the journal when allowed, else from the source (and then journaled)."""
        body = None if fresh or self.journal is None else self.journal.get(url)
        if body is not None:
            self.progress.from_journal += 1
        else:
            body = await self.client.get_json(url)
            _check_page(url, body)
            if self.journal is not None:
                self.journal.record(url, body)
        self.progress.pages_done += 1
        if self._notify is not None:
            self._notify(self.progress)
        return body

    def _records(self, raw: dict[str, list[dict[str, Any]]]) -> Records:
        check_unique_slugs(raw)
        return Records(
            categories=[_pick(c, CATEGORY) for c in raw["categories"]],
            grids=[self._grid(g) for g in raw["grids"]],
            packages=[self._package(p) for p in raw["packages"]],
        )

    def _grid(self, obj: dict[str, Any]) -> dict[str, Any]:
        rec = _pick(obj, GRID)
        rec["packages"] = [self.links.entity_id(link, "packages") for link in _list(obj, "packages")]
        rec["features"] = rec["elements"] = None  # API v4 does not show them
        return rec

    def _package(self, obj: dict[str, Any]) -> dict[str, Any]:
        rec = _pick(obj, PACKAGE)
        rec["category"] = self.links.entity_id(obj.get("category"), "categories")
        rec["grids"] = [self.links.entity_id(link, "grids") for link in _list(obj, "grids")]
        rec["extra"] = None  # API v4 does not show what a dump adds
        return rec


def _check_page(url: str, body: Any) -> None:
    ok = (isinstance(body, dict) and type(body.get("count")) is int and isinstance(body.get("results"), list)
          and (body.get("next") is None or isinstance(body.get("next"), str)))
    if not ok:
        raise CrawlError(f"{url}: not an API v4 list page (expected count, next and results)")


def _pick(obj: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's fields of an API object; a missing one is left for the loader to report."""
    return {name: obj[name] for name in schema if name in obj}


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise CrawlError(f"{obj.get('slug', obj.get('id'))!r}: field {name!r} is not a list of links")
    return value


def check_unique_slugs(raw: dict[str, list[dict[str, Any]]]) -> None:
    """Raise CrawlError naming every slug that two objects of one list share."""
    problems = []
    for kind, objects in raw.items():
        owner: dict[Any, Any] = {}
        for obj in objects:
            slug = obj.get("slug")
            if slug in owner:
                problems.append(f"{kind}: slug {slug!r} is used by ids {owner[slug]} and {obj['id']}")
            else:
                owner[slug] = obj["id"]
    if problems:
        raise CrawlError("duplicate slugs:\n" + "\n".join(f"  - {p}" for p in problems[:20]))


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
