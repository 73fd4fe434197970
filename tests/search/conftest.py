"""Shared fixtures: the sample snapshot's search entries and index files."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import search
from builder.model import Snapshot
from builder.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load_snapshot(ROOT / "data")


@pytest.fixture(scope="session")
def items(snapshot: Snapshot) -> list[search.Entry]:
    return search.entries(snapshot)


@pytest.fixture(scope="session")
def index(items: list[search.Entry]) -> search.SearchIndex:
    return search.build_index(items)
