"""A small snapshot with the edge cases the pages must survive (a helper module, not a test file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.snapshot import write_snapshot

TS = "2026-01-07T13:42:43-05:00"
XSS = "<script>alert(1)</script>"
FETCHED_AT = "2026-02-15T19:40:00Z"
BIG_GRID = list(range(6, 46))  # 40 packages


def ts(day: int, month: int = 1, year: int = 2026) -> str:
    return f"{year}-{month:02d}-{day:02d}T10:00:00-05:00"


def category(id: int, slug: str, title: str, plural: str) -> dict[str, Any]:
    return {"id": id, "title": title, "slug": slug, "description": f"{plural} <em>of</em> all kinds.",
            "title_plural": plural, "show_pypi": True, "created": TS, "modified": ts(id)}


def release(id: int, number: str, upload_time: str | None, hidden: bool = False) -> dict[str, Any]:
    return {"id": id, "number": number, "upload_time": upload_time, "license": "MIT", "licenses": ["MIT"],
            "development_status": 5, "supports_python3": True, "downloads": None, "hidden": hidden,
            "created": TS, "modified": TS}


def extra(**over: Any) -> dict[str, Any]:
    rec = {"score": 10, "usage_count": 1234, "pypi_downloads": 0, "favorite_count": 0, "commit_count": 4321,
           "supports_python3": True, "pypi_license": "MIT", "pypi_requires_python": ">=3.10",
           "repo_host": "github", "pypi_licenses": None, "pypi_classifiers": None, "date_deprecated": None,
           "date_repo_archived": None, "last_commit_date": TS, "deprecates_package": None,
           "created_by": None, "last_modified_by": None, "latest_version": None, "releases": []}
    return {**rec, **over}


def package(id: int, slug: str, **over: Any) -> dict[str, Any]:
    rec = {"id": id, "slug": slug, "title": slug.replace("-", " ").title(), "category": 1, "grids": [],
           "repo_url": f"https://github.com/example/{slug}", "repo_description": f"About {slug}.",
           "repo_watchers": 100 + id, "repo_forks": id % 7, "pypi_url": f"https://pypi.org/project/{slug}/",
           "pypi_version": "1.0", "documentation_url": None,
           "last_updated": ts(1 + id % 28, 1 + id % 12, 2025), "last_fetched": TS,
           "created": ts(1 + id % 28, 1 + id % 12, 2020), "modified": ts(1 + id % 28),
           "commits_over_52": [id % 3] * 52, "participants": ["alice"], "extra": None}
    return {**rec, **over}


def packages() -> list[dict[str, Any]]:
    select2 = package(
        1, "django-select2", title="Django-Select2", grids=[10, 11], repo_watchers=26950, repo_forks=1203,
        repo_description="This is a Django integration for Select2",
        documentation_url="https://django-select2.readthedocs.io/", pypi_version="8.4.8",
        commits_over_52=[2, 1, 0, 11] + [0] * 47 + [4],
        participants=["codingjoe", "", "dependabot[bot]", " applegrew "],
        extra=extra(latest_version="8.4.8", releases=[
            release(1, "8.4.7", ts(3, 6, 2025)), release(2, "8.4.8", ts(7)),
            release(3, "0.1-secret", ts(1, 1, 2012), True), release(4, "0.0.1", None)]))
    evil = package(
        2, "evil", title=XSS, grids=[10], repo_description=f'{XSS} <img src=x onerror=alert(1)> & "q"',
        repo_url="javascript:alert(1)", documentation_url="javascript:alert(2)",
        pypi_url="JAVASCRIPT:alert(3)",
        pypi_version=None, last_updated=None, last_fetched=None, commits_over_52=[], participants=[],
        created=ts(1, 2))
    uni = package(3, "unicode", title="Django Straße ✓ 日本語", grids=[10], category=2,
                  repo_description="Outils pour les formulaires — prise en charge complète de l’Unicode.")
    old = package(4, "old-thing", title="Old Thing", grids=[10], extra=extra(
        date_deprecated=ts(2, 2, 2024), date_repo_archived=ts(3, 3, 2024), deprecates_package=5))
    # djangopackages' `deprecates_package` names the package that replaces this one
    new = package(5, "new-thing", title="New Thing", grids=[10], extra=extra())
    rest = [package(i, f"pkg-{i:02d}", grids=[11] if i in BIG_GRID else [],
                    repo_watchers=500 if i % 10 == 0 else 100 + i) for i in range(6, 61)]
    return [select2, evil, uni, old, new, *rest]


CELLS = {  # (feature, package) -> text
    (1, 1): "yes", (1, 2): "No", (1, 3): "+++++", (1, 4): "--", (1, 5): "check",
    (2, 1): "See https://example.com/docs and\nline two", (2, 2): "javascript:alert(4)", (2, 3): "",
    (2, 4): XSS,
}


def grids() -> list[dict[str, Any]]:
    forms = {"id": 10, "title": "Forms", "slug": "forms",
             "description": f"Form tools. {XSS}\nhttps://example.com/forms", "is_locked": False,
             "header": False, "created": TS, "modified": ts(9), "packages": [1, 2, 3, 4, 5],
             "features": [{"id": 1, "title": "Tests", "description": "Has tests?"},
                          {"id": 2, "title": "Notes", "description": ""}],
             "elements": [{"feature": f, "package": p, "text": t} for (f, p), t in sorted(CELLS.items())]}
    big = {"id": 11, "title": "Big Grid", "slug": "big", "description": "", "is_locked": False,
           "header": False, "created": TS, "modified": ts(10), "packages": [1, *BIG_GRID],
           "features": [{"id": 3, "title": "Async", "description": ""}],
           "elements": [{"feature": 3, "package": p, "text": "yes"} for p in BIG_GRID]}
    crawled = {"id": 12, "title": "Crawled", "slug": "crawled", "description": "No features known.",
               "is_locked": False, "header": False, "created": TS, "modified": ts(11), "packages": [],
               "features": None, "elements": None}
    return [forms, big, crawled]


def write(data_dir: Path) -> Path:
    write_snapshot(data_dir, source={"kind": "sample", "location": "tests", "origin": "https://djangopackages.org"},
                   fetched_at=FETCHED_AT,
                   categories=[category(1, "apps", "App", "Apps"),
                               category(2, "frameworks", "Framework", "Frameworks"),
                               category(3, "empty", "Empty", "Empties")],
                   grids=grids(), packages=packages())
    return data_dir
