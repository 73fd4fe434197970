"""Reading dumps: format detection, typed values, and every kind of bad input.

Each bad input must raise DumpError naming the line (or record) and what is wrong,
make the CLI exit non-zero, and leave the previous data/ exactly as it was.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from build import cli
from builder.dump import import_dump
from builder.dump.sources import open_dump
from builder.errors import DumpError

from .reference import DUMPS, reference_dumpdata, reference_sql, write_dump

SQL = reference_sql()


def _line_of(data: bytes, needle: bytes) -> int:
    return data[:data.index(needle)].count(b"\n") + 1


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """A data/ holding a good snapshot, to check that failures leave it alone."""
    data = tmp_path / "data"
    import_dump(DUMPS / "dumpdata.json.gz", data)
    return data


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _fails(dump: Path, data: Path, *patterns: str) -> None:
    """The import fails with every pattern in its message, exits 1 and leaves `data` untouched."""
    before = _files(data)
    with pytest.raises(DumpError) as err:
        import_dump(dump, data)
    for pattern in patterns:
        assert re.search(pattern, err.value.message), err.value.message
    result = CliRunner().invoke(cli, ["import-dump", str(dump), "--data", str(data)])
    assert result.exit_code == 1 and result.output.startswith("Error: "), result.output
    assert _files(data) == before
    assert sorted(p.name for p in data.parent.iterdir() if p.name.startswith(".data") and p.name != ".data.lock") == []


def test_truncated_inside_a_copy_block(tmp_path: Path, previous: Path) -> None:
    cut = SQL.index(b"\\.\n", SQL.index(b"COPY public.package_version"))
    dump = write_dump(tmp_path, "cut.sql.gz", SQL[:cut])
    lines = SQL[:cut].count(b"\n")
    _fails(dump, previous, rf"cut\.sql\.gz: line {lines}: the file ends inside the COPY block of "
           r"table package_version .*truncated")


def test_truncated_in_the_middle_of_a_row(tmp_path: Path, previous: Path) -> None:
    start = SQL.index(b"\n1423\t", SQL.index(b"COPY public.package_package")) + 1
    dump = write_dump(tmp_path, "cut.sql", SQL[:start + 40])
    _fails(dump, previous, rf"line {_line_of(SQL, SQL[start:start + 40])}: the file ends in the middle "
           r"of a row of package_package")


def test_truncated_between_blocks(tmp_path: Path, previous: Path) -> None:
    cut = SQL.index(b"COPY public.products_product")
    dump = write_dump(tmp_path, "cut.sql", SQL[:cut])
    _fails(dump, previous, r"without pg_dump's '-- PostgreSQL database dump complete' line: .*truncated")


def test_wrong_number_of_fields(tmp_path: Path, previous: Path) -> None:
    row = SQL.index(b"\n16\t", SQL.index(b"COPY public.grid_grid")) + 1
    end = SQL.index(b"\n", row)
    bad = SQL[:row] + SQL[row:end].rsplit(b"\t", 1)[0] + SQL[end:]
    dump = write_dump(tmp_path, "fields.sql.gz", bad)
    _fails(dump, previous, rf"line {_line_of(SQL, SQL[row:end])}: table grid_grid: a COPY row has 7 "
           r"field\(s\), the header names 8")


def test_unknown_table_layout(tmp_path: Path, previous: Path) -> None:
    header = b"COPY public.grid_feature (id, created, modified, title, description, grid_id)"
    bad = SQL.replace(header, b"COPY public.grid_feature (id, created, modified, name, description, grid_id)")
    dump = write_dump(tmp_path, "layout.sql.gz", bad)
    _fails(dump, previous, rf"line {_line_of(SQL, header)}: table grid_feature: unknown table layout, "
           r"the COPY header lacks column\(s\) title")


def test_reordered_and_extra_columns_are_fine(tmp_path: Path) -> None:
    """Columns come from the COPY header, so a later migration's order does not matter."""
    header = (b"COPY public.package_category (id, created, modified, title, slug, description, "
              b"title_plural, show_pypi) FROM stdin;\n")
    start = SQL.index(header) + len(header)
    end = SQL.index(b"\\.\n", start)
    rows = []
    for line in SQL[start:end].splitlines():
        f = line.split(b"\t")
        rows.append(b"\t".join([f[7], f[4], b"new", f[0], f[1], f[2], f[3], f[5], f[6]]) + b"\n")
    new_header = b"COPY public.package_category (show_pypi, slug, added_later, id, created, modified, " \
                 b"title, description, title_plural) FROM stdin;\n"
    moved = SQL[:SQL.index(header)] + new_header + b"".join(rows) + SQL[end:]
    import_dump(write_dump(tmp_path, "moved.sql.gz", moved), tmp_path / "a")
    import_dump(DUMPS / "djangopackages.sql.gz", tmp_path / "b")
    for name in ("categories.jsonl", "packages.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_invalid_utf8(tmp_path: Path, previous: Path) -> None:
    needle = b"\tDjango-Select2\t"
    dump = write_dump(tmp_path, "utf8.sql.gz", SQL.replace(needle, b"\tDjango-Select\xff\t"))
    _fails(dump, previous, rf"line {_line_of(SQL, needle)}: table package_package, column title: "
           r"invalid UTF-8 \(byte 0xff at offset 13\)")


def test_gzip_ending_early(tmp_path: Path, previous: Path) -> None:
    whole = gzip.compress(SQL, mtime=0)
    dump = tmp_path / "short.sql.gz"
    dump.write_bytes(whole[:len(whole) // 2])
    _fails(dump, previous, r"short\.sql\.gz: line \d+: the gzip stream is broken or ends early")


def test_gzip_checksum_wrong(tmp_path: Path, previous: Path) -> None:
    whole = bytearray(gzip.compress(SQL, mtime=0))
    whole[-6] ^= 0xFF  # inside the CRC-32 of the gzip trailer
    dump = tmp_path / "corrupt.sql.gz"
    dump.write_bytes(bytes(whole))
    lines = SQL.count(b"\n")
    _fails(dump, previous, rf"line {lines + 1}: the gzip stream is broken or ends early "
           r"\(CRC check failed")


def test_bad_value(tmp_path: Path, previous: Path) -> None:
    needle = b"\t6313\t1225\t"
    dump = write_dump(tmp_path, "value.sql", SQL.replace(needle, b"\tmany\t1225\t", 1))
    _fails(dump, previous, rf"line {_line_of(SQL, needle)}: table package_package, column repo_watchers: "
           r"invalid literal for int")


def test_null_where_none_is_allowed(tmp_path: Path, previous: Path) -> None:
    row = SQL.index(b"\n16\t", SQL.index(b"COPY public.grid_grid")) + 1
    bad = SQL[:row] + SQL[row:].replace(b"\tForms\t", b"\t\\N\t", 1)
    dump = write_dump(tmp_path, "null.sql", bad)
    _fails(dump, previous, r"table grid_grid, column title: is NULL but the column cannot be")


def test_not_a_djangopackages_dump(tmp_path: Path, previous: Path) -> None:
    text = b"--\n-- PostgreSQL database dump\n--\nCOPY public.t (id) FROM stdin;\n1\n\\.\n" \
           b"-- PostgreSQL database dump complete\n"
    _fails(write_dump(tmp_path, "other.sql", text), previous,
           r"not a Django Packages dump: no data for table\(s\) package_category, package_package")


def test_not_a_dump_at_all(tmp_path: Path, previous: Path) -> None:
    _fails(write_dump(tmp_path, "notes.txt.gz", b"hello\nworld\n"), previous,
           r"notes\.txt\.gz: not a database dump: no COPY data and no pg_dump trailer in 2 line\(s\)")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="cannot read"):
        import_dump(tmp_path / "nope.sql", tmp_path / "data")


# ---------------------------------------------------------------------------
# dumpdata


DD = reference_dumpdata()


def test_dumpdata_truncated(tmp_path: Path, previous: Path) -> None:
    dump = write_dump(tmp_path, "cut.json.gz", DD[:len(DD) // 2])
    _fails(dump, previous, r"cut\.json\.gz: record \d+: cannot parse it .*truncated or malformed")


def test_dumpdata_truncated_between_records(tmp_path: Path, previous: Path) -> None:
    cut = DD.index(b', {"model": "package.package"')
    _fails(write_dump(tmp_path, "cut.json", DD[:cut]), previous,
           r"record 5: the file ends inside the JSON list: the fixture is truncated")


def test_dumpdata_invalid_utf8(tmp_path: Path, previous: Path) -> None:
    dump = write_dump(tmp_path, "utf8.json", DD.replace(b'"Django-Select2"', b'"Django-Select\xff"'))
    _fails(dump, previous, r"utf8\.json: record \d+: invalid UTF-8")


def test_dumpdata_missing_field(tmp_path: Path, previous: Path) -> None:
    records = json.loads(DD)
    index = next(i for i, r in enumerate(records) if r["model"] == "grid.feature")
    del records[index]["fields"]["grid"]
    dump = write_dump(tmp_path, "field.json", json.dumps(records).encode())
    _fails(dump, previous, rf"record {index + 1} \(grid\.feature pk \d+\): unknown layout, "
           r"the record lacks field grid")


def test_dumpdata_wrong_type(tmp_path: Path, previous: Path) -> None:
    records = json.loads(DD)
    index = next(i for i, r in enumerate(records) if r["model"] == "package.package")
    records[index]["fields"]["repo_watchers"] = "lots"
    dump = write_dump(tmp_path, "type.json", json.dumps(records).encode())
    _fails(dump, previous, rf"record {index + 1} \(package\.package pk \d+\): field repo_watchers: "
           r"not an integer: 'lots'")


def test_dumpdata_streams_across_chunks(tmp_path: Path) -> None:
    """Records straddling the reader's chunk boundaries parse the same as a whole-file load."""
    pretty = json.dumps(json.loads(DD), indent=4, ensure_ascii=False).encode()
    stream = open_dump(write_dump(tmp_path, "pretty.json", pretty))
    rows = list(stream.rows)
    assert stream.kind == "dumpdata"
    assert sum(1 for t, _ in rows if t == "package_package") == 60
    assert sum(1 for t, _ in rows if t == "package_version") == 497


def test_dumpdata_array_fields_stored_as_json_strings(tmp_path: Path) -> None:
    stream = open_dump(DUMPS / "dumpdata.json.gz")
    pkg = next(r for t, r in stream.rows if t == "package_package" and r["id"] == 1423)
    assert pkg["pypi_licenses"] == ["MIT"]
    assert pkg["commits_over_52w"][:4] == [2, 1, 0, 1]


# ---------------------------------------------------------------------------
# pg_dump custom format


def test_custom_format_truncated(tmp_path: Path, previous: Path) -> None:
    from .test_import import _need_pg_restore
    _need_pg_restore()
    whole = (DUMPS / "djangopackages.dump").read_bytes()
    dump = tmp_path / "cut.dump"
    dump.write_bytes(whole[:len(whole) // 2])
    _fails(dump, previous, r"cut\.dump: ")


def test_escapes_reach_the_snapshot(tmp_path: Path) -> None:
    """Escaped text and arrays in a real row come out as the characters they stand for."""
    old_desc = b"\tThis is a Django integration for Select2\t"
    new_desc = b"\ttab\\there\\nnew line \\\\ back\\\\slash caf\\303\\251 \\x41\\r\\b\\f\\v\t"
    old_cls = b'{"Development Status :: 5 - Production/Stable","Framework :: Django",' \
              b'"License :: OSI Approved :: MIT License","Programming Language :: Python :: 3"}'
    new_cls = b'{"a,b","say \\\\"hi\\\\"","back\\\\\\\\slash",plain}'
    row = SQL.index(b"\n1423\t", SQL.index(b"COPY public.package_package")) + 1
    end = SQL.index(b"\n", row)
    assert old_desc in SQL[row:end] and old_cls in SQL[row:end]
    line = SQL[row:end].replace(old_desc, new_desc).replace(old_cls, new_cls)
    dump = write_dump(tmp_path, "escapes.sql.gz", SQL[:row] + line + SQL[end:])
    import_dump(dump, tmp_path / "data")
    pkg = next(json.loads(x) for x in (tmp_path / "data" / "packages.jsonl").read_text().splitlines()
               if json.loads(x)["id"] == 1423)
    assert pkg["repo_description"] == "tab\there\nnew line \\ back\\slash café A\r\b\f\v"
    assert pkg["extra"]["pypi_classifiers"] == ["a,b", 'say "hi"', "back\\slash", "plain"]


def test_gzipped_custom_format_says_to_gunzip(tmp_path: Path) -> None:
    dump = write_dump(tmp_path, "db.dump.gz", (DUMPS / "djangopackages.dump").read_bytes())
    with pytest.raises(DumpError, match=r"db\.dump\.gz: a gzipped custom-format dump: .*gunzip it first"):
        import_dump(dump, tmp_path / "data")
