"""API v3 (hand-written JSON views): slug lookups, relative links, `meta`/`objects` pages.

Lists are ordered by title (code point order, as PostgreSQL's C collation sorts), ties by id.
`usage_count`, `created_by` and `last_modified_by` come from `Package.extra` when the source
knows them, else 0 and null. `participants` is the stored comma string: the snapshot keeps only
API v4's split list, so the raw string is taken from the search rows when the snapshot has them
(a dump does), else the list is joined with ','.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
          head: dict[str, Any] | None = None) -> bytes:
    meta = {"limit": limit, "next": v3_next(path, limit, offset, count), "offset": offset,
            "previous": v3_previous(path, limit, offset), "total_count": count}
    start = dumps_v3({"meta": meta, **(head or {})})
    return start[:-1] + b', "objects": [' + b", ".join(objects[offset:offset + limit]) + b"]}"


def files(snap: Snapshot, raw: dict[str, str] | None = None, *, details: bool = True) -> Iterator[tuple[str, bytes]]:
    """Every API v3 file: root, lists, category-filtered lists, grid packages, details (the
    package details only with `details`)."""
    yield layout.v3_root(), dumps_v3(ROOT)
    packages = _by_title(snap.packages.values())
    raw = raw_participants(snap) if raw is None else raw
    encoded = {p.id: dumps_v3(package(p, snap, raw)) for p in packages}
    all_bodies = [encoded[p.id] for p in packages]
    n = len(all_bodies)
    for offset in linked_offsets(DEFAULT_LIMIT, n):
        yield layout.v3_page("packages", DEFAULT_LIMIT, offset), _page(
            "/api/v3/packages/", all_bodies, DEFAULT_LIMIT, offset, n, {"category": None})
    for c in snap.categories.values():
        in_cat = [encoded[p.id] for p in packages if p.category == c.id]
        # `next` drops the filter, so a client walks the unfiltered offsets: cover all of them.
        for offset in linked_offsets(DEFAULT_LIMIT, n):
            yield layout.v3_category_page(c.slug, DEFAULT_LIMIT, offset), _page(
                "/api/v3/packages/", in_cat, DEFAULT_LIMIT, offset, len(in_cat), {"category": None})
    if details:
        for p in packages:
            yield layout.v3_detail("packages", p.slug), encoded[p.id]

    grids = _by_title(snap.grids.values())
    grid_bodies = {g.id: dumps_v3(grid(g, snap)) for g in grids}
    bodies = [grid_bodies[g.id] for g in grids]
    for offset in linked_offsets(DEFAULT_LIMIT, len(bodies)):
        yield layout.v3_page("grids", DEFAULT_LIMIT, offset), _page(
            "/api/v3/grids/", bodies, DEFAULT_LIMIT, offset, len(bodies))
    for g in grids:
        yield layout.v3_detail("grids", g.slug), grid_bodies[g.id]
        members = [encoded[p] for p in g.packages]
        path = f"/api/v3/grids/{g.slug}/packages/"
        for offset in linked_offsets(DEFAULT_LIMIT, len(members)):
            yield layout.v3_grid_packages(g.slug, DEFAULT_LIMIT, offset), _page(
                path, members, DEFAULT_LIMIT, offset, len(members), {"grid": grid(g, snap)})

    categories = _by_title(snap.categories.values())
    cat_bodies = {c.id: dumps_v3(category(c)) for c in categories}
    bodies = [cat_bodies[c.id] for c in categories]
    for offset in linked_offsets(DEFAULT_LIMIT, len(bodies)):
        yield layout.v3_page("categories", DEFAULT_LIMIT, offset), _page(
            "/api/v3/categories/", bodies, DEFAULT_LIMIT, offset, len(bodies))
    for c in categories:
        yield layout.v3_detail("categories", c.slug), cat_bodies[c.id]
