"""builder.api.jsonenc: the fast v4 encoder writes exactly what DRF's JSONRenderer (the standard
library's encoder, compact and not ASCII-escaped) writes, for every value the API holds."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.generate import generate_snapshot
from builder.api import browsable, jsonenc
from builder.api.jsonenc import dumps_v4
from builder.build import build
from builder.settings import load_settings

DRF = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
TEXTS = [chr(i) for i in range(0x80)] + ["é", "€", "\u2028", "\u2029", "\ufeff", "\u00a0", "😀", '"\\/']


def drf(obj: Any) -> bytes:
    return DRF.encode(obj).encode("utf-8")


def has_float(data: Any) -> bool:
    if isinstance(data, float):
        return True
    if isinstance(data, dict):
        return any(has_float(v) for v in data.values())
    return isinstance(data, list | tuple) and any(has_float(v) for v in data)


@pytest.mark.parametrize("obj", [
    {"count": 2, "next": None, "results": [{"title": "Ünïcode <b>&amp;</b>", "ok": True}]},
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


class _Watching:
    """orjson, noting whether each value it encodes holds a float."""

    def __init__(self) -> None:
        self.floats: list[bool] = []

    def dumps(self, obj: Any, *args: Any, **kwargs: Any) -> bytes:
        self.floats.append(has_float(obj))
        return orjson.dumps(obj, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(orjson, name)


def test_no_value_the_api_encodes_holds_a_float(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson writes floats unlike DRF (1e-05): the encoders rely on the API holding none."""
    data = tmp_path / "data"
    generate_snapshot(data, 120, 10, seed=5)  # unicode, HTML specials, empty fields, deprecations
    watching = _Watching()
    monkeypatch.setattr(jsonenc, "orjson", watching)
    monkeypatch.setattr(browsable, "orjson", watching)
    build(load_settings(data_dir=data, output_dir=tmp_path / "site"), jobs=1)
    assert len(watching.floats) > 1000 and not any(watching.floats)
