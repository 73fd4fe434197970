"""The page stage: every HTML page, the feeds, sitemaps, robots.txt and the static assets.

The stage is a list of page families (`PAGES`). Each family names its keys (a package id, a
grid id, a list name …) and renders one key into (site path, content) outputs. `Site` is a
pure function of (snapshot, settings), so the keys could be shared out among processes.

Output paths (see builder/pages/listing.py for the list URLs):

    index.html                                  home
    packages/index.html, packages/[sort/<key>/][page/<n>/]index.html   the package list
    packages/p/<slug>/index.html                package page
    categories/index.html                       category list
    categories/<slug>/[sort/<key>/][page/<n>/]index.html   one category's packages
    grids/index.html                            grid list
    grids/g/<slug>/index.html                   comparison grid
    <path from content/*.md>/index.html         about/, faq/, api-docs/
    404.html, robots.txt
    sitemap.xml, sitemap-static.xml, sitemap-packages.xml, sitemap-grids.xml
    feeds/packages/latest/rss.xml, feeds/packages/latest/atom.xml
    static/...                                  CSS and icons, copied from static/
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial

from .build import BuildContext, Output, Part
from .deps import ABSENT, Deps
from .model import Category, Package
from .pages import context, feeds, indexes, listing, markdown_pages, sitemap
from .pages.site import Site, output_file


@dataclass
class PageSite(Site):
    """`Site` plus the list data shared by every list page (sorted orders, rendered rows)."""

    last_orders: tuple | None = None  # an earlier build's packages and orders (see listing.sorted_orders)

    @cached_property
    def orders(self) -> dict[str, list]:
        return listing.sorted_orders(self, self.last_orders)

    @cached_property
    def rows(self) -> listing.PackageRows:
        return listing.PackageRows(self)

    @cached_property
    def lists(self) -> dict[int | None, tuple[str, str, str, Category | None]]:
        """Each package list (None: all packages; else a category's): base, heading, intro, category."""
        out: dict[int | None, tuple[str, str, str, Category | None]] = {
            None: ("/packages/", "Packages", f"All {len(self.snapshot.packages):,} packages in this snapshot.", None)}
        for c in self.snapshot.categories.values():
            out[c.id] = (self.category_path(c), c.title_plural or c.title, c.description, c)
        return out

    @cached_property
    def chosen(self) -> dict[tuple[int | None, str], list[Package]]:
        """(list, sort key) -> the list's packages in that order."""
        return {(list_id, sort.key): [p for p in self.orders[sort.key] if list_id is None or p.category == list_id]
                for list_id in self.lists for sort in listing.SORTS}

    @cached_property
    def content(self) -> list[markdown_pages.MarkdownPage]:
        return markdown_pages.markdown_pages(self)


def _page(site: Site, template: str, view: object) -> Output:
    return output_file(view.page.path), site.render(template, page=view.page, v=view)  # type: ignore[attr-defined]


def home(site: PageSite, _: object) -> Iterator[Output]:
    yield _page(site, "home.html", indexes.home_page(site))


def package_page(site: PageSite, package_id: int) -> Iterator[Output]:
    yield _page(site, "package.html", context.package_page(site, site.snapshot.packages[package_id]))


def grid_page(site: PageSite, grid_id: int) -> Iterator[Output]:
    yield _page(site, "grid.html", context.grid_page(site, site.snapshot.grids[grid_id]))


def grid_list(site: PageSite, _: object) -> Iterator[Output]:
    yield _page(site, "grids.html", indexes.grid_list_page(site))


def category_list(site: PageSite, _: object) -> Iterator[Output]:
    yield _page(site, "categories.html", indexes.category_list_page(site))


ListKey = tuple[int | None, str, int]  # (list: None or a category id, sort key, first page)
PAGES_PER_PART = 2


def list_keys(site: PageSite) -> list[ListKey]:
    """The package lists' pages, PAGES_PER_PART pages of one list and sort order per key."""
    return [(list_id, sort, first) for (list_id, sort), chosen in site.chosen.items()
            for first in range(1, listing.page_count(len(chosen)) + 1, PAGES_PER_PART)]


def package_list(site: PageSite, key: ListKey) -> Iterator[Output]:
    """Some pages of the list of all packages, or of a category's, in one sort order."""
    list_id, sort_key, first = key
    base, heading, intro, category = site.lists[list_id]
    chosen = site.chosen[list_id, sort_key]
    numbers = range(first, min(first + PAGES_PER_PART, listing.page_count(len(chosen)) + 1))
    sort = next(s for s in listing.SORTS if s.key == sort_key)
    for view in listing.list_pages(site, base, heading, intro, chosen, sort, numbers, category, site.rows,
                                   listing.category_filters(site, category)):
        yield _page(site, "package_list.html", view)


def _list_inputs(site: PageSite, deps: Deps, key: ListKey) -> list[bytes]:
    """What some list pages show: their packages (rows name each one's category), the list's length
    (the pager), every category's size (the filter tabs) and the categories."""
    list_id, sort_key, first = key
    chosen = site.chosen[list_id, sort_key]
    shown = chosen[(first - 1) * listing.PAGE_SIZE:(first - 1 + PAGES_PER_PART) * listing.PAGE_SIZE]
    sizes = [len(site.chosen[i, sort_key]) for i in site.lists]
    return [deps.records("packages", [p.id for p in shown]), deps.collection("categories"), repr(sizes).encode()]


def content_page(site: PageSite, index: int) -> Iterator[Output]:
    yield _page(site, "markdown.html", site.content[index])


def not_found(site: PageSite, _: object) -> Iterator[Output]:
    meta = site.meta("/404.html", "Page not found", "There is no page at this address.", noindex=True)
    yield "404.html", site.render("404.html", page=meta, v=None)


def feed_files(site: PageSite, _: object) -> Iterator[Output]:
    yield feeds.RSS_PATH.lstrip("/"), feeds.rss(site)
    yield feeds.ATOM_PATH.lstrip("/"), feeds.atom(site)


def sitemap_files(site: PageSite, _: object) -> Iterator[Output]:
    yield from sitemap.sitemaps(site, [p.page.path for p in site.content])
    yield "robots.txt", sitemap.robots(site)


def static_files(site: PageSite, _: object) -> Iterator[Output]:
    root = site.settings.static_dir
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        yield f"static/{file.relative_to(root).as_posix()}", file.read_bytes()


One = (None,)
CHROME = ("_header.html", "_footer.html")  # rendered into every page by Site.chrome_header/footer


def _package_inputs(site: PageSite, deps: Deps, package_id: int) -> list[bytes]:
    """What a package page shows: the package, its category, grids, replacement and replaced."""
    p = site.snapshot.packages[package_id]
    related = [r.id for r in site.replaces.get(p.id, ())]
    replacement = site.replacement(p)
    if replacement is not None:
        related.append(replacement.id)
    return [deps.packages[p.id], deps.categories.get(p.category, ABSENT), deps.records("grids", p.grids),
            deps.records("packages", related) if related else b""]


def _grid_inputs(site: PageSite, deps: Deps, grid_id: int) -> list[bytes]:
    """What a grid page shows: the grid, its packages and their categories."""
    g = site.snapshot.grids[grid_id]
    members = [site.snapshot.packages[i] for i in g.packages]
    return [deps.grids[g.id], deps.records("packages", g.packages),
            deps.records("categories", sorted({p.category for p in members}))]


def _category_list_inputs(site: PageSite, deps: Deps) -> list[bytes]:
    """What the category list shows: the categories and how many packages each has."""
    sizes = [len(site.packages_in_category[c]) for c in site.snapshot.categories]
    return [deps.collection("categories"), repr(sizes).encode()]


@dataclass(frozen=True)
class Family:
    """A kind of page: its keys, how one key renders, and what the pages are made from.

    `inputs(site, deps, key)` gives the digests one key's pages depend on; a family without it
    is one part, which depends on what `shows(site, deps)` gives, or else on the whole snapshot.
    Keyed families are cut into BUCKETS parts by key, so a change re-renders the bucket of the
    changed key only."""

    name: str
    keys: Callable[[PageSite], Iterable]
    render: Callable[[PageSite, object], Iterator[Output]]
    templates: tuple[str, ...] = ()
    inputs: Callable[[PageSite, Deps, object], list[bytes]] | None = None
    content: bool = False  # made from content/*.md too
    snapshot: bool = True  # an unkeyed family shows the snapshot (else only the manifest, in the footer)
    # An unkeyed family that shows less than the whole snapshot: the digests of what it shows.
    shows: Callable[[PageSite, Deps], list[bytes]] | None = None
    bucket: Callable[[object], object] = lambda key: key % BUCKETS  # keys of a bucket share a part


PAGES: list[Family] = [
    Family("home", lambda s: One, home, ("home.html",)),
    Family("lists", list_keys, package_list, ("package_list.html", "_package_row.html"), _list_inputs,
           bucket=lambda key: key),
    Family("package", lambda s: s.snapshot.packages, package_page, ("package.html",), _package_inputs),
    Family("categories", lambda s: One, category_list, ("categories.html",), shows=_category_list_inputs),
    Family("grids", lambda s: One, grid_list, ("grids.html",), shows=lambda s, deps: [deps.collection("grids")]),
    Family("grid", lambda s: s.snapshot.grids, grid_page, ("grid.html",), _grid_inputs),
    Family("content", lambda s: range(len(s.content)), content_page, ("markdown.html",), content=True,
           snapshot=False),
    Family("404", lambda s: One, not_found, ("404.html",), snapshot=False),
    Family("feeds", lambda s: One, feed_files),
    Family("sitemaps", lambda s: One, sitemap_files, content=True, shows=lambda s, deps: [sitemap.shown(s)]),
    Family("static", lambda s: One, static_files, snapshot=False),
]


def render(ctx: BuildContext) -> Iterator[Output]:
    """Every output of the page stage, family by family, keys in ascending order."""
    for part in parts(ctx):
        yield from part.run()


BUCKETS = 64  # parts per keyed family: a key's bucket is key % BUCKETS, stable as keys come and go


def parts(ctx: BuildContext) -> list[Part]:
    """The stage cut into parts: one per unkeyed family, one per bucket of keys of a keyed one.

    The lists' orders are computed here, before workers fork (the keys need them); each
    package's list row is rendered on first use in each process.
    """
    cache = ctx.cache
    site = PageSite(ctx.snapshot, ctx.settings, last_orders=None if cache is None else cache.get("orders"))
    if cache is not None:
        cache["orders"] = ctx.snapshot.packages, site.orders
    deps = ctx.deps
    out: list[Part] = []
    for family in PAGES:
        # HTML pages: their templates, the static files they link by hash, the manifest in the footer.
        common = [deps.templates(*family.templates, *CHROME), deps.static, deps.manifest] if family.templates \
            else [deps.static]
        if family.content:
            common.append(deps.content)
        if family.inputs is None:  # one part: its keys are found by the process that runs it
            shown = family.shows(site, deps) if family.shows else [deps.snapshot_digest if family.snapshot else b""]
            key = deps.key(family.name, *common, *shown)
            # A family that shows the whole snapshot is a long part: claimed first.
            out.append(Part(f"pages/{family.name}", partial(_render_family, site, family), key, first=family.snapshot))
            continue
        buckets: dict[object, list] = {}
        for k in family.keys(site):
            buckets.setdefault(family.bucket(k), []).append(k)
        for bucket, chunk in buckets.items():
            key = deps.key(family.name, *common, *(d for k in chunk for d in (repr(k), *family.inputs(site, deps, k))))
            name = f"pages/{family.name}/{bucket if isinstance(bucket, int) else '/'.join(map(str, bucket))}"
            out.append(Part(name, partial(_render_keys, site, family.render, chunk), key))
    return out


def _render_family(site: PageSite, family: Family) -> Iterator[Output]:
    """Every page of a family (the Markdown pages are read and converted here, not before)."""
    yield from _render_keys(site, family.render, list(family.keys(site)))


def _render_keys(site: PageSite, page: Callable[[PageSite, object], Iterator[Output]],
                 keys: list) -> Iterator[Output]:
    for key in keys:
        yield from page(site, key)
