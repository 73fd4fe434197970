"""Turn the typed rows of a dump into snapshot records (docs/snapshot-format.md).

Rows arrive table by table in dump order; `Collector.add` keeps only what the snapshot
needs, and `Collector.records` joins it all up once every row has been read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import DumpError
from ..timestamps import api_timestamp, utc_stamp

Record = dict[str, Any]

# What the live API v4 shows for each category, grid and search row, copied through.
CATEGORY_FIELDS = ("id", "title", "slug", "description", "title_plural", "show_pypi", "created", "modified")
GRID_FIELDS = ("id", "title", "slug", "description", "is_locked", "header", "created", "modified")
SEARCH_FIELDS = ("id", "item_type", "slug", "title", "description", "category", "weight", "created",
                 "modified", "repo_watchers", "repo_forks", "pypi_downloads", "score", "usage",
                 "participants", "last_committed", "last_released")


def _ts(value: datetime | None) -> str | None:
    return None if value is None else api_timestamp(value)


def _copy(row: dict[str, Any], names: tuple[str, ...]) -> Record:
    return {n: _ts(row[n]) if isinstance(row[n], datetime) else row[n] for n in names}


def split_participants(text: str) -> list[str]:
    """The participants list API v4 shows: the stored text split on ',', trimmed, empties dropped."""
    return [p.strip() for p in text.split(",") if p.strip()]


@dataclass
class SnapshotRecords:
    """Everything `write_snapshot` takes from a dump."""

    categories: list[Record]
    grids: list[Record]
    packages: list[Record]
    search: list[Record] | None
    fetched_at: str


@dataclass
class Collector:
    """Accumulates the rows of one dump; `records()` builds the snapshot from them."""

    tables: set[str] = field(default_factory=set)
    rows: Counter[str] = field(default_factory=Counter)
    categories: list[Record] = field(default_factory=list)
    packages: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, str] = field(default_factory=dict)
    usage: Counter[int] = field(default_factory=Counter)
    releases: defaultdict[int, list[Record]] = field(default_factory=lambda: defaultdict(list))
    version_numbers: dict[int, str] = field(default_factory=dict)
    grids: list[Record] = field(default_factory=list)
    grid_packages: list[tuple[int, int, int]] = field(default_factory=list)  # (id, grid, package)
    features: defaultdict[int, list[Record]] = field(default_factory=lambda: defaultdict(list))
    feature_grid: dict[int, int] = field(default_factory=dict)
    elements: list[tuple[int, int, str]] = field(default_factory=list)  # (feature, grid package, text)
    search: list[Record] = field(default_factory=list)
    newest: datetime | None = None

    def _seen(self, *stamps: datetime | None) -> None:
        for s in stamps:
            if s is not None and (self.newest is None or s > self.newest):
                self.newest = s

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Take one typed row of a known table."""
        self.rows[table] += 1
        getattr(self, "_" + table)(row)

    def _auth_user(self, row: dict[str, Any]) -> None:
        self.users[row["id"]] = row["username"]

    def _package_category(self, row: dict[str, Any]) -> None:
        self._seen(row["modified"])
        self.categories.append(_copy(row, CATEGORY_FIELDS))

    def _package_package(self, row: dict[str, Any]) -> None:
        self._seen(row["modified"], row["last_fetched"])
        self.packages.append(row)

    def _package_package_usage(self, row: dict[str, Any]) -> None:
        self.usage[row["package_id"]] += 1

    def _package_version(self, row: dict[str, Any]) -> None:
        self.version_numbers[row["id"]] = row["number"]
        if row["package_id"] is None:
            return
        self._seen(row["modified"])
        self.releases[row["package_id"]].append({
            "id": row["id"], "number": row["number"], "upload_time": _ts(row["upload_time"]),
            "license": row["license"], "licenses": row["licenses"],
            "development_status": row["development_status"], "supports_python3": row["supports_python3"],
            "downloads": row["downloads"], "hidden": row["hidden"], "created": _ts(row["created"]),
            "modified": _ts(row["modified"]),
        })

    def _grid_grid(self, row: dict[str, Any]) -> None:
        self._seen(row["modified"])
        self.grids.append(_copy(row, GRID_FIELDS))

    def _grid_gridpackage(self, row: dict[str, Any]) -> None:
        self.grid_packages.append((row["id"], row["grid_id"], row["package_id"]))

    def _grid_feature(self, row: dict[str, Any]) -> None:
        self.feature_grid[row["id"]] = row["grid_id"]
        self.features[row["grid_id"]].append(
            {"id": row["id"], "title": row["title"], "description": row["description"]})

    def _grid_element(self, row: dict[str, Any]) -> None:
        self.elements.append((row["feature_id"], row["grid_package_id"], row["text"]))

    def _searchv3_searchv3(self, row: dict[str, Any]) -> None:
        self.search.append(_copy(row, SEARCH_FIELDS))

    # -----------------------------------------------------------------------

    def records(self) -> SnapshotRecords:
        """Join the rows into snapshot records (call once, after the last row)."""
        titles = {p["id"]: p["title"] for p in self.packages}
        grids_of: defaultdict[int, list[int]] = defaultdict(list)
        members: defaultdict[int, list[int]] = defaultdict(list)
        gp_index: dict[int, tuple[int, int]] = {}
        for gp_id, grid_id, package_id in self.grid_packages:  # dump order = the table's physical order
            grids_of[package_id].append(grid_id)
            members[grid_id].append(package_id)
            gp_index[gp_id] = (grid_id, package_id)
        cells: defaultdict[int, dict[tuple[int, int], str]] = defaultdict(dict)
        for feature_id, gp_id, text in self.elements:
            grid_id, package_id = gp_index.get(gp_id, (None, None))
            if grid_id is None or self.feature_grid.get(feature_id) != grid_id:
                continue  # a cell whose feature and package are not in one grid: the site shows none
            cells[grid_id][(feature_id, package_id)] = text
        has_features = "grid_feature" in self.tables
        has_elements = "grid_element" in self.tables
        grids = []
        for grid in self.grids:
            gid = grid["id"]
            packages = sorted(members[gid], key=lambda pid: (titles.get(pid, ""), pid))
            features = sorted(self.features[gid], key=lambda f: f["id"]) if has_features else None
            elements = ([{"feature": f, "package": p, "text": t} for (f, p), t in cells[gid].items()]
                        if has_elements else None)
            grids.append({**grid, "packages": packages, "features": features, "elements": elements})
        packages = [self._package(row, grids_of[row["id"]]) for row in self.packages]
        if self.newest is None:
            raise DumpError("the dump holds no categories, grids or packages with a timestamp")
        return SnapshotRecords(
            categories=self.categories,
            grids=grids,
            packages=packages,
            search=self.search if "searchv3_searchv3" in self.tables else None,
            fetched_at=utc_stamp(self.newest),
        )

    def _package(self, row: dict[str, Any], grids: list[int]) -> Record:
        commits = row["commits_over_52w"]
        if type(commits) is not list or not all(type(c) is int for c in commits):
            raise DumpError(f"package {row['id']} ({row['slug']!r}): commits_over_52w must be a "
                            f"list of integers, got {str(commits)[:60]}")
        latest = row["latest_version_id"]
        latest_number = None if latest is None else self.version_numbers.get(latest)
        releases = self.releases.get(row["id"], [])
        return {
            "id": row["id"], "slug": row["slug"], "title": row["title"], "category": row["category_id"],
            "grids": grids, "repo_url": row["repo_url"], "repo_description": row["repo_description"],
            "repo_watchers": row["repo_watchers"], "repo_forks": row["repo_forks"],
            "pypi_url": row["pypi_url"], "pypi_version": latest_number,
            "documentation_url": row["documentation_url"], "last_updated": _ts(row["last_commit_date"]),
            "last_fetched": _ts(row["last_fetched"]), "created": _ts(row["created"]),
            "modified": _ts(row["modified"]), "commits_over_52": commits,
            "participants": split_participants(row["participants"]),
            "extra": {
                "score": row["score"], "usage_count": self.usage[row["id"]],
                "pypi_downloads": row["pypi_downloads"], "favorite_count": row["favorite_count"],
                "commit_count": row["commit_count"], "supports_python3": row["supports_python3"],
                "pypi_license": row["pypi_license"], "pypi_requires_python": row["pypi_requires_python"],
                "repo_host": row["repo_host"], "pypi_licenses": row["pypi_licenses"],
                "pypi_classifiers": row["pypi_classifiers"], "date_deprecated": _ts(row["date_deprecated"]),
                "date_repo_archived": _ts(row["date_repo_archived"]),
                "last_commit_date": _ts(row["last_commit_date"]),
                "deprecates_package": row["deprecates_package_id"],
                "created_by": self.users.get(row["created_by_id"]) if row["created_by_id"] else None,
                "last_modified_by": (self.users.get(row["last_modified_by_id"])
                                     if row["last_modified_by_id"] else None),
                "latest_version": latest_number,
                "releases": sorted(releases, key=lambda r: r["id"]),
            },
        }
