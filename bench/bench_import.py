"""Import benchmark: a generated pg_dump plain-SQL dump of 6,000 packages, imported with `import_dump`.

    python bench/bench_import.py [--packages 6000] [--grids 400] [--bulk 1] [--dump FILE]

The dump is written from a snapshot of bench/generate.py (deterministic), in the
layout of the real database: the COPY headers of the Django Packages tables, their
escapes, arrays and jsonb, and bulky tables the importer must skip (sessions,
reversion history, pypi_info JSON). The import runs in a child process, so its peak
memory (VmHWM, Linux) is its own; the figure printed beside it is a bare interpreter with
the builder imported. `--dump` benchmarks an existing dump file instead.

Prints rows per second, seconds, peak memory, and whether the imported snapshot
equals the generated one on every field a dump carries (it should).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from generate import generate_snapshot  # noqa: E402

from builder.model import Snapshot  # noqa: E402
from builder.snapshot import load_snapshot  # noqa: E402

HEADERS = {
    "auth_user": "id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, "
                 "is_active, date_joined",
    "django_session": "session_key, session_data, expire_date",
    "grid_element": "id, created, modified, text, feature_id, grid_package_id",
    "grid_feature": "id, created, modified, title, description, grid_id",
    "grid_grid": "id, created, modified, title, slug, description, is_locked, header",
    "grid_gridpackage": "id, created, modified, grid_id, package_id",
    "package_category": "id, created, modified, title, slug, description, title_plural, show_pypi",
    "package_package": "id, created, modified, title, slug, repo_description, repo_url, repo_watchers, "
                       "repo_forks, pypi_url, pypi_downloads, participants, last_fetched, documentation_url, "
                       "category_id, created_by_id, last_modified_by_id, date_deprecated, deprecated_by_id, "
                       "deprecates_package_id, score, pypi_classifiers, pypi_license, pypi_licenses, "
                       "pypi_requires_python, supports_python3, date_repo_archived, last_exception, "
                       "last_exception_at, last_exception_count, markers, pypi_info, favorite_count, "
                       "repo_host, commit_count, commits_over_52w, last_commit_date, latest_version_id",
    "package_package_usage": "id, package_id, user_id",
    "package_version": "id, created, modified, number, downloads, license, hidden, upload_time, "
                       "development_status, supports_python3, package_id, licenses",
    "reversion_version": "id, object_id, format, serialized_data, object_repr, content_type_id, revision_id, db",
    "searchv3_searchv3": "id, created, modified, weight, item_type, title, slug, description, category, "
                         "repo_watchers, repo_forks, pypi_downloads, score, usage, participants, "
                         "last_committed, last_released",
}
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
EPOCH = "2026-02-15 19:40:00+00"


def _pg(value: Any) -> str:
    """One value in COPY text form."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):  # a varchar[] column
        inner = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return ("{" + inner + "}").translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def _ts(api: str | None) -> str | None:
    """An API v4 timestamp back to PostgreSQL's text output in UTC."""
    if api is None:
        return None
    value = datetime.fromisoformat(api).astimezone(UTC)
    frac = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return value.strftime("%Y-%m-%d %H:%M:%S") + frac + "+00"


def _block(table: str, rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    yield f"\n--\n-- Data for Name: {table}; Type: TABLE DATA; Schema: public; Owner: djp\n--\n\n"
    yield f"COPY public.{table} ({HEADERS[table]}) FROM stdin;\n"
    for row in rows:
        yield "\t".join(_pg(v) for v in row) + "\n"
    yield "\\.\n\n"


def _users(snap: Snapshot) -> dict[str, int]:
    names = {n for p in snap.packages.values() if p.extra
             for n in (p.extra.created_by, p.extra.last_modified_by) if n}
    return {name: i for i, name in enumerate(sorted(names), 1)}


def dump_lines(snap: Snapshot, bulk: int = 1) -> Iterator[str]:
    """The plain SQL of a database holding `snap` (tables in pg_dump's alphabetical order).

    `bulk` multiplies the rows of the tables the importer skips (sessions, reversion history).
    """
    users = _users(snap)
    yield "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n"
    yield from _block("auth_user", ([i, "pbkdf2_sha256$x", None, False, n, "", "", "", False, True, EPOCH]
                                    for n, i in users.items()))
    yield from _block("django_session", ([f"s{i:031d}", "e30:" + "x" * 200, EPOCH] for i in range(20000 * bulk)))
    gp_ids: dict[tuple[int, int], int] = {}
    for pkg in snap.packages.values():  # rows in each package's grid order: the live order
        for gid in pkg.grids:
            gp_ids[(gid, pkg.id)] = len(gp_ids) + 1
    yield from _block("grid_element", (
        [n, EPOCH, EPOCH, e.text, e.feature, gp_ids[(g.id, e.package)]]
        for n, (g, e) in enumerate(((g, e) for g in snap.grids.values() for e in g.elements or ()), 1)))
    yield from _block("grid_feature", ([f.id, EPOCH, EPOCH, f.title, f.description, g.id]
                                       for g in snap.grids.values() for f in g.features or ()))
    yield from _block("grid_grid", ([g.id, _ts(g.created), _ts(g.modified), g.title, g.slug, g.description,
                                     g.is_locked, g.header] for g in snap.grids.values()))
    yield from _block("grid_gridpackage", ([i, EPOCH, EPOCH, gid, pid] for (gid, pid), i in gp_ids.items()))
    yield from _block("package_category", ([c.id, _ts(c.created), _ts(c.modified), c.title, c.slug,
                                            c.description, c.title_plural, c.show_pypi]
                                           for c in snap.categories.values()))
    yield from _block("package_package", (_package_row(p, users) for p in snap.packages.values()))
    yield from _block("package_package_usage", (
        [0, p.id, 1] for p in snap.packages.values() for _ in range(p.extra.usage_count if p.extra else 0)))
    yield from _block("package_version", (
        [r.id, _ts(r.created), _ts(r.modified), r.number, r.downloads, r.license, r.hidden,
         _ts(r.upload_time), r.development_status, r.supports_python3, p.id, r.licenses]
        for p in snap.packages.values() for r in (p.extra.releases if p.extra else ())))
    yield from _block("reversion_version", (
        [i, str(i), "json", json.dumps([{"model": "package.package", "fields": {"n": "v" * 300}}]),
         f"object {i}", 17, i, "default"] for i in range(1, 15000 * bulk + 1)))
    yield from _block("searchv3_searchv3", (
        [p.id, EPOCH, EPOCH, 50, "package", p.title, p.slug, p.repo_description,
         snap.categories[p.category].title, p.repo_watchers, p.repo_forks, 0, 0, 0,
         ",".join(p.participants), _ts(p.last_updated), None] for p in snap.packages.values()))
    yield "--\n-- PostgreSQL database dump complete\n--\n\n"


def _package_row(p: Any, users: dict[str, int]) -> list[Any]:
    x = p.extra
    latest = next((r.id for r in x.releases if r.number == x.latest_version), None) if x else None
    pypi_info = json.dumps({"info": {"summary": p.repo_description, "classifiers": x.pypi_classifiers or [],
                                     "description": "long description " * 60}})
    return [
        p.id, _ts(p.created), _ts(p.modified), p.title, p.slug, p.repo_description, p.repo_url,
        p.repo_watchers, p.repo_forks, p.pypi_url, x.pypi_downloads, ",".join(p.participants),
        _ts(p.last_fetched), p.documentation_url, p.category, users.get(x.created_by),
        users.get(x.last_modified_by), _ts(x.date_deprecated), None, x.deprecates_package, x.score,
        x.pypi_classifiers, x.pypi_license, x.pypi_licenses, x.pypi_requires_python, x.supports_python3,
        _ts(x.date_repo_archived), None, None, 0, None, pypi_info, x.favorite_count, x.repo_host or "",
        x.commit_count, json.dumps(p.commits_over_52), _ts(x.last_commit_date), latest,
    ]


def write_dump(snap: Snapshot, path: Path, bulk: int = 1) -> int:
    """Write `snap` as a gzipped plain-SQL dump; return its number of lines."""
    lines = 0
    with gzip.open(path, "wt", encoding="utf-8", newline="\n", compresslevel=6) as out:
        for chunk in dump_lines(snap, bulk):
            out.write(chunk)
            lines += chunk.count("\n")
    return lines


CHILD = """
import json, sys, time
from pathlib import Path
from builder.dump import import_dump
if sys.argv[1] != "-":
    started = time.perf_counter()
    summary = import_dump(Path(sys.argv[1]), Path(sys.argv[2]))
    seconds = time.perf_counter() - started
    rows = sum(summary.rows.values())
else:
    seconds, rows = 0.0, 0
# VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork and exec.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rows": rows, "max_rss_mb": hwm / 1024}))
"""


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def _as_a_database_would(snap: Snapshot) -> None:
    """Bring a generated snapshot to what a real database and the live API can hold.

    The live API orders a grid's packages by title in the database's C collation (code
    points; generate.py sorts case-insensitively), drops empty participants, and
    repo_host is NOT NULL in the database.
    """
    for grid in snap.grids.values():
        grid.packages.sort(key=lambda pid: (snap.packages[pid].title, pid))
    for pkg in snap.packages.values():
        pkg.participants = [p for p in pkg.participants if p.strip()]
        if pkg.extra is not None and pkg.extra.repo_host is None:
            pkg.extra.repo_host = ""


def _same_fields(generated: Snapshot, imported: Snapshot) -> list[str]:
    """Entities whose fields differ (a dump carries every field a generated snapshot has)."""
    _as_a_database_would(generated)
    diffs = [f"category {i}" for i in generated.categories if generated.categories[i] != imported.categories.get(i)]
    diffs += [f"grid {i}" for i in generated.grids if generated.grids[i] != imported.grids.get(i)]
    diffs += [f"package {i}" for i in generated.packages if generated.packages[i] != imported.packages.get(i)]
    return diffs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=6000)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--bulk", type=int, default=1,
                        help="multiply the rows of the skipped tables, to show memory does not grow with them")
    parser.add_argument("--dump", type=Path, help="benchmark this dump instead of a generated one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        generated = None
        dump = args.dump
        if dump is None:
            generated = generate_snapshot(work / "generated", args.packages, args.grids)
            generated = load_snapshot(work / "generated")
            dump = work / "bench.sql.gz"
            lines = write_dump(generated, dump, args.bulk)
            raw = sum(len(b) for b in gzip.open(dump, "rb"))
            print(f"Dump: {args.packages} packages, {args.grids} grids, {lines} lines, "
                  f"{raw / 1e6:.1f} MB of SQL ({dump.stat().st_size / 1e6:.1f} MB gzipped)")
        baseline = _child("-", "-")
        result = _child(str(dump), str(work / "data"))
        print(f"Import: {result['rows']} rows in {result['seconds']:.2f} s = "
              f"{result['rows'] / result['seconds']:,.0f} rows/s")
        print(f"Peak memory (max RSS): {result['max_rss_mb']:.0f} MB "
              f"(interpreter with the builder imported: {baseline['max_rss_mb']:.0f} MB)")
        if generated is not None:
            diffs = _same_fields(generated, load_snapshot(work / "data"))
            print("Round trip: the imported snapshot equals the generated one" if not diffs else
                  f"Round trip: {len(diffs)} entities differ, e.g. {', '.join(diffs[:5])}")


if __name__ == "__main__":
    main()
