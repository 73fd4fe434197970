"""The COPY text format: every escape, array literals, headers."""

from __future__ import annotations

import pytest

from builder.dump.pgcopy import decode_field, parse_array, parse_copy_header, split_row


@pytest.mark.parametrize(("raw", "expected"), [
    (b"\\N", None),
    (b"", b""),
    (b"plain text", b"plain text"),
    (b"a\\tb", b"a\tb"),
    (b"line\\nbreak", b"line\nbreak"),
    (b"carriage\\rreturn", b"carriage\rreturn"),
    (b"back\\\\slash", b"back\\slash"),
    (b"\\b\\f\\v", b"\b\f\v"),
    (b"\\123", b"S"),           # octal, three digits
    (b"\\0", b"\x00"),          # octal, one digit
    (b"\\12x", b"\nx"),         # octal, two digits then text
    (b"\\x41", b"A"),           # hex, two digits
    (b"\\x4g", b"\x04g"),       # hex, one digit
    (b"\\xg", b"xg"),           # \x without hex digits is a plain x
    (b"\\q", b"q"),             # any other escaped character stands for itself
    (b"\\\\N", b"\\N"),         # an escaped backslash then N is text, not null
    (b"caf\\303\\251", "café".encode()),  # octal bytes forming one UTF-8 character
])
def test_decode_field(raw: bytes, expected: bytes | None) -> None:
    assert decode_field(raw) == expected


def test_split_row_keeps_empty_fields_and_nulls() -> None:
    assert split_row(b"1\t\t\\N\ttab\\there") == [b"1", b"", None, b"tab\there"]


@pytest.mark.parametrize(("text", "expected"), [
    ("{}", []),
    ("{a,b}", ["a", "b"]),
    ('{"Framework :: Django","Programming Language :: Python :: 3"}',
     ["Framework :: Django", "Programming Language :: Python :: 3"]),
    ('{"a,b","say \\"hi\\"","back\\\\slash"}', ["a,b", 'say "hi"', "back\\slash"]),
    ("{NULL,x,null}", [None, "x", None]),
    ('{"NULL"}', ["NULL"]),
    ('{""}', [""]),
    ("{ spaced , out }", ["spaced", "out"]),
    ('{"{braces}"}', ["{braces}"]),
])
def test_parse_array(text: str, expected: list[str | None]) -> None:
    assert parse_array(text) == expected


@pytest.mark.parametrize("text", ["a,b", '{"open', "{{1,2},{3,4}}", "{a,b", '{"a"b}'])
def test_parse_array_rejects_malformed_literals(text: str) -> None:
    with pytest.raises(ValueError):
        parse_array(text)


@pytest.mark.parametrize(("line", "expected"), [
    ("COPY public.grid_grid (id, title, slug) FROM stdin;", ("grid_grid", ["id", "title", "slug"])),
    ('COPY public.django_q_task (name, "group", attempt_count) FROM stdin;',
     ("django_q_task", ["name", "group", "attempt_count"])),
    ('COPY "my schema"."odd ""table""" ("a b", c) FROM stdin;', ('odd "table"', ["a b", "c"])),
    ("COPY grid_grid (id) FROM stdin;", ("grid_grid", ["id"])),
    ("COPY public.grid_grid FROM stdin;", ("grid_grid", None)),
    ("COPY public.grid_grid (id) TO stdout;", None),
    ("CREATE TABLE public.grid_grid (", None),
])
def test_parse_copy_header(line: str, expected: tuple[str, list[str] | None] | None) -> None:
    assert parse_copy_header(line) == expected
