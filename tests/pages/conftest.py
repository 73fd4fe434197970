"""Build the page stage once per session from the fixture snapshot; tests read the files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from builder.build import BuildContext
from builder.render_pages import render
from builder.settings import Settings
from builder.snapshot import load_snapshot

from . import fixture

BASE_URL = "https://example.org"


class Site:
    """The built files of one page-stage run."""

    def __init__(self, root: Path, files: dict[str, bytes]) -> None:
        self.root = root
        self.files = files

    def text(self, path: str) -> str:
        return self.files[path].decode("utf-8")

    def soup(self, path: str) -> BeautifulSoup:
        return BeautifulSoup(self.text(path), "html.parser")

    def html_paths(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".html"))


def build_pages(data_dir: Path, **settings: object) -> dict[str, bytes]:
    snapshot = load_snapshot(data_dir)
    cfg = replace(Settings(), data_dir=data_dir, **settings)
    files: dict[str, bytes] = {}
    for path, data in render(BuildContext(cfg, snapshot)):
        assert path not in files, f"two outputs claim {path}"
        files[path] = data.encode("utf-8") if isinstance(data, str) else data
    return files


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    data = fixture.write(tmp_path_factory.mktemp("pages") / "data")
    return Site(data, build_pages(data, base_url=BASE_URL))
