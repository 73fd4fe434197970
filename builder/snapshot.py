"""Read, validate and write the snapshot folder (`data/`); the format is in docs/snapshot-format.md."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Container, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from . import collector
from .errors import Problem, SnapshotError
from .fsutil import FolderLock, replace_dir, sibling_tempdir
from .model import (
    Category,
    ChangeSet,
    Element,
    Feature,
    Grid,
    HistoryEntry,
    Manifest,
    Package,
    PackageExtra,
    Release,
    SearchRow,
    Snapshot,
    Source,
)

FORMAT = "djangopackages-snapshot"
FORMAT_VERSION = 1
SOURCE_KINDS = ("crawl", "pg_dump", "pg_dump_custom", "dumpdata", "sample")

SLUG_RE = re.compile(r"^[a-z0-9_-]+\Z")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)\Z")
FETCHED_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


class Kind:
    """A kind of value: the JSON types it may have, plus an optional finer check."""

    __slots__ = ("types", "extra", "what", "name", "pattern")

    def __init__(self, types: tuple[type, ...], what: str, extra: Callable[[Any], bool] | None = None,
                 pattern: re.Pattern[str] | None = None):
        self.types = types
        self.what = what
        self.pattern = pattern  # a string's check: this pattern matches it
        self.extra = extra if pattern is None else (lambda v: pattern.match(v) is not None)
        self.name = ""

    def __call__(self, value: Any) -> bool:
        return type(value) in self.types and (self.extra is None or value is None or self.extra(value))


_NONE = type(None)


def _positive(v: int) -> bool:
    return v > 0


def _all_int(v: list) -> bool:
    return all(type(x) is int for x in v)


def _all_positive_int(v: list) -> bool:
    return all(type(x) is int and x > 0 for x in v)


def _all_str(v: list) -> bool:
    return all(type(x) is str for x in v)


ID = Kind((int,), "a positive integer id", _positive)
INT = Kind((int,), "an integer")
STR = Kind((str,), "a string")
OPT_STR = Kind((str, _NONE), "a string or null")
BOOL = Kind((bool,), "true or false")
OPT_BOOL = Kind((bool, _NONE), "true, false or null")
OPT_INT = Kind((int, _NONE), "an integer or null")
OPT_ID = Kind((int, _NONE), "a positive integer id or null", _positive)
TIMESTAMP = Kind((str,), "an ISO 8601 timestamp with offset", pattern=TIMESTAMP_RE)
OPT_TIMESTAMP = Kind((str, _NONE), "an ISO 8601 timestamp with offset, or null", pattern=TIMESTAMP_RE)
SLUG = Kind((str,), "a safe slug (a-z, 0-9, '-', '_')", pattern=SLUG_RE)
INTS = Kind((list,), "a list of integers", _all_int)
IDS = Kind((list,), "a list of positive integer ids", _all_positive_int)
STRS = Kind((list,), "a list of strings", _all_str)
OPT_STRS = Kind((list, _NONE), "a list of strings or null", _all_str)
LIST = Kind((list,), "a list")
OPT_LIST = Kind((list, _NONE), "a list or null")
OBJECT = Kind((dict,), "an object")
OPT_OBJECT = Kind((dict, _NONE), "an object or null")
FETCHED_AT = Kind((str,), "a UTC timestamp like 2026-02-15T19:40:00Z", pattern=FETCHED_AT_RE)
COUNTS = Kind((dict,), "an object of integers", lambda v: all(type(x) is int for x in v.values()))

Schema = dict[str, Kind]

CATEGORY: Schema = {
    "id": ID, "title": STR, "slug": SLUG, "description": STR, "title_plural": STR,
    "show_pypi": BOOL, "created": TIMESTAMP, "modified": TIMESTAMP,
}
GRID: Schema = {
    "id": ID, "title": STR, "slug": SLUG, "description": STR, "is_locked": BOOL, "header": BOOL,
    "created": TIMESTAMP, "modified": TIMESTAMP, "packages": IDS, "features": OPT_LIST,
    "elements": OPT_LIST,
}
FEATURE: Schema = {"id": ID, "title": STR, "description": STR}
ELEMENT: Schema = {"feature": ID, "package": ID, "text": STR}
PACKAGE: Schema = {
    "id": ID, "slug": SLUG, "title": STR, "category": ID, "grids": IDS, "repo_url": STR,
    "repo_description": STR, "repo_watchers": INT, "repo_forks": INT, "pypi_url": STR,
    "pypi_version": OPT_STR, "documentation_url": OPT_STR, "last_updated": OPT_TIMESTAMP,
    "last_fetched": OPT_TIMESTAMP, "created": TIMESTAMP, "modified": TIMESTAMP,
    "commits_over_52": INTS, "participants": STRS, "extra": OPT_OBJECT,
}
EXTRA: Schema = {
    "score": INT, "usage_count": INT, "pypi_downloads": INT, "favorite_count": INT,
    "commit_count": INT, "supports_python3": OPT_BOOL, "pypi_license": OPT_STR,
    "pypi_requires_python": OPT_STR, "repo_host": OPT_STR, "pypi_licenses": OPT_STRS,
    "pypi_classifiers": OPT_STRS, "date_deprecated": OPT_TIMESTAMP,
    "date_repo_archived": OPT_TIMESTAMP, "last_commit_date": OPT_TIMESTAMP,
    "deprecates_package": OPT_ID, "created_by": OPT_STR, "last_modified_by": OPT_STR,
    "latest_version": OPT_STR, "releases": LIST,
}
RELEASE: Schema = {
    "id": ID, "number": STR, "upload_time": OPT_TIMESTAMP, "license": OPT_STR,
    "licenses": OPT_STRS, "development_status": OPT_INT, "supports_python3": OPT_BOOL,
    "downloads": OPT_INT, "hidden": BOOL, "created": TIMESTAMP, "modified": TIMESTAMP,
}
SEARCH_ROW: Schema = {
    "id": ID, "item_type": STR, "slug": SLUG, "title": STR, "description": STR, "category": STR,
    "weight": INT, "created": TIMESTAMP, "modified": TIMESTAMP, "repo_watchers": INT,
    "repo_forks": INT, "pypi_downloads": INT, "score": INT, "usage": INT, "participants": STR,
    "last_committed": OPT_TIMESTAMP, "last_released": OPT_TIMESTAMP,
}

def _fast_check(schema: Schema) -> Callable[[Any], bool]:
    """Compile a schema into one predicate that is true when a record is sound.

    Validation runs over every entity of every build, so the common case (a sound
    record) is one generated boolean expression; the slow path in `_Checker.fields`
    finds and words the problems when it is false.
    """
    env: dict[str, Any] = {"KEYS": schema.keys()}
    terms = ["type(r) is dict", "r.keys() == KEYS"]
    for i, (name, kind) in enumerate(schema.items()):
        env[f"T{i}"], env[f"X{i}"] = kind.types, kind.extra
        value = f"r[{name!r}]"
        term = f"type({value}) in T{i}" if len(kind.types) > 1 else f"type({value}) is T{i}[0]"
        if kind.pattern is not None:  # the pattern's match called here: no function call between
            env[f"P{i}"] = kind.pattern.match
            term = f"({term} and ({value} is None or P{i}({value}) is not None))"
        elif kind.extra is not None:
            term = f"({term} and ({value} is None or X{i}({value})))"
        terms.append(term)
    exec(f"def check(r):\n    return {' and '.join(terms)}", env)  # noqa: S102 - generated from constants
    return env["check"]


FILES = {
    "categories": "categories.jsonl",
    "grids": "grids.jsonl",
    "packages": "packages.jsonl",
    "search": "search.jsonl",
    "history": "history.jsonl",
}
HISTORY_LIMIT = 60
CHANGE_SET: Schema = {"added": STRS, "removed": STRS, "changed": STRS}
HISTORY: Schema = {"fetched_at": STR, "source": STR, "packages": OBJECT, "grids": OBJECT}


_FAST = {id(schema): _fast_check(schema) for schema in
         (CATEGORY, GRID, FEATURE, ELEMENT, PACKAGE, EXTRA, RELEASE, SEARCH_ROW, CHANGE_SET, HISTORY)}

# ---------------------------------------------------------------------------
# Reading


class _Checker:
    """Collects problems for one file while records are validated. A line whose digest is in
    `known` (lines this code found sound before, see `load_snapshot`) is not checked again."""

    def __init__(self, file: str, known: Container[bytes] = frozenset(),
                 reuse: Mapping[bytes, Any] | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.known = known
        self.trusted = False  # the line being read is a known one
        self.reuse = reuse or {}  # line digest -> the record an earlier load read from that line

    def add(self, message: str, line: int | None = None, entity: str | None = None,
            field: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, line, entity, field))

    def fields(self, record: Any, schema: Schema, line: int, entity: str,
               prefix: str = "") -> bool:
        """Check one object against a schema; True when it is sound."""
        if self.trusted:
            return True
        if type(record) is not dict:
            self.add("expected a JSON object", line, entity, prefix.rstrip(".") or None)
            return False
        fast = _FAST.get(id(schema))
        if fast is not None and fast(record):
            return True
        ok = True
        for name, kind in schema.items():
            if name not in record:
                self.add("missing required field", line, entity, prefix + name)
                ok = False
            elif not kind(record[name]):
                self.add(f"must be {kind.what}, got {_shown(record[name])}", line, entity, prefix + name)
                ok = False
        for name in record.keys() - schema.keys():
            self.add("unknown field", line, entity, prefix + name)
            ok = False
        return ok


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _entity(kind: str, record: Any) -> str:
    if isinstance(record, dict) and "id" in record:
        slug = record.get("slug")
        return f"{kind} {record['id']}" + (f" ({slug!r})" if isinstance(slug, str) else "")
    return kind


LINE_DIGEST_SIZE = 16


def line_digest(line: bytes) -> bytes:
    """The digest that stands for a snapshot line, and for the record read from it (SHA-256,
    cut: the CPU's SHA extensions make it 1.7x as fast as BLAKE2b here)."""
    return hashlib.sha256(line).digest()[:LINE_DIGEST_SIZE]


REUSED = object()  # stands for the parsed JSON of a line whose record an earlier load made


def _read_lines(path: Path, checker: _Checker) -> Iterable[tuple[int, Any, bytes]]:
    """Yield (line number, parsed JSON, the line's digest) for each non-empty line; bad lines
    become problems. A line whose record is in `checker.reuse` is not parsed: REUSED stands
    for its JSON."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        checker.add(f"cannot read file: {exc.strerror}")
        return
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            digest = line_digest(raw)
            if digest in checker.reuse:
                yield number, REUSED, digest
                continue
            checker.trusted = digest in checker.known
            try:
                yield number, orjson.loads(raw), digest
            except orjson.JSONDecodeError:
                try:  # orjson's messages are terse: let the standard library word the problem
                    json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    checker.add(f"invalid UTF-8: {exc.reason}", number)
                except json.JSONDecodeError as exc:
                    checker.add(f"malformed JSON: {exc.msg} (column {exc.colno})", number)
                else:
                    checker.add("malformed JSON", number)


def _read_manifest(data_dir: Path, problems: list[Problem]) -> Manifest | None:
    checker = _Checker("manifest.json")
    path = data_dir / "manifest.json"
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        checker.add(f"missing: {data_dir} holds no snapshot")
        problems.extend(checker.problems)
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        checker.add(f"malformed JSON: {exc}")
        problems.extend(checker.problems)
        return None
    schema: Schema = {
        "format": STR, "format_version": INT, "source": OBJECT, "fetched_at": FETCHED_AT,
        "counts": COUNTS, "notes": STRS,
    }
    if not checker.fields(raw, schema, None, "manifest"):  # type: ignore[arg-type]
        problems.extend(checker.problems)
        return None
    if raw["format"] != FORMAT:
        checker.add(f"must be {FORMAT!r}", field="format")
    if raw["format_version"] != FORMAT_VERSION:
        checker.add(f"version {raw['format_version']} is not supported (this build reads "
                    f"version {FORMAT_VERSION})", field="format_version")
    source = raw["source"]
    source_schema: Schema = {"kind": STR, "location": STR, "origin": STR}
    if checker.fields(source, source_schema, None, "manifest", "source."):  # type: ignore[arg-type]
        if source["kind"] not in SOURCE_KINDS:
            checker.add(f"must be one of {', '.join(SOURCE_KINDS)}", field="source.kind")
    problems.extend(checker.problems)
    if checker.problems:
        return None
    return Manifest(FORMAT_VERSION, Source(**source), raw["fetched_at"], dict(raw["counts"]),
                    list(raw["notes"]))


def _load_categories(path: Path, checker: _Checker, lines: dict) -> dict[int, Category]:
    out: dict[int, Category] = {}
    for line, rec, digest in _read_lines(path, checker):
        if rec is REUSED:
            _add_unique(out, checker.reuse[digest], line, checker, "category", lines, digest)
        elif checker.fields(rec, CATEGORY, line, _entity("category", rec)):
            _add_unique(out, Category(**rec), line, checker, "category", lines, digest)
    return out


class _Shared:
    """One object per distinct value, for the fields whose values repeat across records (licenses,
    classifiers, cell texts, version numbers, ids): at 100,000 packages the loaded snapshot is a
    third smaller. Shared values are never changed in place."""

    def __init__(self) -> None:
        # By type, so that equal values of different types (1 and True) are never shared; a
        # list's key is its values as a tuple.
        self.values: dict[type, dict[Any, Any]] = {str: {}, int: {}, list: {}}

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int:
            return self.values[kind].setdefault(value, value)
        if kind is list:
            return self.values[list].setdefault(tuple(value), value)
        return value

    def fields(self, record: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
        """The record with those fields' values shared, and `modified` the same object as an
        equal `created`."""
        strs, ints, lists = self.values[str], self.values[int], self.values[list]
        for name in names:
            value = record[name]
            kind = type(value)
            if kind is str:
                record[name] = strs.setdefault(value, value)
            elif kind is int:
                record[name] = ints.setdefault(value, value)
            elif kind is list:
                record[name] = lists.setdefault(tuple(value), value)
        created = record.get("created")
        if created is not None and record["modified"] == created:
            record["modified"] = created
        return record


    def element(self, e: dict[str, Any]) -> Element:
        """A sound grid cell as an Element, its feature, package and text shared (as `fields`
        would, in half the time: 55,000 cells at 6,000 packages)."""
        ints, strs = self.values[int], self.values[str]
        feature, package, text = e["feature"], e["package"], e["text"]
        return Element(feature=ints.setdefault(feature, feature), package=ints.setdefault(package, package),
                       text=strs.setdefault(text, text))

    def release(self, r: dict[str, Any]) -> Release:
        """A sound release as a Release, its number, license and licenses shared, and `modified`
        the same object as an equal `created` (as `fields` would)."""
        strs = self.values[str]
        number, license, licenses, created, modified = (
            r["number"], r["license"], r["licenses"], r["created"], r["modified"])
        return Release(
            id=r["id"], number=strs.setdefault(number, number), upload_time=r["upload_time"],
            license=license if license is None else strs.setdefault(license, license),
            licenses=licenses if licenses is None else self.values[list].setdefault(tuple(licenses), licenses),
            development_status=r["development_status"], supports_python3=r["supports_python3"],
            downloads=r["downloads"], hidden=r["hidden"], created=created,
            modified=created if modified == created else modified)


SHARED_PACKAGE = ("category", "pypi_version", "commits_over_52")
SHARED_EXTRA = ("pypi_license", "pypi_requires_python", "repo_host", "pypi_licenses", "pypi_classifiers",
                "created_by", "last_modified_by", "latest_version")


def _load_grids(path: Path, checker: _Checker, lines: dict) -> dict[int, Grid]:
    out: dict[int, Grid] = {}
    share = _Shared()
    for line, rec, digest in _read_lines(path, checker):
        if rec is REUSED:
            _add_unique(out, checker.reuse[digest], line, checker, "grid", lines, digest)
            continue
        entity = _entity("grid", rec)
        if not checker.fields(rec, GRID, line, entity):
            continue
        features = elements = None
        sound = True
        if checker.trusted:  # a line found sound before: no field is checked (55,000 cells at 6k)
            if rec["features"] is not None:
                features = [Feature(**f) for f in rec["features"]]
            if rec["elements"] is not None:
                elements = [share.element(e) for e in rec["elements"]]
        else:
            if rec["features"] is not None:
                features = []
                for i, f in enumerate(rec["features"]):
                    if checker.fields(f, FEATURE, line, entity, f"features[{i}]."):
                        features.append(Feature(**f))
                    else:
                        sound = False
            if rec["elements"] is not None:
                elements = []
                for i, e in enumerate(rec["elements"]):
                    if checker.fields(e, ELEMENT, line, entity, f"elements[{i}]."):
                        elements.append(share.element(e))
                    else:
                        sound = False
        if sound:
            grid = Grid(**{**rec, "features": features, "elements": elements})
            _add_unique(out, grid, line, checker, "grid", lines, digest)
    return out


def _load_packages(path: Path, checker: _Checker, lines: dict) -> dict[int, Package]:
    out: dict[int, Package] = {}
    share = _Shared()
    for line, rec, digest in _read_lines(path, checker):
        if rec is REUSED:
            _add_unique(out, checker.reuse[digest], line, checker, "package", lines, digest)
            continue
        entity = _entity("package", rec)
        if not checker.fields(rec, PACKAGE, line, entity):
            continue
        extra = None
        if rec["extra"] is not None:
            raw = rec["extra"]
            if not checker.fields(raw, EXTRA, line, entity, "extra."):
                continue
            if checker.trusted:  # a line found sound before: no field is checked
                releases = [share.release(r) for r in raw["releases"]]
            else:
                releases = []
                for i, r in enumerate(raw["releases"]):
                    if checker.fields(r, RELEASE, line, entity, f"extra.releases[{i}]."):
                        releases.append(share.release(r))
            extra = PackageExtra(**{**share.fields(raw, SHARED_EXTRA), "releases": releases})
        rec["participants"] = [share(name) for name in rec["participants"]]
        _add_unique(out, Package(**{**share.fields(rec, SHARED_PACKAGE), "extra": extra}), line, checker, "package",
                    lines, digest)
    return out


def _load_search(path: Path, checker: _Checker) -> list[SearchRow]:
    rows: dict[int, SearchRow] = {}
    for line, rec, _ in _read_lines(path, checker):
        if checker.fields(rec, SEARCH_ROW, line, _entity("search row", rec)):
            _add_unique(rows, SearchRow(**rec), line, checker, "search row")
    return list(rows.values())


def _load_history(path: Path, checker: _Checker) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for line, rec, _ in _read_lines(path, checker):
        entity = f"history entry {rec.get('fetched_at')}" if isinstance(rec, dict) else "history entry"
        if not checker.fields(rec, HISTORY, line, entity):
            continue
        sets = {}
        for kind in ("packages", "grids"):
            if checker.fields(rec[kind], CHANGE_SET, line, entity, f"{kind}."):
                sets[kind] = ChangeSet(**rec[kind])
        if len(sets) == 2:
            entries.append(HistoryEntry(rec["fetched_at"], rec["source"], sets["packages"], sets["grids"]))
    return entries


def _add_unique(into: dict[int, Any], obj: Any, line: int, checker: _Checker, kind: str,
                lines: dict[int, tuple[object, bytes]] | None = None, digest: bytes = b"") -> None:
    """Add a record by id (a second record of the same id is a problem); note it with the digest
    of its line in `lines`, if given."""
    if obj.id in into:
        checker.add(f"duplicate id {obj.id}", line, f"{kind} {obj.id}", "id")
    else:
        into[obj.id] = obj
        if lines is not None:
            lines[obj.id] = (obj, digest)


def _check_unique_slugs(items: Iterable[Any], file: str, kind: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for item in items:
        if item.slug in seen:
            problems.append(Problem(file, f"duplicate slug {item.slug!r} (also {kind} {seen[item.slug]})",
                                    entity=f"{kind} {item.id}", field="slug"))
        else:
            seen[item.slug] = item.id


def _check_references(snap: Snapshot, problems: list[Problem], sound_grids: Container[int] = ()) -> None:
    """References across records, and a grid's cells to its own features and packages (but in
    `sound_grids`: grids whose cells were found sound before)."""
    gfile, pfile = FILES["grids"], FILES["packages"]
    for grid in snap.grids.values():
        entity = f"grid {grid.id} ({grid.slug!r})"
        members = set(grid.packages)
        for pid in grid.packages:
            if pid not in snap.packages:
                problems.append(Problem(gfile, f"lists package {pid}, which does not exist",
                                        entity=entity, field="packages"))
        if grid.id in sound_grids:
            continue
        feature_ids = {f.id for f in grid.features or ()}
        for e in grid.elements or ():
            if e.feature not in feature_ids:
                problems.append(Problem(gfile, f"a cell names feature {e.feature}, which this grid "
                                        "does not have", entity=entity, field="elements"))
            if e.package not in members:
                problems.append(Problem(gfile, f"a cell names package {e.package}, which is not in "
                                        "this grid", entity=entity, field="elements"))
    for pkg in snap.packages.values():
        entity = f"package {pkg.id} ({pkg.slug!r})"
        if pkg.category not in snap.categories:
            problems.append(Problem(pfile, f"names category {pkg.category}, which does not exist",
                                    entity=entity, field="category"))
        for gid in pkg.grids:
            if gid not in snap.grids:
                problems.append(Problem(pfile, f"names grid {gid}, which does not exist",
                                        entity=entity, field="grids"))
            elif pkg.id not in snap.grids[gid].packages:
                problems.append(Problem(pfile, f"names grid {gid}, which does not list it",
                                        entity=entity, field="grids"))
        extra = pkg.extra
        if extra and extra.deprecates_package is not None and extra.deprecates_package not in snap.packages:
            problems.append(Problem(pfile, f"deprecates package {extra.deprecates_package}, which "
                                    "does not exist", entity=entity, field="extra.deprecates_package"))
    for grid in snap.grids.values():
        for pid in grid.packages:
            pkg = snap.packages.get(pid)
            if pkg is not None and grid.id not in pkg.grids:
                problems.append(Problem(gfile, f"lists package {pid}, which does not name this grid",
                                        entity=f"grid {grid.id} ({grid.slug!r})", field="packages"))


def _check_counts(snap: Snapshot, problems: list[Problem]) -> None:
    for name, actual in snapshot_counts(snap).items():
        stated = snap.manifest.counts.get(name)
        if stated is not None and stated != actual:
            problems.append(Problem("manifest.json", f"says {stated} {name} but the files hold {actual}",
                                    field=f"counts.{name}"))


def snapshot_counts(snap: Snapshot) -> dict[str, int]:
    """How many of each entity a snapshot holds (the manifest's `counts`)."""
    grids = snap.grids.values()
    packages = snap.packages.values()
    return {
        "categories": len(snap.categories),
        "grids": len(snap.grids),
        "packages": len(snap.packages),
        "features": sum(len(g.features or ()) for g in grids),
        "elements": sum(len(g.elements or ()) for g in grids),
        "releases": sum(len(p.extra.releases) for p in packages if p.extra),
        "search": len(snap.search_rows or ()),
    }


LINE_KINDS = ("categories", "grids", "packages")  # the kinds whose records have line digests


def load_snapshot(data_dir: Path, known_lines: Mapping[str, Container[bytes]] | None = None,
                  previous: Snapshot | None = None) -> Snapshot:
    """Read and validate a snapshot folder; raise SnapshotError listing every problem.

    `known_lines` (kind -> line digests): lines the same code found sound in an earlier load
    (a build keeps them in its state). Their records are not checked field by field again;
    ids, slugs and references across records are checked all the same. `previous`: a snapshot
    this process loaded before (by this very code); a line it read is not even parsed again,
    its record is taken over (a record is a function of its line, and is never changed)."""
    reuse = {kind: {digest: record for record, digest in previous.line_digests.get(kind, {}).values()}
             for kind in LINE_KINDS} if previous is not None else {}
    with collector.paused():
        return _load_snapshot(Path(data_dir), known_lines or {}, reuse)


def _load_snapshot(data_dir: Path, known: Mapping[str, Container[bytes]],
                   reuse: Mapping[str, Mapping[bytes, Any]]) -> Snapshot:
    problems: list[Problem] = []
    manifest = _read_manifest(data_dir, problems)
    checkers = {key: _Checker(name, known.get(key, frozenset()), reuse.get(key)) for key, name in FILES.items()}
    lines: dict[str, dict[int, tuple[object, bytes]]] = {"categories": {}, "grids": {}, "packages": {}}
    categories = _load_categories(data_dir / FILES["categories"], checkers["categories"], lines["categories"])
    grids = _load_grids(data_dir / FILES["grids"], checkers["grids"], lines["grids"])
    packages = _load_packages(data_dir / FILES["packages"], checkers["packages"], lines["packages"])
    search_path = data_dir / FILES["search"]
    search = _load_search(search_path, checkers["search"]) if search_path.exists() else None
    history_path = data_dir / FILES["history"]
    history = _load_history(history_path, checkers["history"]) if history_path.exists() else []
    for checker in checkers.values():
        problems.extend(checker.problems)
    _check_unique_slugs(categories.values(), FILES["categories"], "category", problems)
    _check_unique_slugs(grids.values(), FILES["grids"], "grid", problems)
    _check_unique_slugs(packages.values(), FILES["packages"], "package", problems)
    if manifest is None:
        raise SnapshotError(problems)
    snap = Snapshot(manifest, _sorted(categories), _sorted(grids), _sorted(packages), search, history, lines)
    if not problems:
        # A grid read from a line found sound before (or taken over) holds its own cells.
        sound = {gid for gid, (_, digest) in lines["grids"].items()
                 if digest in checkers["grids"].known or digest in reuse.get("grids", {})}
        _check_references(snap, problems, sound)
        _check_counts(snap, problems)
    if problems:
        raise SnapshotError(problems)
    return snap


def _sorted(items: dict[int, Any]) -> dict[int, Any]:
    return {k: items[k] for k in sorted(items)}


# ---------------------------------------------------------------------------
# Writing


def _ordered(record: Mapping[str, Any], schema: Schema, what: str) -> dict[str, Any]:
    unknown = record.keys() - schema.keys()
    if unknown:
        raise ValueError(f"{what}: unknown field(s) {sorted(unknown)}")
    return {name: record[name] for name in schema if name in record}


def encode_category(rec: Mapping[str, Any]) -> dict[str, Any]:
    return _ordered(rec, CATEGORY, "category")


def encode_grid(rec: Mapping[str, Any]) -> dict[str, Any]:
    out = _ordered(rec, GRID, "grid")
    if out.get("features") is not None:
        out["features"] = [_ordered(f, FEATURE, "feature") for f in out["features"]]
    if out.get("elements") is not None:
        elements = [_ordered(e, ELEMENT, "element") for e in out["elements"]]
        out["elements"] = sorted(elements, key=lambda e: (e["feature"], e["package"]))
    return out


def encode_package(rec: Mapping[str, Any]) -> dict[str, Any]:
    out = _ordered(rec, PACKAGE, "package")
    if out.get("extra") is not None:
        extra = _ordered(out["extra"], EXTRA, "package extra")
        releases = [_ordered(r, RELEASE, "release") for r in extra.get("releases", [])]
        extra["releases"] = sorted(releases, key=lambda r: r["id"])
        out["extra"] = extra
    return out


def encode_search_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    return _ordered(rec, SEARCH_ROW, "search row")


def dumps_line(record: Mapping[str, Any]) -> str:
    """One JSON Lines record: compact, UTF-8, keys in the given order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]], sort: bool = True) -> None:
    ordered = sorted(records, key=lambda r: r["id"]) if sort else records
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for rec in ordered:
            out.write(dumps_line(rec))
            out.write("\n")


VOLATILE_FIELDS = ("last_fetched",)  # refreshed on every fetch: not a change worth reporting


def _history_lines(old_dir: Path, new: Snapshot) -> list[dict[str, Any]]:
    """The previous history plus one entry saying what `new` changes against the snapshot in place."""
    from .changes import diff_snapshots  # changes builds on the model; imported late to avoid a cycle

    try:
        old = load_snapshot(old_dir)
    except SnapshotError:
        return []  # no snapshot in place (or a broken one): nothing to compare with
    changes = diff_snapshots(old, new)

    def change_set(kind: str) -> dict[str, list[str]]:
        c = getattr(changes, kind)
        return {
            "added": sorted(r.slug for r in c.added),
            "removed": sorted(r.slug for r in c.removed),
            "changed": sorted(x.slug for x in c.changed if set(x.fields) - set(VOLATILE_FIELDS)),
        }

    lines = [{"fetched_at": h.fetched_at, "source": h.source,
              "packages": {"added": h.packages.added, "removed": h.packages.removed,
                           "changed": h.packages.changed},
              "grids": {"added": h.grids.added, "removed": h.grids.removed, "changed": h.grids.changed}}
             for h in old.history if h.fetched_at != new.manifest.fetched_at]
    lines.append({"fetched_at": new.manifest.fetched_at, "source": new.manifest.source.kind,
                  "packages": change_set("packages"), "grids": change_set("grids")})
    return lines[-HISTORY_LIMIT:]


def write_snapshot(
    data_dir: Path,
    *,
    source: Mapping[str, str],
    fetched_at: str,
    categories: Iterable[Mapping[str, Any]],
    grids: Iterable[Mapping[str, Any]],
    packages: Iterable[Mapping[str, Any]],
    search: Iterable[Mapping[str, Any]] | None = None,
    notes: Iterable[str] = (),
    before_swap: Callable[[Snapshot], None] | None = None,
) -> Snapshot:
    """Write a snapshot from plain records, validate it with the loader, then swap it into place.

    Records are dicts with the fields of docs/snapshot-format.md (key order does not
    matter). The new snapshot is written beside `data_dir` and validated by
    `load_snapshot`; `before_swap` may veto it by raising. Only then does it replace
    `data_dir`, atomically: on any failure the previous snapshot is left as it was.
    """
    data_dir = Path(data_dir)
    tmp = sibling_tempdir(data_dir, "new")
    try:
        _write_jsonl(tmp / FILES["categories"], (encode_category(r) for r in categories))
        _write_jsonl(tmp / FILES["grids"], (encode_grid(r) for r in grids))
        _write_jsonl(tmp / FILES["packages"], (encode_package(r) for r in packages))
        if search is not None:
            _write_jsonl(tmp / FILES["search"], (encode_search_row(r) for r in search))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "source": dict(source),
            "fetched_at": fetched_at,
            "counts": {},
            "notes": list(notes),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        snap = load_snapshot(tmp)  # validates everything except the counts, which are empty
        manifest["counts"] = snapshot_counts(snap)
        snap.manifest.counts = manifest["counts"]
        history = _history_lines(data_dir, snap)
        if history:
            _write_jsonl(tmp / FILES["history"], history, sort=False)
            snap.history = _load_history(tmp / FILES["history"], _Checker(FILES["history"]))
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        if before_swap is not None:
            before_swap(snap)
        with FolderLock(data_dir):  # not while a build reads it (see build.build)
            replace_dir(tmp, data_dir)
        return snap
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
