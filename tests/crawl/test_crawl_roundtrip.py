"""Round trip: crawl the reference, build our static site from it, crawl that, get the same snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REFERENCE, fast_options
from fake_api import FakeApiServer, RecordedApi

from builder.crawl import crawl

FILES = ("categories.jsonl", "grids.jsonl", "packages.jsonl")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(the reference crawled into a snapshot, the URL of our static site built from it)."""
    build = pytest.importorskip("builder.build")
    serve = pytest.importorskip("builder.serve")
    from builder.settings import load_settings

    tmp = tmp_path_factory.mktemp("roundtrip")
    with FakeApiServer(RecordedApi(REFERENCE)) as recorded:
        crawl(recorded.url, tmp / "first" / "data", fast_options())
    build.build(load_settings(None, data_dir=tmp / "first" / "data", output_dir=tmp / "site",
                              base_url="https://djangopackages.org"))
    server, url = serve.serve_in_thread(tmp / "site")
    try:
        yield tmp / "first" / "data", url
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("page_size", [20, 100, 1000])
def test_crawl_of_our_own_static_copy(page_size: int, built: tuple[Path, str], tmp_path: Path) -> None:
    first, url = built
    second = tmp_path / "data"
    report = crawl(url, second, fast_options(page_size=page_size))
    for name in FILES:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    assert report.origin == "https://djangopackages.org"
