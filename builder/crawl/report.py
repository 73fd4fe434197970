"""The crawl report: what a crawl did and changed, as text for people and as JSON for the nightly job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..changes import SnapshotChanges
from ..fsutil import write_file_atomic


@dataclass
class CrawlReport:
    """The outcome of one crawl."""

    source: str
    origin: str
    data_dir: Path
    fetched_at: str
    counts: dict[str, int]
    requests: int
    retries: int
    bytes: int
    seconds: float  # the whole crawl, writing and validating the snapshot included
    fetch_seconds: float  # reading the lists
    pages: int
    pages_from_journal: int
    replaced: bool
    changes: SnapshotChanges
    refused: str | None = None  # why the safety gate kept the previous snapshot

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "origin": self.origin,
            "data_dir": str(self.data_dir),
            "fetched_at": self.fetched_at,
            "counts": self.counts,
            "requests": self.requests,
            "retries": self.retries,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "fetch_seconds": round(self.fetch_seconds, 3),
            "pages": self.pages,
            "pages_from_journal": self.pages_from_journal,
            "replaced": self.replaced,
            "refused": self.refused,
            "changes": self.changes.to_json(),
        }

    def write(self, path: Path) -> None:
        write_file_atomic(path, orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2) + b"\n")

    def summary(self, max_slugs: int = 20) -> str:
        """A few lines for the terminal: the numbers, then the changed slugs."""
        c = self.counts
        resumed = f", {self.pages_from_journal} from the journal" if self.pages_from_journal else ""
        lines = [
            f"Crawled {self.source}: {c.get('packages', 0)} packages, {c.get('grids', 0)} grids, "
            f"{c.get('categories', 0)} categories.",
            f"{self.requests} requests ({self.retries} retries), {self.pages} pages{resumed}, "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s ({self.fetch_seconds:.1f} s fetching).",
        ]
        for line in self.changes.summary():
            lines.append(f"Change: {line}")
        for kind in ("packages", "grids"):
            k = getattr(self.changes, kind)
            for label, refs in (("added", k.added), ("removed", k.removed), ("changed", k.changed)):
                if refs:
                    slugs = ", ".join(r.slug for r in refs[:max_slugs])
                    more = f" and {len(refs) - max_slugs} more" if len(refs) > max_slugs else ""
                    lines.append(f"  {kind} {label}: {slugs}{more}")
        if self.refused:
            lines.append(f"Not replaced: {self.refused}")
        return "\n".join(lines)
