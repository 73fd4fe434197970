"""Shared fixtures: the sample snapshot built once with the live base URL, and the reference crawl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.api.resolver import Resolver
from builder.api.rules import netlify_toml
from builder.build import build
from builder.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "fixtures" / "reference"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api") / "site"
    settings = load_settings(data_dir=ROOT / "data", output_dir=out, base_url="https://djangopackages.org")
    build(settings)
    return out


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "netlify.toml"
    path.write_text(netlify_toml(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def resolver(site: Path, config: Path) -> Resolver:
    return Resolver(site, config)


def recorded(api: str) -> list[dict]:
    """The requests of a reference crawl (`v4` or `v3`), each with its body file's path."""
    index = json.loads((REFERENCE / f"api-{api}" / "index.json").read_text(encoding="utf-8"))
    return [{**r, "path": REFERENCE / f"api-{api}" / r["file"]} for r in index["requests"]]
