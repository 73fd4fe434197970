"""`check`: each kind of breakage in a deliberately broken site is found; sound sites pass."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from build import cli
from builder.build import build
from builder.check import CheckProblem, check_site, page_links
from builder.settings import ROOT, load_settings

from . import sites


def problems(tmp_path: Path, changes: dict[str, str | bytes | None], **options: object) -> list[CheckProblem]:
    site = sites.write_site(tmp_path, changes)
    return check_site(site, base_url=sites.BASE_URL, netlify_toml=sites.write_rules(tmp_path),
                      **options).problems  # type: ignore[arg-type]


def test_the_sound_site_passes(tmp_path: Path) -> None:
    result = check_site(sites.write_site(tmp_path), base_url=sites.BASE_URL,
                        netlify_toml=sites.write_rules(tmp_path))
    assert result.problems == []
    assert result.links > 40 and result.sitemap_urls == 4


def test_broken_link(tmp_path: Path) -> None:
    found = problems(tmp_path, {"packages/p/alpha/index.html": sites.page("/", '<a href="../beta/">B</a>')})
    assert [(p.file, p.target) for p in found] == [("packages/p/alpha/index.html", "../beta/")]
    assert found[0].what.startswith("broken link")


@pytest.mark.parametrize(("missing", "tag"), [
    ("static/logo.png", "image"), ("static/logo@2x.png", "srcset image"), ("static/site.css", "stylesheet"),
    ("static/app.js", "script"), ("search/index.html", "form action"),
])
def test_missing_asset_is_found_on_every_page(tmp_path: Path, missing: str, tag: str) -> None:
    found = problems(tmp_path, {missing: None})
    html_pages = {rel for rel in sites.files() if rel.endswith(".html") and rel != missing}
    assert {p.file for p in found} == html_pages, tag
    assert all(p.target.startswith("/" + missing.removesuffix("index.html")) for p in found)


def test_link_answered_by_a_404_rule_is_broken(tmp_path: Path) -> None:
    found = problems(tmp_path, {"index.html": sites.page("/", '<a href="/api/v4/">API</a>')})
    assert [(p.file, p.target) for p in found] == [("index.html", "/api/v4/")]
    assert "404" in found[0].what


def test_rule_rewriting_to_a_missing_fixed_file(tmp_path: Path) -> None:
    found = problems(tmp_path, {"api/v4/browsable.html": None, "index.html": sites.page("/")})
    assert [(p.file, p.what, p.target) for p in found] == [
        ("netlify.toml", "rewrite to a missing file", "/api/v4/ format=api -> /api/v4/browsable.html")]


def test_rewrite_to_a_missing_file_is_broken(tmp_path: Path) -> None:
    found = problems(tmp_path, {"index.html": sites.page("/", '<a href="/api/v4/packages/2/">2</a>')})
    assert [p.target for p in found] == ["/api/v4/packages/2/"]
    assert "rewrites it to missing /api/v4/packages/2.json" in found[0].what


def test_redirect_to_a_missing_page_is_broken(tmp_path: Path) -> None:
    found = problems(tmp_path, {"index.html": sites.page("/", '<a href="/old/p/beta/">gone</a>')})
    assert [p.target for p in found] == ["/old/p/beta/"]
    assert "redirects to /packages/p/beta/" in found[0].what


def test_absolute_link_to_the_site_is_checked(tmp_path: Path) -> None:
    found = problems(tmp_path, {"index.html": sites.page("/", '<a href="https://example.org/nope/">x</a>')})
    assert [p.target for p in found] == ["https://example.org/nope/"]


def test_bad_json(tmp_path: Path) -> None:
    found = problems(tmp_path, {"api/v4/packages/1.json": '{"id": 1,'})
    assert [(p.file, p.what) for p in found] == [("api/v4/packages/1.json", "invalid JSON")]


def test_bad_xml_feed(tmp_path: Path) -> None:
    found = problems(tmp_path, {"feeds/rss.xml": "<rss><channel></rss>"})
    assert [(p.file, p.what) for p in found] == [("feeds/rss.xml", "invalid XML")]


def test_sitemap_url_without_a_page(tmp_path: Path) -> None:
    urls = ["/", "/packages/p/beta/", "/api/v4/packages/1/", "/old/p/alpha/"]
    found = problems(tmp_path, {"sitemap-pages.xml": sites.sitemap(urls)})
    assert [(p.file, p.what.split(" (")[0], p.target) for p in found] == [
        ("sitemap-pages.xml", "sitemap URL has no page", "https://example.org/packages/p/beta/"),
        ("sitemap-pages.xml", "sitemap URL redirects", "https://example.org/old/p/alpha/"),
    ]  # a rewrite (200) to a file is a page


def test_sitemap_child_missing_and_foreign_urls(tmp_path: Path) -> None:
    index = sites.SITEMAP_INDEX.replace("</sitemapindex>", "<sitemap><loc>https://example.org/sitemap-2.xml"
                                        "</loc></sitemap></sitemapindex>")
    foreign = sites.sitemap(["/"]).replace("example.org", "other.org")
    found = problems(tmp_path, {"sitemap.xml": index, "sitemap-pages.xml": foreign})
    assert {(p.what, p.target) for p in found} == {
        ("sitemap file missing", "https://example.org/sitemap-2.xml"),
        ("sitemap URL outside the site", "https://other.org/"),
    }


def test_no_sitemap(tmp_path: Path) -> None:
    found = problems(tmp_path, {"sitemap.xml": None})
    assert [(p.file, p.what) for p in found] == [("sitemap.xml", "missing")]


def test_file_over_the_size_budget(tmp_path: Path) -> None:
    found = problems(tmp_path, {"static/huge.bin": b"\0" * 2048}, max_file_size=1024)
    assert [(p.file, p.what, p.target) for p in found] == [
        ("static/huge.bin", "file too large", "2,048 bytes > 1,024 allowed")]


def test_base_path_prefix(tmp_path: Path) -> None:
    """A site built for https://example.org/sub links to /sub/...; a link to /other/ leaves it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<a href="/sub/a/">a</a><a href="/other/">x</a><a href="a/">rel</a>')
    (site / "a").mkdir()
    (site / "a" / "index.html").write_text('<a href="/sub/">up</a>')
    (site / "sitemap.xml").write_text(sites.sitemap(["/sub/", "/sub/a/"]))
    result = check_site(site, base_url="https://example.org/sub/")
    assert [(p.file, p.target) for p in result.problems] == [("index.html", "/other/")]
    assert "outside the site's base path" in result.problems[0].what


def test_page_links_reads_every_loading_attribute() -> None:
    html = ('<a href="a"></a><link href="b"><script src="c"></script><img src="d" srcset="e 1x, f 2x">'
            '<source srcset="g"><form action="h"></form><iframe src="i"></iframe><div data-x="no"></div>')
    assert page_links(html) == list("abcdefghi")


def test_cli_lists_each_problem_and_exits_1(tmp_path: Path) -> None:
    site = sites.write_site(tmp_path, {"api/v4/index.json": "nope", "static/app.js": None})
    args = ["check", "--site", str(site), "--netlify-toml", str(sites.write_rules(tmp_path)),
            "--base-url", sites.BASE_URL]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "api/v4/index.json: invalid JSON: Expecting value: line 1 column 1 (char 0)" in lines
    assert "index.html: broken link (no file; the rule from /* answers 404): /static/app.js" in lines
    assert lines[-1].startswith("Error: ") and "problem(s)" in lines[-1]


def test_cli_passes_a_sound_site(tmp_path: Path) -> None:
    site = sites.write_site(tmp_path)
    args = ["check", "--site", str(site), "--netlify-toml", str(sites.write_rules(tmp_path)),
            "--base-url", sites.BASE_URL, "--max-file-size", "100000"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "no problem(s)" in result.output


def test_report_json_is_checked_like_any_json(tmp_path: Path) -> None:
    found = problems(tmp_path, {"report.json": json.dumps({"ok": True})[:-1]})
    assert [p.file for p in found] == ["report.json"]


# The real site


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the sample snapshot in data/, as the workflow builds it."""
    settings = replace(load_settings(), output_dir=tmp_path_factory.mktemp("real") / "site")
    return build(settings).output_dir


def test_a_good_build_passes(real_site: Path) -> None:
    toml = ROOT / "netlify.toml"
    result = check_site(real_site, base_url=load_settings().base_url,
                        netlify_toml=toml if toml.exists() else None)
    assert [str(p) for p in result.problems] == []
    assert result.links > 1000 and result.sitemap_urls > 50


def test_missing_site_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--site", str(tmp_path / "nope")], catch_exceptions=False)
    assert result.exit_code == 1 and "no such site folder" in result.output
