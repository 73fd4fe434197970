"""Typed contexts of the package and grid pages, each built once from the model.

Every template receives one of these objects (plus `page`, its `PageMeta`); templates only
lay them out. Values that need care (links, dates, cell HTML) are decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..model import Category, Grid, Package, Release
from . import cells, chart
from . import format as fmt
from .site import Link, PageMeta, Site

DEV_STATUS = {1: "Planning", 2: "Pre-Alpha", 3: "Alpha", 4: "Beta", 5: "Production/Stable",
              6: "Mature", 7: "Inactive"}
_GITHUB_USER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\Z")
BADGE_IMAGE = "https://img.shields.io/badge/Published%20on-Django%20Packages-0c3c26"


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    number: str
    uploaded: str
    uploaded_iso: str | None
    license: str
    status: str
    python3: str


@dataclass(frozen=True, slots=True)
class PackagePage:
    """Everything the package page shows, in the order of the page."""

    page: PageMeta
    package: Package
    category: Link
    deprecated_on: str | None
    replacement: Link | None
    replaces: tuple[Link, ...]
    archived_on: str | None
    repo: Link | None
    stats: tuple[tuple[str, str], ...]
    last_fetched: str
    chart: Markup
    releases: tuple[ReleaseRow, ...] | None
    release_rows: Markup  # the releases as <tr>s: long lists are joined here, not in the template
    participants: tuple[Link, ...]
    participant_items: Markup  # the participants as <li>s
    docs: Link | None
    pypi: Link | None
    pypi_facts: tuple[tuple[str, str], ...]
    grids: tuple[Link, ...]
    badge_markdown: str
    badge_rst: str
    api_href: str


def description_of(package: Package) -> str:
    """The package's one-line description for meta tags and lists."""
    text = " ".join(package.repo_description.split())
    return text[:157] + "…" if len(text) > 160 else text


def latest_release(package: Package) -> Release | None:
    """The release named by `latest_version`, else the newest visible one."""
    if package.extra is None or not package.extra.releases:
        return None
    visible = [r for r in package.extra.releases if not r.hidden] or package.extra.releases
    if package.extra.latest_version is not None:
        for r in visible:
            if r.number == package.extra.latest_version:
                return r
    return max(visible, key=lambda r: (fmt.sort_key_ts(r.upload_time), r.id))


def dev_status(package: Package) -> str:
    release = latest_release(package)
    if release is None or release.development_status is None:
        return "-"
    return DEV_STATUS.get(release.development_status, "-")


def license_of(package: Package) -> str | None:
    if package.extra is None:
        return None
    if package.extra.pypi_license:
        return package.extra.pypi_license
    release = latest_release(package)
    return release.license if release and release.license else None


def yes_no(value: bool | None) -> str:
    return "—" if value is None else ("Yes" if value else "No")


def _releases(package: Package) -> tuple[ReleaseRow, ...] | None:
    if package.extra is None:
        return None
    shown = sorted((r for r in package.extra.releases if not r.hidden),
                   key=lambda r: (fmt.sort_key_ts(r.upload_time), r.id), reverse=True)
    return tuple(
        ReleaseRow(number=r.number, uploaded=fmt.date(r.upload_time),
                   uploaded_iso=fmt.iso_date(r.upload_time) if r.upload_time else None,
                   license=r.license or "—", status=DEV_STATUS.get(r.development_status or 0, "—"),
                   python3=yes_no(r.supports_python3))
        for r in shown
    )


def _participants(package: Package) -> tuple[Link, ...]:
    on_github = (fmt.safe_url(package.repo_url) or "").startswith("https://github.com/")
    names = (n.strip() for n in package.participants)
    return tuple(
        Link(n, f"https://github.com/{n}" if on_github and _GITHUB_USER.match(n) else None)
        for n in names if n
    )


def _release_rows(releases: tuple[ReleaseRow, ...] | None) -> Markup:
    return Markup("".join(
        f"<tr><td>{escape(r.number)}</td><td>"
        + (f'<time datetime="{r.uploaded_iso}">{r.uploaded}</time>' if r.uploaded_iso else "—")
        + f"</td><td>{escape(r.license)}</td><td>{r.status}</td><td>{r.python3}</td></tr>"
        for r in releases or ()))


def _link_items(links: tuple[Link, ...]) -> Markup:
    return Markup("".join(
        f'<li><a href="{escape(c.href)}" rel="nofollow">{escape(c.text)}</a></li>' if c.href
        else f"<li>{escape(c.text)}</li>" for c in links))


def package_link(site: Site, package: Package) -> Link:
    return Link(package.title, site.href(site.package_path(package)))


def package_page(site: Site, package: Package) -> PackagePage:
    path = site.package_path(package)
    category = site.category(package)
    extra = package.extra
    replacement = site.replacement(package)
    stats = [("Stars", fmt.number(package.repo_watchers)), ("Forks", fmt.number(package.repo_forks))]
    if extra is not None:
        stats = [("Commits", fmt.number(extra.commit_count)), *stats,
                 ("Using this", fmt.number(extra.usage_count))]
        if extra.last_commit_date:
            stats.append(("Last commit", fmt.date(extra.last_commit_date)))
    if package.last_updated:
        stats.append(("Last updated", fmt.date(package.last_updated)))
    repo_href = fmt.safe_url(package.repo_url)
    pypi_href = fmt.safe_url(package.pypi_url)
    facts = []
    if package.pypi_version:
        facts.append(("Version", package.pypi_version))
    if license_of(package):
        facts.append(("License", license_of(package) or ""))
    if extra is not None and extra.pypi_requires_python:
        facts.append(("Requires Python", extra.pypi_requires_python))
    if extra is not None and extra.supports_python3 is not None:
        facts.append(("Python 3", yes_no(extra.supports_python3)))
    page_url = site.absolute(path)
    api_path = f"/api/v4/packages/{package.id}/"
    releases = _releases(package)
    participants = _participants(package)
    breadcrumbs = (Link("Home", site.href("/")), Link("Packages", site.href("/packages/")),
                   Link(package.title))
    return PackagePage(
        page=site.meta(path, package.title, description_of(package) or f"{package.title}, a Django package.",
                       og_type="article", alternate_json=site.href(api_path), breadcrumbs=breadcrumbs,
                       nav="Packages"),
        package=package,
        category=Link(category.title, site.href(site.category_path(category))),
        deprecated_on=fmt.date(extra.date_deprecated) if extra and extra.date_deprecated else None,
        replacement=package_link(site, replacement) if replacement else None,
        replaces=tuple(package_link(site, p) for p in site.replaces.get(package.id, ())),
        archived_on=fmt.date(extra.date_repo_archived) if extra and extra.date_repo_archived else None,
        repo=Link(package.repo_url, repo_href) if package.repo_url.strip() else None,
        stats=tuple(stats),
        last_fetched=fmt.date(package.last_fetched, "never"),
        chart=chart.commit_chart(package.commits_over_52),
        releases=releases,
        release_rows=_release_rows(releases),
        participants=participants,
        participant_items=_link_items(participants),
        docs=Link(package.documentation_url, fmt.safe_url(package.documentation_url))
        if package.documentation_url and package.documentation_url.strip() else None,
        pypi=Link(package.pypi_url, pypi_href) if package.pypi_url.strip() else None,
        pypi_facts=tuple(facts),
        grids=tuple(Link(g.title, site.href(site.grid_path(g))) for g in site.grids_of_package[package.id]),
        badge_markdown=f"[![Published on Django Packages]({BADGE_IMAGE})]({page_url})",
        badge_rst=f".. image:: {BADGE_IMAGE}\n   :target: {page_url}\n   :alt: Published on Django Packages",
        api_href=site.href(api_path),
    )


# Grids


@dataclass(frozen=True, slots=True)
class GridRow:
    """One row of the comparison table: a header cell and the cells, already HTML."""

    label: str
    note: str
    cells: Markup
    feature: bool = False


@dataclass(frozen=True, slots=True)
class GridPage:
    page: PageMeta
    grid: Grid
    description: Markup
    columns: tuple[Link, ...]
    rows: tuple[GridRow, ...]
    features_known: bool
    feature_count: int
    api_href: str


def _words(text: str, limit: int = 20) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _links_cell(site: Site, p: Package) -> Markup:
    parts = [f'<a href="{escape(site.href(site.package_path(p)))}">Page</a>']
    for label, url in (("Repo", p.repo_url), ("Docs", p.documentation_url), ("PyPI", p.pypi_url)):
        href = fmt.safe_url(url)
        if href:
            parts.append(f'<a href="{escape(href)}" rel="nofollow">{label}</a>')
    return Markup(" · ".join(parts))


STANDARD_ROWS = ("Description", "Category", "Using This", "Python 3?", "Dev Status", "Version", "Stars",
                 "Forks", "Commits", "Updated", "License", "Links")


def _standard_values(site: Site, p: Package) -> tuple[Markup | str, ...]:
    """One package's cells of the STANDARD_ROWS, in that order."""
    python3 = p.extra.supports_python3 if p.extra else None
    return (
        _words(p.repo_description) or "—",
        site.category(p).title,
        fmt.number(p.extra.usage_count) if p.extra else "—",
        cells.EMPTY if python3 is None else (cells.YES if python3 else cells.NO),
        dev_status(p),
        p.pypi_version or "—",
        fmt.number(p.repo_watchers),
        fmt.number(p.repo_forks),
        chart.sparkline(p.commits_over_52),
        fmt.date(p.last_updated),
        license_of(p) or "—",
        _links_cell(site, p),
    )


def package_column(site: Site, p: Package) -> tuple[str, ...]:
    """A package's standard cells as <td>s, built once per build however many grids show it."""
    found = site.grid_columns.get(p.id)
    if found is None:
        found = site.grid_columns[p.id] = tuple(f"<td>{escape(v)}</td>" for v in _standard_values(site, p))
    return found


def standard_rows(site: Site, packages: list[Package]) -> list[GridRow]:
    """The rows every grid shows before its features, in the live order."""
    columns = [package_column(site, p) for p in packages]
    return [GridRow(label, "", Markup("".join(c[i] for c in columns))) for i, label in enumerate(STANDARD_ROWS)]


def grid_page(site: Site, grid: Grid) -> GridPage:
    path = site.grid_path(grid)
    packages = [site.snapshot.packages[i] for i in grid.packages]
    rows = standard_rows(site, packages)
    table = {(e.feature, e.package): e.text for e in grid.elements or ()}
    for f in grid.features or ():
        tds = "".join(f"<td>{cells.cell(table.get((f.id, p.id)))}</td>" for p in packages)
        rows.append(GridRow(f.title, f.description, Markup(tds), feature=True))
    description = " ".join(grid.description.split())
    breadcrumbs = (Link("Home", site.href("/")), Link("Grids", site.href("/grids/")), Link(grid.title))
    return GridPage(
        page=site.meta(path, grid.title, description[:160] or f"Compare {grid.title} packages for Django.",
                       breadcrumbs=breadcrumbs, nav="Grids",
                       alternate_json=site.href(f"/api/v4/grids/{grid.id}/")),
        grid=grid,
        description=cells.text(grid.description),
        columns=tuple(Link(p.title, site.href(site.package_path(p))) for p in packages),
        rows=tuple(rows),
        features_known=grid.features is not None,
        feature_count=len(grid.features or ()),
        api_href=site.href(f"/api/v4/grids/{grid.id}/"),
    )


def category_link(site: Site, category: Category) -> Link:
    return Link(category.title_plural or category.title, site.href(site.category_path(category)))
