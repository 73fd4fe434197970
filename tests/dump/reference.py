"""The reference API v4 responses, and the same fields taken from a snapshot, for comparison."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from builder.model import Snapshot

REFERENCE = Path(__file__).resolve().parent.parent / "fixtures" / "reference"
DUMPS = REFERENCE / "dumps"
API_V4 = REFERENCE / "api-v4"
ORIGIN = "https://djangopackages.org/api/v4"


def reference_bodies(kind: str) -> dict[int, dict[str, Any]]:
    """Every 200 detail response of /api/v4/<kind>/<id>/, keyed by id."""
    index = json.loads((API_V4 / "index.json").read_text(encoding="utf-8"))
    out = {}
    for req in index["requests"]:
        parts = req["url"].strip("/").split("/")
        if (req["status"] == 200 and req["content_type"] == "application/json" and "accept" not in req
                and "?" not in req["url"] and len(parts) == 4 and parts[2] == kind and parts[3].isdigit()):
            out[int(parts[3])] = json.loads((API_V4 / req["file"]).read_text(encoding="utf-8"))
    return out


def package_v4(snap: Snapshot, pid: int) -> dict[str, Any]:
    p = snap.packages[pid]
    return {
        "category": f"{ORIGIN}/categories/{p.category}/",
        "grids": [f"{ORIGIN}/grids/{g}/" for g in p.grids],
        "id": p.id, "title": p.title, "slug": p.slug, "last_updated": p.last_updated,
        "last_fetched": p.last_fetched, "repo_url": p.repo_url, "pypi_version": p.pypi_version,
        "created": p.created, "modified": p.modified, "repo_forks": p.repo_forks,
        "repo_description": p.repo_description, "pypi_url": p.pypi_url,
        "documentation_url": p.documentation_url, "repo_watchers": p.repo_watchers,
        "commits_over_52": p.commits_over_52, "participants": p.participants,
    }


def grid_v4(snap: Snapshot, gid: int) -> dict[str, Any]:
    g = snap.grids[gid]
    return {
        "id": g.id, "title": g.title, "slug": g.slug, "description": g.description,
        "is_locked": g.is_locked, "packages": [f"{ORIGIN}/packages/{p}/" for p in g.packages],
        "header": g.header, "created": g.created, "modified": g.modified,
    }


def category_v4(snap: Snapshot, cid: int) -> dict[str, Any]:
    c = snap.categories[cid]
    return {"id": c.id, "title": c.title, "slug": c.slug, "description": c.description,
            "title_plural": c.title_plural, "show_pypi": c.show_pypi, "created": c.created,
            "modified": c.modified}


def reference_sql() -> bytes:
    """The plain SQL of the reference dump, decompressed."""
    return gzip.decompress((DUMPS / "djangopackages.sql.gz").read_bytes())


def reference_dumpdata() -> bytes:
    """The dumpdata JSON of the reference dataset, decompressed."""
    return gzip.decompress((DUMPS / "dumpdata.json.gz").read_bytes())


def write_dump(folder: Path, name: str, data: bytes) -> Path:
    """Write dump bytes to folder/name, gzip-compressed when the name ends in .gz."""
    path = folder / name
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path
