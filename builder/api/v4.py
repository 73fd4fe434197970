"""API v4 (Django REST framework): the serializers' fields in their order, hyperlinks rebased.

Each entity is encoded once per format (plain, `?format=json`, `?format=api`); list pages
are the detail bodies joined, so no entity is encoded twice for one format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Category, Grid, Package, Snapshot
from .jsonenc import dumps_v4
from .paging import drf_next, drf_previous

NOT_FOUND = {"detail": "Not found."}
NO_MATCH = {
    "packages": {"detail": "No Package matches the given query."},
    "grids": {"detail": "No Grid matches the given query."},
    "categories": {"detail": "No Category matches the given query."},
}


def suffix(fmt: str | None) -> str:
    """What DRF appends to every hyperlink of a response in that format."""
    return f"?format={fmt}" if fmt else ""


class Links:
    """Absolute API v4 URLs under the configured base URL."""

    def __init__(self, base_url: str, fmt: str | None) -> None:
        self.api = f"{base_url}/api/v4/"
        self.tail = suffix(fmt)

    def endpoint(self, kind: str) -> str:
        return f"{self.api}{kind}/{self.tail}"

    def detail(self, kind: str, key: int | str) -> str:
        return f"{self.api}{kind}/{key}/{self.tail}"


def root(links: Links) -> dict[str, str]:
    return {k: links.endpoint(k) for k in ("packages", "search", "grids", "categories")}


def package(p: Package, links: Links) -> dict[str, Any]:
    return {
        "category": links.detail("categories", p.category),
        "grids": [links.detail("grids", g) for g in p.grids],
        "id": p.id,
        "title": p.title,
        "slug": p.slug,
        "last_updated": p.last_updated,
        "last_fetched": p.last_fetched,
        "repo_url": p.repo_url,
        "pypi_version": p.pypi_version,
        "created": p.created,
        "modified": p.modified,
        "repo_forks": p.repo_forks,
        "repo_description": p.repo_description,
        "pypi_url": p.pypi_url,
        "documentation_url": p.documentation_url,
        "repo_watchers": p.repo_watchers,
        "commits_over_52": p.commits_over_52,
        "participants": p.participants,
    }


def grid(g: Grid, links: Links) -> dict[str, Any]:
    return {
        "id": g.id,
        "title": g.title,
        "slug": g.slug,
        "description": g.description,
        "is_locked": g.is_locked,
        "packages": [links.detail("packages", p) for p in g.packages],
        "header": g.header,
        "created": g.created,
        "modified": g.modified,
    }


def category(c: Category, links: Links) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "slug": c.slug,
        "description": c.description,
        "title_plural": c.title_plural,
        "show_pypi": c.show_pypi,
        "created": c.created,
        "modified": c.modified,
    }


@dataclass(frozen=True)
class Entity:
    """One package, grid or category: its lookup keys, its encoded body and the data encoded."""

    keys: tuple[int | str, ...]
    body: bytes
    data: dict[str, Any]


def _entity(keys: tuple[int | str, ...], data: dict[str, Any]) -> Entity:
    return Entity(keys, dumps_v4(data), data)


def entities(snap: Snapshot, kind: str, links: Links, ids: Sequence[int] | None = None) -> list[Entity]:
    """The entities of a kind (all, or those ids), newest id first (the live list order)."""
    table = getattr(snap, kind)
    items = reversed(table.values()) if ids is None else [table[i] for i in sorted(ids, reverse=True)]
    if kind == "packages":
        return [_entity((p.id, p.slug), package(p, links)) for p in items]
    if kind == "grids":
        return [_entity((g.id, g.slug), grid(g, links)) for g in items]
    return [_entity((c.id,), category(c, links)) for c in items]  # categories answer by id only


def page_body(url: str, results: Sequence[bytes], limit: int, offset: int, fmt: str | None, count: int) -> bytes:
    """A LimitOffsetPagination envelope around a page's already-encoded results."""
    head = dumps_v4({"count": count, "next": drf_next(url, limit, offset, count, fmt),
                     "previous": drf_previous(url, limit, offset, fmt)})
    return head[:-1] + b',"results":[' + b",".join(results) + b"]}"
