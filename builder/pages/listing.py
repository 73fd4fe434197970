"""The package lists (`/packages/` and each `/categories/<slug>/`), sorted and paginated without JS.

URL layout, for a list rooted at BASE (`/packages/` or `/categories/<slug>/`):

    BASE                          sorted by name, page 1
    BASE page/<n>/                sorted by name, page n (n >= 2)
    BASE sort/<key>/              sorted by key (stars, forks, updated), page 1
    BASE sort/<key>/page/<n>/     ... page n

Orders are total: name is (title casefolded, id); stars, forks and updated are descending with
ties broken by ascending id, and packages never updated come last. Each package's table row is
rendered once per build and reused by every list page that shows it.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from markupsafe import Markup

from ..model import Category, Package
from . import format as fmt
from .context import description_of
from .site import Link, PageMeta, Site

PAGE_SIZE = 50
# Rendered rows a process keeps: a package's row is on a page of every sort order of every list
# it is in (8 pages), and is rendered once. A row is about 330 characters: 150,000 rows are
# 60 MB at most. (30,000 made a 100,000-package build render each row again for each order.)
ROWS_KEPT = 150_000


@dataclass(frozen=True, slots=True)
class Sort:
    key: str
    label: str
    order: Callable[[Package], tuple]


SORTS = (
    Sort("name", "Name", lambda p: (p.title.casefold(), p.title, p.id)),
    Sort("stars", "Stars", lambda p: (-p.repo_watchers, p.id)),
    Sort("forks", "Forks", lambda p: (-p.repo_forks, p.id)),
    Sort("updated", "Updated", lambda p: (-fmt.sort_key_ts(p.last_updated), p.id)),
)
DEFAULT_SORT = SORTS[0].key


@dataclass(frozen=True, slots=True)
class Tab:
    """A sort column header or a category filter: label, link, whether it is the current one."""

    label: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    previous: str | None
    next: str | None
    numbers: tuple[Link, ...]  # href None for the current page and for the "…" gaps


@dataclass(frozen=True, slots=True)
class ListPage:
    page: PageMeta
    heading: str
    intro: str
    total: int
    first: int
    last: int
    rows: Markup
    sorts: tuple[Tab, ...]
    filters: tuple[Tab, ...]
    pager: Pager


def list_path(base: str, sort: str, page: int) -> str:
    path = base if sort == DEFAULT_SORT else f"{base}sort/{sort}/"
    return path if page == 1 else f"{path}page/{page}/"


def sorted_orders(site: Site, last: tuple[dict[int, Package], dict[str, list[Package]]] | None = None,
                  ) -> dict[str, list[Package]]:
    """All packages in every sort order, computed once; category lists filter these.

    `last`: the packages of an earlier build of this process and their orders. When few
    packages changed (a record changes only by being replaced), the orders are those less the
    changed packages' old records, plus their new ones, each put in place (every order ends on
    the id, so a package's place is one and only one)."""
    packages = site.snapshot.packages
    if last is not None:
        old, orders = last
        gone = [p for i, p in old.items() if packages.get(i) is not p]
        new = [p for i, p in packages.items() if old.get(i) is not p]
        if len(gone) + len(new) <= REORDER_AT_MOST:
            reordered = {s.key: _reordered(orders[s.key], gone, new, s.order) for s in SORTS}
            if None not in reordered.values():
                return reordered  # type: ignore[return-value]
    values = list(packages.values())
    return {s.key: sorted(values, key=s.order) for s in SORTS}


REORDER_AT_MOST = 64  # changed packages above which sorting afresh is as quick


def _reordered(order: list[Package], gone: list[Package], new: list[Package],
               key: Callable[[Package], tuple]) -> list[Package] | None:
    """The order less `gone`, plus `new`; None if a package of `gone` is not where its key says."""
    out = list(order)
    for p in gone:
        at = bisect_left(out, key(p), key=key)
        if at == len(out) or out[at] is not p:
            return None
        del out[at]
    for p in new:
        insort(out, p, key=key)
    return out


class PackageRows(dict):
    """Package id -> its list row (a <tr>), rendered on first use and kept (up to ROWS_KEPT)."""

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site
        self.template = site.env.get_template("_package_row.html")

    def __missing__(self, package_id: int) -> Markup:
        if len(self) > ROWS_KEPT:
            self.clear()
        site = self.site
        p = site.snapshot.packages[package_id]
        row = self[package_id] = Markup(self.template.render(
            p=p, href=site.href(site.package_path(p)), category=site.category(p).title,
            summary=description_of(p), deprecated=bool(p.extra and p.extra.date_deprecated)))
        return row


def window(page: int, pages: int) -> list[int | None]:
    """Page numbers to show: first, last and two either side of the current one; None is a gap."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            out.append(None)
        out.append(n)
    return out


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def list_pages(site: Site, base: str, heading: str, intro: str, chosen: list[Package], sort: Sort,
               numbers: range, category: Category | None, rows: dict[int, Markup],
               filters: Callable[[str], tuple[Tab, ...]]) -> Iterator[ListPage]:
    """Pages `numbers` (from 1) of one list in one sort order; `chosen` is the list in that order."""
    pages = page_count(len(chosen))
    crumbs = [Link("Home", site.href("/")), Link("Categories", site.href("/categories/")) if category
              else Link("Packages", site.href("/packages/")), Link(heading)]
    sorts = tuple(Tab(s.label, site.href(list_path(base, s.key, 1)), s.key == sort.key) for s in SORTS)
    for n in numbers:
        path = list_path(base, sort.key, n)
        chunk = chosen[(n - 1) * PAGE_SIZE:n * PAGE_SIZE]
        title = heading if n == 1 else f"{heading} (page {n} of {pages})"
        if sort.key != DEFAULT_SORT:
            title = f"{title}, by {sort.label.lower()}"
        pager_links = tuple(Link("…") if i is None else
                            Link(str(i), None if i == n else site.href(list_path(base, sort.key, i)))
                            for i in window(n, pages))
        yield ListPage(
            page=site.meta(path, title, intro, breadcrumbs=tuple(crumbs),
                           nav="Categories" if category else "Packages"),
            heading=heading, intro=intro, total=len(chosen), first=(n - 1) * PAGE_SIZE + 1,
            last=(n - 1) * PAGE_SIZE + len(chunk),
            rows=Markup("".join(rows[p.id] for p in chunk)),
            sorts=sorts,
            filters=filters(sort.key),
            pager=Pager(n, pages, site.href(list_path(base, sort.key, n - 1)) if n > 1 else None,
                        site.href(list_path(base, sort.key, n + 1)) if n < pages else None, pager_links),
        )


def category_filters(site: Site, current: Category | None) -> Callable[[str], tuple[Tab, ...]]:
    """The 'All (60)', 'App (47)' … filter, keeping the current sort."""
    counts = site.packages_in_category
    total = len(site.snapshot.packages)

    def tabs(sort: str) -> tuple[Tab, ...]:
        out = [Tab(f"All ({total:,})", site.href(list_path("/packages/", sort, 1)), current is None)]
        for c in site.snapshot.categories.values():
            out.append(Tab(f"{c.title} ({len(counts[c.id]):,})",
                           site.href(list_path(site.category_path(c), sort, 1)), current is c))
        return tuple(out)

    return tabs
