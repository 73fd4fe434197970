"""The per-build `Site`: settings, snapshot, the Jinja environment and the lookups every page shares.

Built once per build from (snapshot, settings) and nothing else, so a worker process can
rebuild the same `Site` and render any subset of the pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..model import Category, Grid, Package, Snapshot
from ..settings import Settings
from ..templating import bytecode_cache
from . import format as fmt

CSS_FILE = "site.css"
# The live feed URLs (/feeds/packages/latest/rss/) are served from these files by rewrites.
RSS_PATH = "/feeds/packages/latest/rss.xml"
ATOM_PATH = "/feeds/packages/latest/atom.xml"
SOURCE_WORDS = {"crawl": "a crawl of", "pg_dump": "the database dump", "pg_dump_custom": "the database dump",
                "dumpdata": "the Django dumpdata file", "sample": "the sample data"}
NAV = (("Packages", "/packages/"), ("Grids", "/grids/"), ("Categories", "/categories/"), ("About", "/about/"))


@dataclass(frozen=True, slots=True)
class Link:
    """A text and, when it is safe to link, where it leads."""

    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the base template needs of every page: head tags, breadcrumb, the current nav item."""

    path: str
    title: str
    description: str
    canonical: str
    og_type: str = "website"
    alternate_json: str | None = None
    breadcrumbs: tuple[Link, ...] = ()
    nav: str | None = None
    noindex: bool = False


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """The site-wide template globals (`site` in templates)."""

    title: str
    description: str
    base_url: str
    prefix: str
    css_href: str
    favicon_href: str
    script_href: str
    search_href: str
    feed_rss: str
    feed_atom: str
    nav: tuple[tuple[str, str], ...]
    fetched_at: str
    fetched_iso: str
    source_kind: str
    source_words: str
    source_location: str
    source_origin: str | None


def output_file(path: str) -> str:
    """The file that serves a page path: '/' -> 'index.html', '/a/b/' -> 'a/b/index.html'."""
    return path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/")


@dataclass
class Site:
    """Shared by every page function of one build."""

    snapshot: Snapshot
    settings: Settings
    grid_columns: dict[int, tuple[str, ...]] = field(default_factory=dict)  # see context.package_column
    _chrome: dict[str | None, Markup] = field(default_factory=dict)

    @cached_property
    def prefix(self) -> str:
        """The path part of base_url ('' at a domain root), put in front of every internal link."""
        return urlsplit(self.settings.base_url).path.rstrip("/")

    def href(self, path: str) -> str:
        """A root-relative link to a site path."""
        return self.prefix + path

    def absolute(self, path: str) -> str:
        return self.settings.url(path)

    def meta(self, path: str, title: str, description: str, **more: object) -> PageMeta:
        """Page head data; `title` is the page's own title (the site name is added in <title>)."""
        return PageMeta(path=path, title=title, description=description.strip() or self.settings.description,
                        canonical=self.absolute(path), **more)  # type: ignore[arg-type]

    def static_href(self, name: str) -> str:
        """Link to a file under static/, versioned by content so a CDN may cache it forever."""
        data = (self.settings.static_dir / name).read_bytes()
        return f"{self.href('/static/' + name)}?v={hashlib.sha256(data).hexdigest()[:10]}"

    @cached_property
    def info(self) -> SiteInfo:
        m = self.snapshot.manifest
        origin = fmt.safe_url(m.source.origin)
        return SiteInfo(
            title=self.settings.title, description=self.settings.description,
            base_url=self.settings.base_url, prefix=self.prefix,
            css_href=self.static_href(CSS_FILE), favicon_href=self.static_href("favicon.svg"),
            script_href=self.static_href("search.js"),
            search_href=self.href("/search/"),
            feed_rss=self.href(RSS_PATH), feed_atom=self.href(ATOM_PATH),
            nav=tuple((label, self.href(path)) for label, path in NAV),
            fetched_at=fmt.stamp_utc(m.fetched_at), fetched_iso=m.fetched_at,
            source_kind=m.source.kind, source_words=SOURCE_WORDS.get(m.source.kind, m.source.kind),
            source_location=m.source.location, source_origin=origin,
        )

    @cached_property
    def env(self) -> Environment:
        # auto_reload off: a build's templates do not change while it runs (and a build makes its
        # own environment), so no page render looks up each template's mtime again.
        options = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "undefined": StrictUndefined}
        env = Environment(loader=FileSystemLoader(self.settings.templates_dir), auto_reload=False,
                          bytecode_cache=bytecode_cache(**options), **options)
        env.filters.update(date=fmt.date, number=fmt.number, iso_date=fmt.iso_date, href=self.href)
        env.globals.update(site=self.info, chrome_header=self.chrome_header, chrome_footer=self.chrome_footer)
        return env

    def chrome_header(self, nav: str | None) -> Markup:
        """The page header with `nav` marked current: rendered once per nav item, reused by every page."""
        found = self._chrome.get(nav)
        if found is None:
            found = self._chrome[nav] = Markup(self.env.get_template("_header.html").render(nav=nav))
        return found

    def chrome_footer(self) -> Markup:
        found = self._chrome.get("\0footer")
        if found is None:
            found = self._chrome["\0footer"] = Markup(self.env.get_template("_footer.html").render())
        return found

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(**context)

    # Lookups, each computed once per build.

    @cached_property
    def packages_in_category(self) -> dict[int, list[Package]]:
        out: dict[int, list[Package]] = {c: [] for c in self.snapshot.categories}
        for p in self.snapshot.packages.values():
            out[p.category].append(p)
        return out

    @cached_property
    def grids_of_package(self) -> dict[int, list[Grid]]:
        grids = self.snapshot.grids
        return {p.id: [grids[g] for g in p.grids if g in grids] for p in self.snapshot.packages.values()}

    def replacement(self, package: Package) -> Package | None:
        """The package that replaces a deprecated one (see `Snapshot.replacement_of`)."""
        target = self.snapshot.replacement_of.get(package.id)
        return self.snapshot.packages[target] if target is not None and target != package.id else None

    @cached_property
    def replaces(self) -> dict[int, list[Package]]:
        """Package id -> the packages it replaces (the reverse of `replacement`), ascending id."""
        out: dict[int, list[Package]] = {}
        for p in self.snapshot.packages.values():
            found = self.replacement(p)
            if found is not None:
                out.setdefault(found.id, []).append(p)
        return out

    def category(self, package: Package) -> Category:
        return self.snapshot.categories[package.category]

    def package_path(self, package: Package) -> str:
        return f"/packages/p/{package.slug}/"

    def grid_path(self, grid: Grid) -> str:
        return f"/grids/g/{grid.slug}/"

    def category_path(self, category: Category) -> str:
        return f"/categories/{category.slug}/"
