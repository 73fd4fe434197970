"""API v3 (hand-written JSON views): slug lookups, relative links, `meta`/`objects` pages.

Lists are ordered by title (code point order, as PostgreSQL's C collation sorts), ties by id.
`usage_count`, `created_by` and `last_modified_by` come from `Package.extra` when the source
knows them, else 0 and null. `participants` is the stored comma string: the snapshot keeps only
API v4's split list, so the raw string is taken from the search rows when the snapshot has them
(a dump does), else the list is joined with ','.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..model import Category, Grid, Package, Snapshot
from . import layout
from .jsonenc import dumps_v3, v3_timestamp
from .paging import DEFAULT_LIMIT, linked_offsets, v3_next, v3_previous

ROOT = {"categories": "/api/v3/categories/", "grids": "/api/v3/grids/",
        "packages": "/api/v3/packages/", "users": "/api/v3/users/"}
NO_MATCH = {
    "packages": {"error": 404, "message": "No Package matches the given query."},
    "grids": {"error": 404, "message": "No Grid matches the given query."},
    "categories": {"error": 404, "message": "No Category matches the given query."},
}


def _base(absolute_url: str, obj: Package | Grid | Category) -> dict[str, Any]:
    return {"absolute_url": absolute_url, "created": v3_timestamp(obj.created),
            "modified": v3_timestamp(obj.modified), "slug": obj.slug, "title": obj.title}


def category(c: Category) -> dict[str, Any]:
    return {**_base(f"/categories/{c.slug}/", c), "description": c.description,
            "resource_uri": f"/api/v3/categories/{c.slug}/", "show_pypi": c.show_pypi,
            "title_plural": c.title_plural}


def grid(g: Grid, snap: Snapshot) -> dict[str, Any]:
    return {**_base(f"/grids/g/{g.slug}/", g), "description": g.description,
            "is_locked": g.is_locked, "resource_uri": f"/api/v3/grids/{g.slug}/",
            "header": g.header,
            "packages": [f"/api/v3/packages/{snap.packages[p].slug}/" for p in g.packages]}


def raw_participants(snap: Snapshot) -> dict[str, str]:
    """Package slug -> participants as stored, from the search rows (empty without them)."""
    return {r.slug: r.participants for r in snap.search_rows or () if r.item_type == "package"}


def package(p: Package, snap: Snapshot, raw: dict[str, str] | None = None) -> dict[str, Any]:
    commits = ",".join(map(str, p.commits_over_52))
    extra = p.extra
    created_by = extra.created_by if extra else None
    return {
        **_base(f"/packages/p/{p.slug}/", p),
        "category": f"/api/v3/categories/{snap.categories[p.category].slug}/",
        "commit_list": commits,
        "commits_over_52": commits,
        "created_by": f"/api/v3/users/{created_by}/" if created_by else None,
        "documentation_url": p.documentation_url,
        "grids": [f"/api/v3/grids/{snap.grids[g].slug}/" for g in p.grids],
        "last_fetched": v3_timestamp(p.last_fetched),
        "last_modified_by": extra.last_modified_by if extra else None,
        "participants": (raw or {}).get(p.slug, ",".join(p.participants)),
        "pypi_url": p.pypi_url,
        "pypi_version": p.pypi_version,
        "repo_description": p.repo_description,
        "repo_forks": p.repo_forks,
        "repo_url": p.repo_url,
        "repo_watchers": p.repo_watchers,
        "resource_uri": f"/api/v3/packages/{p.slug}/",
        "usage_count": extra.usage_count if extra else 0,
    }


def _by_title(items: Any) -> list[Any]:
    return sorted(items, key=lambda x: (x.title, x.id))


def _page(path: str, objects: Sequence[bytes], limit: int, offset: int, count: int,
          head: dict[str, Any] | None = None, shown_offset: int | None = None) -> bytes:
    """A page: `objects[offset:offset + limit]`, described as the page at `shown_offset`
    (default `offset`) of a list of `count`."""
    at = offset if shown_offset is None else shown_offset
    meta = {"limit": limit, "next": v3_next(path, limit, at, count), "offset": at,
            "previous": v3_previous(path, limit, at), "total_count": count}
    start = dumps_v3({"meta": meta, **(head or {})})
    return start[:-1] + b', "objects": [' + b", ".join(objects[offset:offset + limit]) + b"]}"


def title_order(snap: Snapshot) -> list[int]:
    """Package ids in the v3 list order."""
    return [p.id for p in _by_title(snap.packages.values())]


def root_file() -> tuple[str, bytes]:
    return layout.v3_root(), dumps_v3(ROOT)


def package_pages(bodies: Sequence[bytes], start: int, offsets: Sequence[int], count: int,
                  category: Category | None = None) -> Iterator[tuple[str, bytes]]:
    """Pages of `/api/v3/packages/` (or of `?category=<slug>`): `bodies` are the list's
    encoded packages from offset `start` on, `count` the length of the whole list."""
    for offset in offsets:
        path = layout.v3_page("packages", DEFAULT_LIMIT, offset) if category is None \
            else layout.v3_category_page(category.slug, DEFAULT_LIMIT, offset)
        # `next` drops the category filter (as live), so its links are those of the whole list.
        window = bodies[offset - start:offset - start + DEFAULT_LIMIT]
        yield path, _page("/api/v3/packages/", window, DEFAULT_LIMIT, 0, count, {"category": None}, offset)


def grid_list_files(snap: Snapshot) -> Iterator[tuple[str, bytes]]:
    """The pages of the grid list."""
    bodies = [dumps_v3(grid(g, snap)) for g in _by_title(snap.grids.values())]
    for offset in linked_offsets(DEFAULT_LIMIT, len(bodies)):
        yield layout.v3_page("grids", DEFAULT_LIMIT, offset), _page(
            "/api/v3/grids/", bodies, DEFAULT_LIMIT, offset, len(bodies))


def grid_files(snap: Snapshot, grid_ids: Iterable[int], body: Callable[[int], bytes]) -> Iterator[tuple[str, bytes]]:
    """Some grids and their package pages (`body(id)`: a package's body)."""
    for g in (snap.grids[i] for i in grid_ids):
        shown = grid(g, snap)
        yield layout.v3_detail("grids", g.slug), dumps_v3(shown)
        members = [body(p) for p in g.packages]
        path = f"/api/v3/grids/{g.slug}/packages/"
        for offset in linked_offsets(DEFAULT_LIMIT, len(members)):
            yield layout.v3_grid_packages(g.slug, DEFAULT_LIMIT, offset), _page(
                path, members, DEFAULT_LIMIT, offset, len(members), {"grid": shown})


def category_files(snap: Snapshot) -> Iterator[tuple[str, bytes]]:
    """The category list and each category."""
    categories = _by_title(snap.categories.values())
    cat_bodies = {c.id: dumps_v3(category(c)) for c in categories}
    bodies = [cat_bodies[c.id] for c in categories]
    for offset in linked_offsets(DEFAULT_LIMIT, len(bodies)):
        yield layout.v3_page("categories", DEFAULT_LIMIT, offset), _page(
            "/api/v3/categories/", bodies, DEFAULT_LIMIT, offset, len(bodies))
    for c in categories:
        yield layout.v3_detail("categories", c.slug), cat_bodies[c.id]
