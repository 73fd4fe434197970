"""End to end: crawl the recorded reference API and get the reference dataset back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import fast_options
from fake_api import DatasetApi, FakeApiServer

from builder.crawl import crawl
from builder.snapshot import load_snapshot


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_reference(data: Path, reference: dict[str, list[dict[str, Any]]]) -> None:
    for kind in ("categories", "grids", "packages"):
        assert _lines(data / f"{kind}.jsonl") == reference[kind], kind


def test_crawl_equals_reference(recorded_server: FakeApiServer, reference: dict, tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = crawl(recorded_server.url, data, fast_options())

    assert_reference(data, reference)
    snap = load_snapshot(data)  # the build's own loader accepts it
    assert len(snap.packages) == 60 and len(snap.grids) == 8 and len(snap.categories) == 4
    assert snap.packages[1423].grids == [58, 19, 16, 442]  # live order kept
    assert snap.packages[1442].repo_description == "   leading and trailing whitespace   "
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["source"] == {"kind": "crawl", "location": recorded_server.url,
                                  "origin": "https://djangopackages.org"}
    assert manifest["fetched_at"] == report.fetched_at
    assert not (data / "search.jsonl").exists()
    # list pages only: 3 + 1 + 1 pages at the recorded page size of 20, no detail requests
    assert sorted(recorded_server.targets()) == sorted([
        "/api/v4/packages/?limit=20", "/api/v4/packages/?limit=20&offset=20",
        "/api/v4/packages/?limit=20&offset=40", "/api/v4/grids/?limit=20", "/api/v4/categories/?limit=20"])
    assert {h.user_agent for h in recorded_server.hits} == {fast_options().client.user_agent}
    assert report.requests == 5 and report.retries == 0 and report.replaced


def test_crawl_output_is_deterministic(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "data", tmp_path / "b" / "data"
    crawl(recorded_server.url, a, fast_options())
    crawl(recorded_server.url, b, fast_options())
    for name in ("categories.jsonl", "grids.jsonl", "packages.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_larger_pages_mean_fewer_requests(dataset_server: FakeApiServer, reference: dict,
                                          tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = crawl(dataset_server.url, data, fast_options(page_size=7))
    assert_reference(data, reference)
    assert report.requests == 9 + 2 + 1

    dataset_server.hits.clear()
    report = crawl(dataset_server.url, tmp_path / "data2", fast_options(page_size=1000))
    assert report.requests == 3
    assert_reference(tmp_path / "data2", reference)


def test_source_given_as_api_root(recorded_server: FakeApiServer, reference: dict, tmp_path: Path) -> None:
    crawl(recorded_server.url + "/api/v4/", tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", reference)


def test_hyperlinks_of_the_source_itself(reference: dict, tmp_path: Path) -> None:
    """A server whose links name its own host (not djangopackages.org) is crawled the same."""
    api = DatasetApi(reference["categories"], reference["grids"], reference["packages"])
    with FakeApiServer(api) as server:
        api.origin = server.url
        api.replace(reference["categories"], reference["grids"], reference["packages"])
        crawl(server.url, tmp_path / "data", fast_options(page_size=25))
    assert_reference(tmp_path / "data", reference)
    assert load_snapshot(tmp_path / "data").manifest.source.origin == server.url


def test_cli_crawl_prints_summary_and_writes_report(recorded_server: FakeApiServer, reference: dict,
                                                    tmp_path: Path) -> None:
    from click.testing import CliRunner

    from build import cli

    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["crawl", "--source", recorded_server.url, "--data", str(data),
                                      "--page-size", "20", "--rate", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "60 packages, 8 grids, 4 categories" in result.output
    assert "5 requests (0 retries)" in result.output
    assert "packages: 60 added, 0 removed, 0 changed" in result.output
    assert_reference(data, reference)
    report = json.loads((tmp_path / "crawl-report.json").read_text())
    assert report["replaced"] and report["requests"] == 5 and report["counts"]["packages"] == 60


def test_every_crawl_option_is_documented() -> None:
    from build import cli

    doc = (Path(__file__).resolve().parents[2] / "docs" / "crawl.md").read_text(encoding="utf-8")
    options = [opt for param in cli.commands["crawl"].params for opt in param.opts]
    assert options and all(f"`{opt}" in doc for opt in options if opt != "--help")
