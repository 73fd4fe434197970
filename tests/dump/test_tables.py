"""Typing column values: COPY text and dumpdata JSON give the same Python values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from builder.dump.tables import from_json, from_text


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("int", "-318", -318),
    ("str", "", ""),
    ("?str", None, None),
    ("bool", "t", True),
    ("bool", "f", False),
    ("?bool", None, None),
    ("ts", "2026-02-15 19:34:48.018489+00", datetime(2026, 2, 15, 19, 34, 48, 18489, tzinfo=UTC)),
    ("?strs", '{"Framework :: Django","Programming Language :: Python :: 3"}',
     ["Framework :: Django", "Programming Language :: Python :: 3"]),
    ("?strs", "{}", []),
    ("json", "[0, 3, 11]", [0, 3, 11]),
    ("json", '{"a": "tab\\there", "b": [null, true]}', {"a": "tab\there", "b": [None, True]}),
    ("json", "[]", []),
])
def test_from_text(kind: str, text: str | None, expected: object) -> None:
    assert from_text(kind, text) == expected


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("int", None, "is NULL but the column cannot be"),
    ("int", "12a", "invalid literal"),
    ("bool", "true", "not a boolean"),
    ("ts", "2026-02-15 19:34:48", "not a timestamp with time zone"),
    ("?strs", "{a,NULL}", "array holds a NULL element"),
    ("json", "[1,", "Expecting value"),
])
def test_from_text_rejects(kind: str, text: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_text(kind, text)


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("int", 7, 7),
    ("ts", "2012-08-25T04:15:04.650Z", datetime(2012, 8, 25, 4, 15, 4, 650000, tzinfo=UTC)),
    ("?strs", '["MIT"]', ["MIT"]),          # Django serialises an ArrayField as a JSON string
    ("?strs", ["MIT"], ["MIT"]),
    ("?strs", None, None),
    ("json", [1, 2], [1, 2]),
])
def test_from_json(kind: str, value: object, expected: object) -> None:
    assert from_json(kind, value) == expected


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("int", True, "not an integer"),
    ("int", "3", "not an integer"),
    ("bool", 1, "not a boolean"),
    ("str", None, "is null but the field cannot be"),
    ("?strs", '["a", 1]', "not a list of strings"),
])
def test_from_json_rejects(kind: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_json(kind, value)
