"""The /search/ page: the combobox markup, the index it points at, and the no-JavaScript links."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from builder import search
from builder.build import BuildContext
from builder.model import Snapshot
from builder.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def outputs(snapshot: Snapshot) -> dict[str, bytes | str]:
    settings = replace(Settings(), data_dir=ROOT / "data", base_url="https://example.org/mirror")
    return dict(search.render(BuildContext(settings, snapshot)))


@pytest.fixture(scope="module")
def page(outputs: dict[str, bytes | str]) -> BeautifulSoup:
    html = outputs["search/index.html"]
    assert isinstance(html, str)
    return BeautifulSoup(html, "html.parser")


def test_points_at_the_head(page: BeautifulSoup, outputs: dict[str, bytes | str]) -> None:
    root = page.find(id="search")
    assert root["data-base"] == "/mirror"
    head = root["data-index"]
    assert head.startswith("/mirror/search/data/head.") and head.removeprefix("/mirror/") in outputs


def test_combobox_markup(page: BeautifulSoup) -> None:
    box = page.find(id="search-q")
    assert box["role"] == "combobox" and box["aria-expanded"] == "false" and box["name"] == "q"
    assert page.find(id=box["aria-controls"])["role"] == "listbox"
    assert page.find("label", attrs={"for": "search-q"})
    assert page.find(id="search-status")["role"] == "status"


def test_without_javascript_links_to_the_lists(page: BeautifulSoup, snapshot: Snapshot) -> None:
    links = {a["href"] for a in page.find("noscript").find_all("a")}
    assert {"/mirror/packages/", "/mirror/categories/", "/mirror/grids/"} <= links
    assert {f"/mirror/categories/{c.slug}/" for c in snapshot.categories.values()} <= links


def test_loads_the_script_and_its_styles(page: BeautifulSoup) -> None:
    assert any(s.get("src", "").startswith("/mirror/static/search.js") for s in page.find_all("script"))
    assert any(link["href"].startswith("/mirror/static/search.css?v=") for link in page.find_all("link"))
