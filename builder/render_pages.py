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
from functools import cached_property

from .build import BuildContext, Output
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
PAGES: list[tuple[Callable[[PageSite], Iterable], Callable[[PageSite, object], Iterator[Output]]]] = [
    (lambda s: One, home),
    (lambda s: [None, *s.snapshot.categories], package_list),
    (lambda s: s.snapshot.packages, package_page),
    (lambda s: One, category_list),
    (lambda s: One, grid_list),
    (lambda s: s.snapshot.grids, grid_page),
    (lambda s: range(len(s.content)), content_page),
    (lambda s: One, not_found),
    (lambda s: One, feed_files),
    (lambda s: One, sitemap_files),
    (lambda s: One, static_files),
]


def render(ctx: BuildContext) -> Iterator[Output]:
    """Every output of the page stage, family by family, keys in ascending order."""
    for part in parts(ctx):
        yield from part()


CHUNK = 250  # keys per piece of work: small enough to balance two workers, large enough to be cheap


def parts(ctx: BuildContext) -> list[Callable[[], Iterator[Output]]]:
    """The stage cut into pieces of work of at most CHUNK keys each (see builder/build.py).

    The list data every list page shares is computed here, once, before workers fork.
    """
    site = PageSite(ctx.snapshot, ctx.settings)
    site.orders, site.rows, site.content  # noqa: B018 - computed now, inherited by the workers
    out: list[Callable[[], Iterator[Output]]] = []
    for keys, page in PAGES:
        keys = list(keys(site))
        for start in range(0, len(keys), CHUNK):
            out.append(lambda page=page, chunk=keys[start:start + CHUNK]: _render_keys(site, page, chunk))
    return out


def _render_keys(site: PageSite, page: Callable[[PageSite, object], Iterator[Output]],
                 keys: list) -> Iterator[Output]:
    for key in keys:
        yield from page(site, key)
