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
from .deps import Deps
from .pages import context, feeds, indexes, listing, markdown_pages, sitemap
from .pages.site import Site, output_file


@dataclass
class PageSite(Site):
    """`Site` plus the list data shared by every list page (sorted orders, rendered rows)."""

    @cached_property
    def orders(self) -> dict[str, list]:
        return listing.sorted_orders(self)

    @cached_property
    def rows(self) -> dict:
        return listing.package_rows(self)

    @cached_property
    def content(self) -> list[markdown_pages.MarkdownPage]:
        return markdown_pages.markdown_pages(self)

    def prepare_lists(self) -> None:
        """Compute the shared list data now, so forked workers inherit it."""
        self.orders, self.rows, self.content  # noqa: B018


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


def package_list(site: PageSite, category_id: int | None) -> Iterator[Output]:
    """All packages (key None) or one category's, every sort and page."""
    if category_id is None:
        base, heading, intro, members, category = (
            "/packages/", "Packages", f"All {len(site.snapshot.packages):,} packages in this snapshot.",
            lambda p: True, None)
    else:
        category = site.snapshot.categories[category_id]
        base, heading, intro = site.category_path(category), category.title_plural or category.title, \
            category.description
        members = lambda p: p.category == category_id  # noqa: E731
    for view in listing.list_pages(site, base, heading, intro, members, category, site.orders, site.rows,
                                   listing.category_filters(site, category)):
        yield _page(site, "package_list.html", view)


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
    return [deps.packages[p.id], deps.records("categories", [p.category]), deps.records("grids", p.grids),
            deps.records("packages", related)]


def _grid_inputs(site: PageSite, deps: Deps, grid_id: int) -> list[bytes]:
    """What a grid page shows: the grid, its packages and their categories."""
    g = site.snapshot.grids[grid_id]
    members = [site.snapshot.packages[i] for i in g.packages]
    return [deps.grids[g.id], deps.records("packages", g.packages),
            deps.records("categories", sorted({p.category for p in members}))]


@dataclass(frozen=True)
class Family:
    """A kind of page: its keys, how one key renders, and what the pages are made from.

    `inputs(site, deps, key)` gives the digests one key's pages depend on; a family without it
    depends on the whole snapshot. Keyed families are cut into BUCKETS parts by key, so a
    change re-renders the bucket of the changed key only."""

    name: str
    keys: Callable[[PageSite], Iterable]
    render: Callable[[PageSite, object], Iterator[Output]]
    templates: tuple[str, ...] = ()
    inputs: Callable[[PageSite, Deps, object], list[bytes]] | None = None
    content: bool = False  # made from content/*.md too


PAGES: list[Family] = [
    Family("home", lambda s: One, home, ("home.html",)),
    Family("lists", lambda s: [None, *s.snapshot.categories], package_list, ("package_list.html",)),
    Family("package", lambda s: s.snapshot.packages, package_page, ("package.html",), _package_inputs),
    Family("categories", lambda s: One, category_list, ("categories.html",)),
    Family("grids", lambda s: One, grid_list, ("grids.html",)),
    Family("grid", lambda s: s.snapshot.grids, grid_page, ("grid.html",), _grid_inputs),
    Family("content", lambda s: range(len(s.content)), content_page, ("markdown.html",), content=True),
    Family("404", lambda s: One, not_found, ("404.html",)),
    Family("feeds", lambda s: One, feed_files),
    Family("sitemaps", lambda s: One, sitemap_files, content=True),
    Family("static", lambda s: One, static_files),
]


def render(ctx: BuildContext) -> Iterator[Output]:
    """Every output of the page stage, family by family, keys in ascending order."""
    for part in parts(ctx):
        yield from part.run()


BUCKETS = 64  # parts per keyed family: a key's bucket is key % BUCKETS, stable as keys come and go


def parts(ctx: BuildContext) -> list[Part]:
    """The stage cut into parts: one per unkeyed family, BUCKETS per keyed one (see builder/build.py).

    The list data every list page shares is computed once, before workers fork, if a part that
    shows lists runs.
    """
    site = PageSite(ctx.snapshot, ctx.settings)
    deps = ctx.deps
    out: list[Part] = []
    for family in PAGES:
        common = [deps.templates(*family.templates, *CHROME) if family.templates else b"", deps.static,
                  deps.manifest, deps.content if family.content else b""]
        keys = list(family.keys(site))
        if family.inputs is None:
            key = deps.key(family.name, *common, deps.snapshot_digest)
            out.append(Part(f"pages/{family.name}", partial(_render_keys, site, family.render, keys), key,
                            prepare=site.prepare_lists))
            continue
        buckets: dict[int, list] = {}
        for k in keys:
            buckets.setdefault(k % BUCKETS, []).append(k)
        for bucket, chunk in sorted(buckets.items()):
            key = deps.key(family.name, *common, *(d for k in chunk for d in (k, *family.inputs(site, deps, k))))
            out.append(Part(f"pages/{family.name}/{bucket}", partial(_render_keys, site, family.render, chunk), key))
    return out


def _render_keys(site: PageSite, page: Callable[[PageSite, object], Iterator[Output]],
                 keys: list) -> Iterator[Output]:
    for key in keys:
        yield from page(site, key)
