"""Import a Django Packages database dump (pg_dump plain or custom, or dumpdata) into data/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DumpError
from ..snapshot import write_snapshot
from .convert import Collector
from .sources import open_dump
from .tables import REQUIRED_TABLES

ORIGIN = "https://djangopackages.org"
FORMAT_NAMES = {
    "pg_dump": "pg_dump plain SQL",
    "pg_dump_custom": "pg_dump custom format, read through pg_restore",
    "dumpdata": "Django dumpdata JSON",
}
DUMPDATA_NOTE = ("dumpdata keeps timestamps to the millisecond only (Django's JSON encoder truncates "
                 "microseconds), so fractional seconds can differ from the live API in their last digits")


@dataclass(frozen=True)
class ImportSummary:
    """What an import read and wrote."""

    source_kind: str
    location: str
    data_dir: Path
    counts: dict[str, int]
    rows: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the CLI prints: the source, what was written, and the source's caveats."""
        counts = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        lines = [f"Imported {self.location} ({FORMAT_NAMES[self.source_kind]}, "
                 f"{sum(self.rows.values())} rows read) into {self.data_dir}: {counts}."]
        lines += [f"Note: {n}." for n in self.notes]
        return "\n".join(lines)


def import_dump(path: Path, data_dir: Path, origin: str = ORIGIN) -> ImportSummary:
    """Read the dump at `path` and replace the snapshot in `data_dir` with it, atomically.

    Nothing is written until the whole dump has been read and converted, so a bad dump
    raises DumpError (naming the line or record) and leaves the previous snapshot as it was.
    """
    path = Path(path)
    stream = open_dump(path)
    collector = Collector(tables=stream.tables)
    for table, row in stream.rows:
        collector.add(table, row)
    missing = [t for t in REQUIRED_TABLES if t not in stream.tables]
    if missing:
        raise DumpError(f"{path.name}: not a Django Packages dump: no data for table(s) "
                        f"{', '.join(missing)}")
    records = collector.records()
    rows = dict(sorted(collector.rows.items()))
    del collector  # its rows are joined into the records now; free them before the writing
    notes = []
    if stream.kind == "dumpdata":
        notes.append(DUMPDATA_NOTE)
    if "searchv3_searchv3" not in stream.tables:
        notes.append("the dump has no search index (searchv3): search.jsonl is not written")
    if "auth_user" not in stream.tables:
        notes.append("the dump has no auth.user rows: created_by and last_modified_by are null")
    snap = write_snapshot(
        Path(data_dir),
        source={"kind": stream.kind, "location": path.name, "origin": origin},
        fetched_at=records.fetched_at,
        categories=records.categories,
        grids=records.grids,
        packages=records.packages,
        search=records.search,
        notes=notes,
    )
    return ImportSummary(stream.kind, path.name, Path(data_dir), dict(snap.manifest.counts),
                         rows, notes)
