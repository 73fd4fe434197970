"""Small valid snapshot records for tests: a helper module, not a test file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from builder.snapshot import write_snapshot

TS = "2026-01-07T13:42:43-05:00"


def category(id: int = 1, slug: str = "apps", **over: Any) -> dict[str, Any]:
    rec = {"id": id, "title": "App", "slug": slug, "description": "Small components.",
           "title_plural": "Apps", "show_pypi": True, "created": TS, "modified": TS}
    return {**rec, **over}


def package(id: int, slug: str, grids: list[int] | None = None, **over: Any) -> dict[str, Any]:
    rec = {"id": id, "slug": slug, "title": slug.title(), "category": 1, "grids": grids or [],
           "repo_url": f"https://github.com/example/{slug}", "repo_description": f"About {slug}",
           "repo_watchers": 10 * id, "repo_forks": id, "pypi_url": f"https://pypi.org/project/{slug}/",
           "pypi_version": "1.0", "documentation_url": None, "last_updated": TS, "last_fetched": TS,
           "created": TS, "modified": TS, "commits_over_52": [0, 1, 2], "participants": ["alice"],
           "extra": None}
    return {**rec, **over}


def grid(id: int, slug: str, packages: list[int], **over: Any) -> dict[str, Any]:
    rec = {"id": id, "title": slug.title(), "slug": slug, "description": "A grid.", "is_locked": False,
           "header": False, "created": TS, "modified": TS, "packages": packages,
           "features": [{"id": 1, "title": "Tests", "description": ""}],
           "elements": [{"feature": 1, "package": p, "text": "yes"} for p in packages]}
    return {**rec, **over}


def records() -> dict[str, list[dict[str, Any]]]:
    """A consistent little directory: one category, three packages, one grid."""
    return {
        "categories": [category()],
        "packages": [package(1, "alpha", [10]), package(2, "beta", [10]), package(3, "gamma")],
        "grids": [grid(10, "forms", [1, 2])],
    }


def write(data_dir: Path, recs: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write records (default: `records()`) as a valid snapshot in data_dir."""
    recs = copy.deepcopy(recs or records())
    write_snapshot(data_dir, source={"kind": "sample", "location": "tests", "origin": "https://djangopackages.org"},
                   fetched_at="2026-02-15T19:40:00Z", **recs)
    return data_dir
