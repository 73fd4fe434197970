"""Round trip: crawl the reference, build our static site from it, crawl that, get the same snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import fast_options
from fake_api import FakeApiServer

from builder.crawl import crawl

FILES = ("categories.jsonl", "grids.jsonl", "packages.jsonl")


@pytest.mark.parametrize("page_size", [20, 100])
def test_crawl_of_our_own_static_copy(page_size: int, recorded_server: FakeApiServer,
                                      tmp_path: Path) -> None:
    build = pytest.importorskip("builder.build")
    serve = pytest.importorskip("builder.serve")
    from builder.settings import load_settings

    first = tmp_path / "first" / "data"
    crawl(recorded_server.url, first, fast_options())
    site = tmp_path / "site"
    build.build(load_settings(None, data_dir=first, output_dir=site, base_url="https://djangopackages.org"))

    server, url = serve.serve_in_thread(site)
    try:
        second = tmp_path / "second" / "data"
        report = crawl(url, second, fast_options(page_size=page_size))
    finally:
        server.shutdown()
        server.server_close()
    for name in FILES:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    assert report.origin == "https://djangopackages.org"
