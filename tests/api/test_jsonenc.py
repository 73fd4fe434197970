"""builder.api.jsonenc: the fast v4 encoder writes exactly what DRF's JSONRenderer (the standard
library's encoder, compact and not ASCII-escaped) writes."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from builder.api.jsonenc import dumps_v4, has_float

DRF = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
TEXTS = [chr(i) for i in range(0x80)] + ["é", "€", "\u2028", "\u2029", "\ufeff", "\u00a0", "😀", '"\\/']


def drf(obj: Any) -> bytes:
    return DRF.encode(obj).encode("utf-8")


@pytest.mark.parametrize("obj", [
    {"count": 2, "next": None, "results": [{"title": "Ünïcode <b>&amp;</b>", "ok": True}]},
    {"score": 1.5, "tiny": 1e-05, "big": 1e16},  # floats: the standard library's text
    {"huge": 2**70},  # past 64 bits: orjson refuses it
    {1: "an int key", "nested": ({"t": (1, 2)},)},  # a key that is not a string; tuples
    [], {}, "", 0, -1, None,
])
def test_the_same_bytes_as_drf(obj: Any) -> None:
    assert dumps_v4(obj) == drf(obj)


def test_every_control_character_and_unicode_text() -> None:
    rng = random.Random(6)
    for _ in range(3000):
        text = "".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 10)))
        obj = {text: [text, {"description": text}], "slug": text}
        assert dumps_v4(obj) == drf(obj), repr(text)


def test_has_float_looks_everywhere() -> None:
    assert has_float({"a": [1, {"b": (2, 0.5)}]}) and has_float(0.0)
    assert not has_float({"a": [1, {"b": (2, "0.5")}], "c": None, "d": True})
