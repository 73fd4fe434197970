"""Fixtures of the crawler tests: the reference dataset, a fake API server, fast crawl options."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import DatasetApi, FakeApiServer, RecordedApi  # noqa: E402

from builder.crawl import ClientSettings, CrawlOptions  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "api-v4"
_LINK = re.compile(r"/api/v4/(?:packages|grids|categories)/(\d+)/$")


def _id(link: str) -> int:
    match = _LINK.search(link)
    assert match, link
    return int(match[1])


def reference_records() -> dict[str, list[dict[str, Any]]]:
    """The reference dataset as snapshot records, built from the recorded *detail* responses."""
    index = json.loads((REFERENCE / "index.json").read_text(encoding="utf-8"))
    out: dict[str, dict[int, dict[str, Any]]] = {"categories": {}, "grids": {}, "packages": {}}
    for req in index["requests"]:
        match = re.fullmatch(r"/api/v4/(packages|grids|categories)/(\d+)/", req["url"])
        if not match or req["status"] != 200 or "accept" in req:
            continue
        obj = json.loads((REFERENCE / req["file"]).read_text(encoding="utf-8"))
        kind = match[1]
        if kind == "packages":
            obj = {**obj, "category": _id(obj["category"]), "grids": [_id(g) for g in obj["grids"]],
                   "extra": None}
        elif kind == "grids":
            obj = {**obj, "packages": [_id(p) for p in obj["packages"]], "features": None, "elements": None}
        out[kind][obj["id"]] = obj
    return {kind: [objs[i] for i in sorted(objs)] for kind, objs in out.items()}


@pytest.fixture(scope="session")
def reference() -> dict[str, list[dict[str, Any]]]:
    return reference_records()


@pytest.fixture
def recorded_server() -> Iterator[FakeApiServer]:
    with FakeApiServer(RecordedApi(REFERENCE)) as server:
        yield server


@pytest.fixture
def dataset_server(reference: dict[str, list[dict[str, Any]]]) -> Iterator[FakeApiServer]:
    api = DatasetApi(reference["categories"], reference["grids"], reference["packages"])
    with FakeApiServer(api) as server:
        yield server


def fast_options(**overrides: Any) -> CrawlOptions:
    """Crawl options for tests: the recorded page size, short timeouts and backoff, no rate cap."""
    client = ClientSettings(concurrency=4, rate=0, connect_timeout=1.0, read_timeout=0.3, max_tries=4,
                            backoff_base=0.01, backoff_cap=0.05)
    for name in list(overrides):
        if hasattr(client, name):
            setattr(client, name, overrides.pop(name))
    return CrawlOptions(page_size=overrides.pop("page_size", 20), client=client, **overrides)
