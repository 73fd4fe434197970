"""The in-memory model of a snapshot: plain typed objects, built once by the loader.

Scalars keep the exact form of the source (timestamps are API v4 strings), so the
API stage can reproduce the live answers byte for byte; the page stage formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(slots=True)
class Category:
    id: int
    title: str
    slug: str
    description: str
    title_plural: str
    show_pypi: bool
    created: str
    modified: str


@dataclass(slots=True)
class Feature:
    id: int
    title: str
    description: str


@dataclass(slots=True)
class Element:
    """One cell of a grid: the text for (feature, package)."""

    feature: int
    package: int
    text: str


@dataclass(slots=True)
class Grid:
    id: int
    title: str
    slug: str
    description: str
    is_locked: bool
    header: bool
    created: str
    modified: str
    packages: list[int]
    features: list[Feature] | None
    elements: list[Element] | None

    def cell(self, feature_id: int, package_id: int) -> str | None:
        """The cell text, or None when the source has no such cell."""
        return self.cells.get((feature_id, package_id))

    @property
    def cells(self) -> dict[tuple[int, int], str]:
        return {(e.feature, e.package): e.text for e in self.elements or ()}


@dataclass(slots=True)
class Release:
    id: int
    number: str
    upload_time: str | None
    license: str | None
    licenses: list[str] | None
    development_status: int | None
    supports_python3: bool | None
    downloads: int | None
    hidden: bool
    created: str
    modified: str


@dataclass(slots=True)
class PackageExtra:
    """What a database dump knows beyond API v4."""

    score: int
    usage_count: int
    pypi_downloads: int
    favorite_count: int
    commit_count: int
    supports_python3: bool | None
    pypi_license: str | None
    pypi_requires_python: str | None
    repo_host: str | None
    pypi_licenses: list[str] | None
    pypi_classifiers: list[str] | None
    date_deprecated: str | None
    date_repo_archived: str | None
    last_commit_date: str | None
    deprecates_package: int | None
    created_by: str | None
    last_modified_by: str | None
    latest_version: str | None
    releases: list[Release]


@dataclass(slots=True)
class Package:
    id: int
    slug: str
    title: str
    category: int
    grids: list[int]
    repo_url: str
    repo_description: str
    repo_watchers: int
    repo_forks: int
    pypi_url: str
    pypi_version: str | None
    documentation_url: str | None
    last_updated: str | None
    last_fetched: str | None
    created: str
    modified: str
    commits_over_52: list[int]
    participants: list[str]
    extra: PackageExtra | None


@dataclass(slots=True)
class SearchRow:
    """A row of the live search index (searchv3), when the source has it."""

    id: int
    item_type: str
    slug: str
    title: str
    description: str
    category: str
    weight: int
    created: str
    modified: str
    repo_watchers: int
    repo_forks: int
    pypi_downloads: int
    score: int
    usage: int
    participants: str
    last_committed: str | None
    last_released: str | None


@dataclass(slots=True)
class Source:
    kind: str
    location: str
    origin: str


@dataclass(slots=True)
class Manifest:
    format_version: int
    source: Source
    fetched_at: str
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChangeSet:
    """Slugs added, removed and changed for one kind of entity."""

    added: list[str]
    removed: list[str]
    changed: list[str]


@dataclass(slots=True)
class HistoryEntry:
    """What one snapshot changed against the one it replaced (history.jsonl)."""

    fetched_at: str
    source: str
    packages: ChangeSet
    grids: ChangeSet


@dataclass
class Snapshot:
    """A whole snapshot; each mapping is keyed by id in ascending id order."""

    manifest: Manifest
    categories: dict[int, Category]
    grids: dict[int, Grid]
    packages: dict[int, Package]
    search_rows: list[SearchRow] | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    # kind ('packages', 'grids', 'categories') -> id -> (the record, a digest of the line it was
    # read from): a record is a function of its line, so the digest stands for the record.
    line_digests: dict[str, dict[int, tuple[object, bytes]]] = field(default_factory=dict, repr=False,
                                                                      compare=False)

    @cached_property
    def package_by_slug(self) -> dict[str, Package]:
        return {p.slug: p for p in self.packages.values()}

    @cached_property
    def grid_by_slug(self) -> dict[str, Grid]:
        return {g.slug: g for g in self.grids.values()}

    @cached_property
    def category_by_slug(self) -> dict[str, Category]:
        return {c.slug: c for c in self.categories.values()}

    @cached_property
    def replacement_of(self) -> dict[int, int]:
        """Deprecated package id -> id of the package that replaces it.

        Upstream's field `deprecates_package` reads backwards: its help text is "The Package
        that replaces this Package", and it is set on the deprecated package.
        """
        return {
            p.id: p.extra.deprecates_package
            for p in self.packages.values()
            if p.extra is not None and p.extra.deprecates_package in self.packages
        }
