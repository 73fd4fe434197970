"""Contexts of the index pages: home, the grid list and the category list."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from ..model import Package, Release
from . import format as fmt
from .context import description_of
from .site import Link, PageMeta, Site

T = TypeVar("T")

HOME_LIST = 5  # packages per home page section, as on the live site
HOME_GRIDS = 24


@dataclass(frozen=True, slots=True)
class PackageItem:
    """A package in a short list: link, description and one fact (stars, a date …)."""

    link: Link
    summary: str
    fact: str
    fact_iso: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryItem:
    link: Link
    count: int
    description: str


@dataclass(frozen=True, slots=True)
class GridItem:
    link: Link
    description: str
    packages: int
    features: int | None


@dataclass(frozen=True, slots=True)
class HomePage:
    page: PageMeta
    categories: tuple[CategoryItem, ...]
    grids: tuple[GridItem, ...]
    grid_total: int
    most_starred: tuple[PackageItem, ...]
    latest_added: tuple[PackageItem, ...]
    recently_updated: tuple[PackageItem, ...]
    latest_releases: tuple[PackageItem, ...]


@dataclass(frozen=True, slots=True)
class GridListPage:
    page: PageMeta
    grids: tuple[GridItem, ...]


@dataclass(frozen=True, slots=True)
class CategoryListPage:
    page: PageMeta
    categories: tuple[CategoryItem, ...]


def _item(site: Site, p: Package, fact: str, fact_iso: str | None = None) -> PackageItem:
    return PackageItem(Link(p.title, site.href(site.package_path(p))), description_of(p), fact, fact_iso)


def category_items(site: Site) -> tuple[CategoryItem, ...]:
    counts = site.packages_in_category
    return tuple(CategoryItem(Link(c.title_plural or c.title, site.href(site.category_path(c))),
                              len(counts[c.id]), c.description)
                 for c in site.snapshot.categories.values())


def grid_items(site: Site) -> tuple[GridItem, ...]:
    """All grids by title (casefolded, then id)."""
    grids = sorted(site.snapshot.grids.values(), key=lambda g: (g.title.casefold(), g.id))
    return tuple(GridItem(Link(g.title, site.href(site.grid_path(g))), " ".join(g.description.split()),
                          len(g.packages), None if g.features is None else len(g.features))
                 for g in grids)


def _dated_releases(p: Package) -> list[Release]:
    """The releases the home page may show: dated and not hidden."""
    return [r for r in p.extra.releases if r.upload_time and not r.hidden] if p.extra else []


def _newest_release(p: Package) -> tuple[str, int, Package, Release] | None:
    shown = [(fmt.sort_key_ts(r.upload_time), r.id, r) for r in _dated_releases(p)]
    if not shown:
        return None
    _, _, release = max(shown, key=lambda c: c[:2])
    return (release.upload_time or "", release.id, p, release)


def _latest_releases(site: Site) -> tuple[PackageItem, ...]:
    """The packages released most recently, each once, with its newest release."""
    top = heapq.nlargest(HOME_LIST, filter(None, map(_newest_release, _release_candidates(site))),
                         key=lambda c: (fmt.sort_key_ts(c[0]), c[1]))
    return tuple(PackageItem(Link(f"{p.title} {r.number}", site.href(site.package_path(p))),
                             description_of(p), fmt.date(r.upload_time), fmt.iso_date(r.upload_time or ""))
                 for _, _, p, r in top)


def _release_candidates(site: Site) -> list[Package]:
    """The packages that may be among the HOME_LIST released last (33,000 releases at 6,000
    packages): by the date of each one's newest release (`_may_be_latest`)."""
    return _may_be_latest([(max((r.upload_time for r in _dated_releases(p)), default=None), p)
                           for p in site.snapshot.packages.values()])


def _may_be_latest(stamped: list[tuple[str | None, T]], count: int = HOME_LIST) -> list[T]:
    """Of (timestamp or None, item) pairs, the items that may be among the `count` latest in
    time (None the earliest), found without reading a timestamp as a time.

    A timestamp's local date is less than a day from its UTC date. Among the items whose local
    date is at least the count-th greatest such date D, each has a time after the start of D-1
    (UTC); so each of the latest has a time after it too, whose local date is D-2 or later. Every
    other item came earlier (with fewer than `count` dated items, every item may be needed)."""
    days = [(stamp[:10] if stamp else "", item) for stamp, item in stamped]
    dates = heapq.nlargest(count, (day for day, _ in days if day))
    if len(dates) < count:
        return [item for _, item in days]
    try:
        floor = (date.fromisoformat(dates[-1]) - timedelta(days=2)).isoformat()
    except OverflowError:  # within two days of year 1: every item may be
        floor = ""
    return [item for day, item in days if day >= floor]


def home_page(site: Site) -> HomePage:
    packages = site.snapshot.packages.values()
    starred = heapq.nsmallest(HOME_LIST, packages, key=lambda p: (-p.repo_watchers, p.id))
    added = heapq.nlargest(HOME_LIST, _may_be_latest([(p.created, p) for p in packages]),
                           key=lambda p: (fmt.sort_key_ts(p.created), p.id))
    updated = heapq.nlargest(HOME_LIST, _may_be_latest([(p.last_updated, p) for p in packages if p.last_updated]),
                             key=lambda p: (fmt.sort_key_ts(p.last_updated), -p.id))
    grids = grid_items(site)
    top_grids = sorted(grids, key=lambda g: -g.packages)[:HOME_GRIDS]  # stable: ties keep title order
    return HomePage(
        page=site.meta("/", site.settings.title, site.settings.description),
        categories=category_items(site),
        grids=tuple(top_grids),
        grid_total=len(grids),
        most_starred=tuple(_item(site, p, f"{fmt.number(p.repo_watchers)} stars") for p in starred),
        latest_added=tuple(_item(site, p, fmt.date(p.created), fmt.iso_date(p.created)) for p in added),
        recently_updated=tuple(_item(site, p, fmt.date(p.last_updated), fmt.iso_date(p.last_updated or ""))
                               for p in updated),
        latest_releases=_latest_releases(site),
    )


def grid_list_page(site: Site) -> GridListPage:
    crumbs = (Link("Home", site.href("/")), Link("Grids"))
    meta = site.meta("/grids/", "Grids", "Comparison grids of Django packages, feature by feature.",
                     breadcrumbs=crumbs, nav="Grids")
    return GridListPage(meta, grid_items(site))


def category_list_page(site: Site) -> CategoryListPage:
    crumbs = (Link("Home", site.href("/")), Link("Categories"))
    return CategoryListPage(site.meta("/categories/", "Categories", "Django packages by category.",
                                      breadcrumbs=crumbs, nav="Categories"), category_items(site))
