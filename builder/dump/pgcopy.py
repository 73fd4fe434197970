"""PostgreSQL's COPY text format: block headers, rows, field escapes and array literals.

The format is PostgreSQL's `COPY ... TO stdout` text output as pg_dump writes it:
fields separated by tabs, `\\N` for null, backslash escapes for control characters,
octal (`\\123`) and hex (`\\x41`) bytes. Decoding works on bytes, since an escaped
byte may be one part of a multi-byte UTF-8 character; the caller decodes the text.
"""

from __future__ import annotations

import re

NULL = b"\\N"
END_OF_DATA = b"\\."

_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_SIMPLE = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_HEADER = re.compile(r'^COPY\s+((?:"(?:[^"]|"")+"|[^\s(".]+)(?:\.(?:"(?:[^"]|"")+"|[^\s(".]+))?)'
                     r"\s*(?:\((.*)\))?\s+FROM\s+stdin;\s*$")
_IDENT = re.compile(r'\s*("(?:[^"]|"")+"|[^\s,"]+)\s*(?:,|$)')


def _unescape_match(m: re.Match[bytes]) -> bytes:
    octal, hexa, other = m.groups()
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])
    if hexa is not None:
        return bytes([int(hexa, 16)])
    return _SIMPLE.get(other, other)


def decode_field(raw: bytes) -> bytes | None:
    """One field of a COPY row: None for `\\N`, else the bytes with escapes resolved."""
    if raw == NULL:
        return None
    if b"\\" not in raw:
        return raw
    return _ESCAPE.sub(_unescape_match, raw)


def split_row(line: bytes) -> list[bytes | None]:
    """Split one data line (without its newline) into decoded fields."""
    return [decode_field(f) for f in line.split(b"\t")]


def _ident(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def parse_copy_header(line: str) -> tuple[str, list[str] | None] | None:
    """`COPY schema.table (a, "b") FROM stdin;` -> ("table", ["a", "b"]); None when not a header.

    The column list is None when the header has none (then the table's own order applies,
    which a dump never relies on).
    """
    m = _HEADER.match(line)
    if m is None:
        return None
    name, cols = m.groups()
    parts = re.findall(r'"(?:[^"]|"")+"|[^.]+', name)
    table = _ident(parts[-1])
    if cols is None:
        return table, None
    columns = []
    pos = 0
    while pos < len(cols):
        cm = _IDENT.match(cols, pos)
        if cm is None or cm.end() == pos:
            return None
        columns.append(_ident(cm.group(1)))
        pos = cm.end()
    return table, columns


def parse_array(text: str) -> list[str | None]:
    """A one-dimensional array literal (`{a,"b,c",NULL}`) -> its elements as strings or None."""
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not an array literal: {text[:40]!r}")
    body = text[1:-1]
    out: list[str | None] = []
    if body == "":
        return out
    i, n = 0, len(body)
    while True:
        if i < n and body[i] == "{":
            raise ValueError("multi-dimensional arrays are not supported")
        if i < n and body[i] == '"':
            i += 1
            chars = []
            while True:
                if i >= n:
                    raise ValueError(f"unterminated quoted element in array: {text[:40]!r}")
                c = body[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError(f"dangling backslash in array: {text[:40]!r}")
                    chars.append(body[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
            out.append("".join(chars))
        else:
            chars = []
            escaped = False
            while i < n and body[i] != ",":
                if body[i] == "\\" and i + 1 < n:
                    chars.append(body[i + 1])
                    escaped = True
                    i += 2
                elif body[i] in '"{}':
                    raise ValueError(f"unexpected {body[i]!r} in array: {text[:40]!r}")
                else:
                    chars.append(body[i])
                    i += 1
            raw = "".join(chars).strip()
            out.append(None if raw.upper() == "NULL" and not escaped else raw)
        if i >= n:
            return out
        if body[i] != ",":
            raise ValueError(f"expected ',' in array at position {i + 1}: {text[:40]!r}")
        i += 1
