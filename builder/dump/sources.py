"""Read a dump file as a stream of typed table rows, whatever its format.

Formats are told apart by the file's first bytes, not its name: gzip is unwrapped,
`PGDMP` is pg_dump's custom format (turned into plain SQL by `pg_restore`), `[` is a
Django dumpdata fixture, anything else is pg_dump plain SQL. Everything is streamed.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import DumpError
from .pgcopy import END_OF_DATA, decode_field, parse_copy_header
from .tables import MODELS, TABLES, from_json, from_text

GZIP_MAGIC = b"\x1f\x8b"
CUSTOM_MAGIC = b"PGDMP"
TRAILER = b"-- PostgreSQL database dump complete"
CHUNK = 1 << 16

Row = dict[str, Any]


@dataclass
class RowStream:
    """The rows of a dump, read lazily; `tables` fills in as blocks are met."""

    kind: str  # "pg_dump", "pg_dump_custom" or "dumpdata"
    rows: Iterator[tuple[str, Row]]
    tables: set[str] = field(default_factory=set)


def _open_bytes(path: Path) -> IO[bytes]:
    try:
        raw = path.open("rb")
        if raw.read(2) == GZIP_MAGIC:
            raw.close()
            return gzip.open(path, "rb")  # type: ignore[return-value]
    except OSError as exc:
        raise DumpError(f"{path}: cannot read: {exc.strerror}") from exc
    raw.seek(0)
    return raw


def _peek(handle: IO[bytes], path: Path) -> bytes:
    try:
        return handle.peek(64)[:64] if hasattr(handle, "peek") else b""  # type: ignore[attr-defined]
    except (OSError, EOFError, zlib.error) as exc:
        raise DumpError(f"{path}: not a readable gzip file: {exc}") from exc


def open_dump(path: Path) -> RowStream:
    """Detect the format of `path` and return its rows as a stream."""
    path = Path(path)
    handle = _open_bytes(path)
    head = _peek(handle, path)
    if head.startswith(CUSTOM_MAGIC):
        gzipped = isinstance(handle, gzip.GzipFile)
        handle.close()
        if gzipped:
            raise DumpError(f"{path.name}: a gzipped custom-format dump: pg_restore reads it only "
                            "uncompressed (gunzip it first; -Fc dumps are compressed already)")
        stream = RowStream("pg_dump_custom", iter(()))
        stream.rows = _custom_rows(path, stream.tables)
        return stream
    if head.lstrip().startswith(b"["):
        stream = RowStream("dumpdata", iter(()))
        stream.rows = _dumpdata_rows(handle, path.name, stream.tables)
        return stream
    stream = RowStream("pg_dump", iter(()))
    stream.rows = _sql_rows(handle, path.name, stream.tables)
    return stream


# ---------------------------------------------------------------------------
# pg_dump plain SQL


def _numbered_lines(handle: IO[bytes], name: str) -> Iterator[tuple[int, bytes]]:
    number = 0
    try:
        for number, line in enumerate(handle, 1):  # noqa: B007 - number is used after the loop
            yield number, line
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DumpError(f"{name}: line {number + 1}: the gzip stream is broken or ends early "
                        f"({exc}); the file is truncated or corrupt") from exc


def sql_rows(lines: Iterable[tuple[int, bytes]], name: str, tables: set[str]) -> Iterator[tuple[str, Row]]:
    """Rows of the wanted tables from numbered lines of pg_dump plain SQL."""
    block: tuple[str, list[tuple[int, str, str]], int, int] | None = None  # table, fields, width, start
    skipping = False
    complete = seen_copy = False
    number = 0
    for number, line in lines:
        if block is None and not skipping:
            if line.startswith(b"COPY "):
                block, skipping = _start_block(line, number, name, tables)
                seen_copy = True
            elif line.startswith(TRAILER):
                complete = True
            continue
        if line == END_OF_DATA + b"\n" or line == END_OF_DATA + b"\r\n":
            block, skipping = None, False
            continue
        if not line.endswith(b"\n"):
            what = block[0] if block else "a table"
            raise DumpError(f"{name}: line {number}: the file ends in the middle of a row of "
                            f"{what}: the dump is truncated")
        if skipping:
            continue
        assert block is not None
        yield block[0], _row(line, number, name, block)
    if block is not None or skipping:
        what = f"table {block[0]}" if block else "a table"
        raise DumpError(f"{name}: line {number}: the file ends inside the COPY block of {what} "
                        "(no '\\.' line): the dump is truncated")
    if not complete and not seen_copy:
        raise DumpError(f"{name}: not a database dump: no COPY data and no pg_dump trailer in "
                        f"{number} line(s) (expected pg_dump plain SQL or custom format, or a "
                        "Django dumpdata JSON list)")
    if not complete:
        raise DumpError(f"{name}: line {number}: the file ends without pg_dump's "
                        "'-- PostgreSQL database dump complete' line: the dump is truncated")


def _start_block(line: bytes, number: int, name: str, tables: set[str]
                 ) -> tuple[tuple[str, list[tuple[int, str, str]], int, int] | None, bool]:
    try:
        header = parse_copy_header(line.decode("utf-8").rstrip("\r\n"))
    except UnicodeDecodeError as exc:
        raise DumpError(f"{name}: line {number}: invalid UTF-8 in a COPY header") from exc
    if header is None:
        raise DumpError(f"{name}: line {number}: cannot read this COPY header: "
                        f"{line[:120].decode('utf-8', 'replace').rstrip()}")
    table, columns = header
    spec = TABLES.get(table)
    if spec is None:
        return None, True
    if columns is None:
        raise DumpError(f"{name}: line {number}: table {table}: the COPY header has no column list")
    missing = [c for c in spec if c not in columns]
    if missing:
        raise DumpError(f"{name}: line {number}: table {table}: unknown table layout, the COPY "
                        f"header lacks column(s) {', '.join(missing)}")
    tables.add(table)
    fields = [(columns.index(c), c, kind) for c, kind in spec.items()]
    return (table, fields, len(columns), number), False


def _row(line: bytes, number: int, name: str, block: tuple[str, list[tuple[int, str, str]], int, int]
         ) -> Row:
    table, fields, width, _ = block
    values = line[:-1].split(b"\t")  # escapes are decoded only in the columns we keep
    if len(values) != width:
        raise DumpError(f"{name}: line {number}: table {table}: a COPY row has {len(values)} "
                        f"field(s), the header names {width}")
    row: Row = {}
    for index, column, kind in fields:
        raw = decode_field(values[index])
        try:
            text = None if raw is None else raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DumpError(f"{name}: line {number}: table {table}, column {column}: invalid UTF-8 "
                            f"(byte 0x{raw[exc.start]:02x} at offset {exc.start})") from exc
        try:
            row[column] = from_text(kind, text)
        except ValueError as exc:
            raise DumpError(f"{name}: line {number}: table {table}, column {column}: {exc}") from exc
    return row


def _sql_rows(handle: IO[bytes], name: str, tables: set[str]) -> Iterator[tuple[str, Row]]:
    with handle:  # closed as soon as an error leaves, not when the generator is collected
        yield from sql_rows(_numbered_lines(handle, name), name, tables)


# ---------------------------------------------------------------------------
# pg_dump custom format, through pg_restore


def _custom_rows(path: Path, tables: set[str]) -> Iterator[tuple[str, Row]]:
    exe = shutil.which("pg_restore")
    if exe is None:
        raise DumpError(f"{path.name}: this is a pg_dump custom-format (-Fc) dump, which needs "
                        "pg_restore to read: install it with `apt-get install postgresql-client` "
                        "(or convert the dump to plain SQL with `pg_restore -f dump.sql FILE`)")
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([exe, "--data-only", "-f", "-", str(path)],
                                stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        failure: DumpError | None = None
        try:
            yield from sql_rows(enumerate(proc.stdout, 1), path.name, tables)
        except DumpError as exc:
            failure = exc  # pg_restore's own complaint, if any, says more
        finally:
            if failure is not None and proc.stdout.read(1) != b"":
                proc.kill()  # our reader stopped mid-stream: pg_restore has more to say, unheard
            proc.stdout.close()
            code = proc.wait()
        if code != 0 and (failure is None or code > 0):
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise DumpError(f"{path.name}: pg_restore cannot read this custom-format dump "
                            f"(exit {code}): {message[:500]}") from failure
        if failure is not None:
            raise failure


# ---------------------------------------------------------------------------
# Django dumpdata JSON


def _json_values(handle: IO[bytes], name: str) -> Iterator[tuple[int, Any]]:
    """The items of a top-level JSON array, one at a time, without reading the whole file."""
    decoder = json.JSONDecoder()
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="strict")
    buf, pos, eof, count = "", 0, False, 0

    def more() -> bool:
        nonlocal buf, pos, eof
        try:
            chunk = text.read(CHUNK)
        except UnicodeDecodeError as exc:
            raise DumpError(f"{name}: record {count + 1}: invalid UTF-8 ({exc.reason})") from exc
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise DumpError(f"{name}: record {count + 1}: the gzip stream is broken or ends early "
                            f"({exc}); the file is truncated or corrupt") from exc
        buf, pos = buf[pos:] + chunk, 0
        eof = chunk == ""
        return not eof

    def skip_ws() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not more():
                return buf[pos] if pos < len(buf) else ""

    with text:
        if skip_ws() != "[":
            raise DumpError(f"{name}: not a dumpdata fixture (expected a JSON list)")
        pos += 1
        first = True
        while True:
            c = skip_ws()
            if c == "]":
                return
            if c == "":
                raise DumpError(f"{name}: record {count + 1}: the file ends inside the JSON list: "
                                "the fixture is truncated")
            if not first:
                if c != ",":
                    raise DumpError(f"{name}: record {count + 1}: expected ',' between records")
                pos += 1
                skip_ws()
            first = False
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    if end == len(buf) and not eof and not isinstance(value, dict | list):
                        raise json.JSONDecodeError("value may continue", buf, end)
                    break
                except json.JSONDecodeError as exc:
                    if not more():
                        raise DumpError(f"{name}: record {count + 1}: cannot parse it ({exc.msg}): "
                                        "the fixture is truncated or malformed") from exc
            pos = end
            count += 1
            yield count, value


def _dumpdata_rows(handle: IO[bytes], name: str, tables: set[str]) -> Iterator[tuple[str, Row]]:
    for number, record in _json_values(handle, name):
        if not isinstance(record, dict) or "model" not in record or "fields" not in record:
            raise DumpError(f"{name}: record {number}: not a dumpdata record (model, pk, fields)")
        table = MODELS.get(record["model"])
        if table is None:
            continue
        tables.add(table)
        fields = record["fields"]
        where = f"{name}: record {number} ({record['model']} pk {record.get('pk')})"
        if table == "package_package":
            tables.add("package_package_usage")
            for _ in fields.get("usage") or ():
                yield "package_package_usage", {"package_id": record.get("pk")}
        yield table, _dumpdata_row(table, record.get("pk"), fields, where)


def _dumpdata_row(table: str, pk: Any, fields: dict[str, Any], where: str) -> Row:
    row: Row = {}
    for column, kind in TABLES[table].items():
        if column == "id":
            value, present = pk, True
        elif column in fields:
            value, present = fields[column], True
        elif column.endswith("_id") and column[:-3] in fields:
            value, present = fields[column[:-3]], True
        else:
            value, present = None, False
        if not present:
            raise DumpError(f"{where}: unknown layout, the record lacks field "
                            f"{column.removesuffix('_id') if column != 'id' else 'pk'}")
        try:
            row[column] = from_json(kind, value)
        except ValueError as exc:
            raise DumpError(f"{where}: field {column}: {exc}") from exc
    return row
