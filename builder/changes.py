"""The change between two snapshots: what was added, removed and changed, by entity.

Entities are matched by id (the identity that survives a rename) and named by slug,
so a renamed package is *changed* (field `slug`), not removed and added. The result
is plain data: `SnapshotChanges.to_json()` gives a JSON-serialisable dict for the
crawl report and the nightly build report.

    changes = diff_snapshots(old_snapshot_or_None, new_snapshot)
    changes.packages.added      -> [EntityRef(id=1500, slug="django-new")]
    changes.packages.changed    -> [EntityChange(id=1423, slug="django-select2", fields=["repo_watchers"])]
    changes.to_json()           -> {"packages": {"added": [...], ...}, "grids": ..., "categories": ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .model import Snapshot

KINDS = ("packages", "grids", "categories")


@dataclass(frozen=True)
class EntityRef:
    """An entity added or removed."""

    id: int
    slug: str


@dataclass(frozen=True)
class EntityChange:
    """An entity present on both sides whose fields differ (`fields` in model order)."""

    id: int
    slug: str
    fields: list[str]


@dataclass
class KindChanges:
    """The changes of one kind of entity, each list in ascending id order."""

    before: int = 0
    after: int = 0
    added: list[EntityRef] = field(default_factory=list)
    removed: list[EntityRef] = field(default_factory=list)
    changed: list[EntityChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "added": [{"id": r.id, "slug": r.slug} for r in self.added],
            "removed": [{"id": r.id, "slug": r.slug} for r in self.removed],
            "changed": [{"id": c.id, "slug": c.slug, "fields": c.fields} for c in self.changed],
        }


@dataclass
class SnapshotChanges:
    """Packages, grids and categories added, removed and changed from one snapshot to the next."""

    packages: KindChanges
    grids: KindChanges
    categories: KindChanges

    @property
    def unchanged(self) -> bool:
        return self.packages.unchanged and self.grids.unchanged and self.categories.unchanged

    def to_json(self) -> dict[str, Any]:
        return {kind: getattr(self, kind).to_json() for kind in KINDS}

    def summary(self) -> list[str]:
        """One line per kind that changed, e.g. 'packages: 2 added, 1 removed, 5 changed'."""
        lines = []
        for kind in KINDS:
            c: KindChanges = getattr(self, kind)
            if not c.unchanged:
                lines.append(f"{kind}: {len(c.added)} added, {len(c.removed)} removed, "
                             f"{len(c.changed)} changed ({c.before} -> {c.after})")
        return lines or ["no change"]


def diff_snapshots(old: Snapshot | None, new: Snapshot) -> SnapshotChanges:
    """What changed from `old` to `new`; with no old snapshot everything is added."""
    return SnapshotChanges(**{
        kind: diff_entities(getattr(old, kind) if old is not None else {}, getattr(new, kind))
        for kind in KINDS
    })


def diff_entities(old: Mapping[int, Any], new: Mapping[int, Any]) -> KindChanges:
    """Compare two id -> dataclass mappings (packages, grids or categories)."""
    result = KindChanges(before=len(old), after=len(new))
    for oid in sorted(old.keys() - new.keys()):
        result.removed.append(EntityRef(oid, old[oid].slug))
    for nid in sorted(new.keys()):
        item = new[nid]
        before = old.get(nid)
        if before is None:
            result.added.append(EntityRef(nid, item.slug))
        elif before != item:
            names = [f.name for f in fields(item) if getattr(before, f.name) != getattr(item, f.name)]
            result.changed.append(EntityChange(nid, item.slug, names))
    return result
