"""Reading, writing and matching Netlify rules as Netlify does (builder/netlify_rules.py).

The matching cases were checked against `netlify dev`."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.netlify_rules import (
    Config,
    HeaderRule,
    Route,
    Rule,
    config_from_toml,
    file_for,
    load_config,
    parse_query,
    route,
    rules_from_redirects_file,
)


def test_placeholders_take_one_segment() -> None:
    rule = Rule("/api/v4/packages/:id/", "/api/v4/packages/:id.json", 200)
    assert rule.target("/api/v4/packages/12/", {}) == "/api/v4/packages/12.json"
    assert rule.target("/api/v4/packages/12", {}) == "/api/v4/packages/12.json"  # trailing slash optional
    assert rule.target("/api/v4/packages/12/x/", {}) is None
    assert rule.target("/api/v4/packages/", {}) is None


def test_splat_takes_the_rest() -> None:
    rule = Rule("/old/*", "/new/:splat", 301)
    assert rule.target("/old/a/b/", {}) == "/new/a/b/"
    assert rule.target("/old", {}) == "/new/"
    assert rule.target("/older/", {}) is None


def test_query_conditions() -> None:
    rule = Rule("/api/v4/", "/api/v4/page/:offset.json", 200, query=(("format", "json"), ("offset", ":offset")))
    assert rule.target("/api/v4/", {"format": "json", "offset": "20"}) == "/api/v4/page/20.json"
    assert rule.target("/api/v4/", {"format": "json", "offset": "20", "extra": "1"}) == "/api/v4/page/20.json"
    assert rule.target("/api/v4/", {"format": "api", "offset": "20"}) is None
    assert rule.target("/api/v4/", {"format": "json"}) is None


def test_placeholder_values_are_decoded_with_spaces_as_plus() -> None:
    rule = Rule("/s/", "/s/q-:q.json", 200, query=(("q", ":q"),))
    for query in ("q=a+b", "q=a%20b"):
        assert rule.target("/s/", parse_query(query)) == "/s/q-a+b.json"
    assert rule.target("/s/", parse_query("q=%C3%BCn")) == "/s/q-ün.json"


FILES = {"lit.json", "pages/7-0.json", "static.json", "a/index.html", "b.html"}
RULES = [
    Rule("/q/", "/lit.json", 200, query=(("limit", "20"),)),
    Rule("/q/", "/pages/:limit-:offset.json", 200, query=(("limit", ":limit"), ("offset", ":offset"))),
    Rule("/q/", "/sizes.json", 200, query=(("limit", ":limit"),)),
    Rule("/static.json", "/lit.json", 200),
    Rule("/forced/", "/lit.json", 200, force=True),
    Rule("/*", "/nf.json", 404),
]


def _route(url: str, files: set[str] = FILES) -> Route:
    path, _, query = url.partition("?")
    return route(RULES, path, parse_query(query), files.__contains__)


def test_the_first_matching_rule_decides_and_a_missing_target_does_not_fall_through() -> None:
    assert _route("/q/?limit=20&offset=40") == Route(RULES[0], "/lit.json", "lit.json")
    assert _route("/q/?offset=0&limit=7&q=x") == Route(RULES[1], "/pages/7-0.json", "pages/7-0.json")
    assert _route("/q/?limit=7&offset=3") == Route(RULES[1], "/pages/7-3.json", None)
    assert _route("/nothing/") == Route(RULES[5], "/nf.json", None)


def test_a_file_shadows_rules_that_are_not_forced() -> None:
    assert _route("/static.json") == Route(None, None, "static.json")
    assert _route("/forced/", FILES | {"forced/index.html"}) == Route(RULES[4], "/lit.json", "lit.json")


def test_file_for_a_path() -> None:
    assert [file_for(p, FILES.__contains__) for p in ("/a/", "/a", "/b", "/b/", "/static.json")] == \
        ["a/index.html", "a/index.html", "b.html", None, "static.json"]


def test_repeated_query_parameter_takes_the_last_value() -> None:
    assert parse_query("limit=1&limit=20&q=") == {"limit": "20", "q": ""}


def test_netlify_toml() -> None:
    config = config_from_toml(
        '[[redirects]]\nfrom = "/a"\nto = "/b"\n\n[[redirects]]\nfrom = "/c/"\nto = "/d.html"\nstatus = 200\n'
        'force = true\nquery = {format = "api"}\n\n[[headers]]\nfor = "/p/*"\n[headers.values]\nX-Test = "yes"\n')
    assert config == Config([Rule("/a", "/b"), Rule("/c/", "/d.html", 200, True, (("format", "api"),))],
                            [HeaderRule("/p/*", {"X-Test": "yes"})])
    assert config.rules[1].fixed_target == "/d.html" and config.rules[0].fixed_target is None


def test_rules_written_as_toml_read_back_equal() -> None:
    config = Config(RULES, [HeaderRule("/a/*", {"Cache-Control": "no-cache", "X-A": "1"})])
    text = "\n\n".join(r.toml() for r in [*config.rules, *config.headers])
    assert config_from_toml(text) == config


def test_headers_by_request_path_later_rules_override() -> None:
    config = Config(headers=[HeaderRule("/p/*", {"X-A": "1", "X-B": "1"}), HeaderRule("/p/:id/", {"X-B": "2"}),
                             HeaderRule("/feed.xml", {"X-C": "1"})])
    assert config.headers_for("/p/1/") == {"X-A": "1", "X-B": "2"}
    assert config.headers_for("/P") == {"X-A": "1", "X-B": "1"}  # `for` ignores case
    assert config.headers_for("/feed/") == {}


@pytest.mark.parametrize("text", ['[[redirects]]\nfrom = "/a"\n', "[[redirects]\n", "[[headers]]\n"])
def test_netlify_toml_errors_name_the_file(text: str) -> None:
    with pytest.raises(BuildError, match="netlify.toml"):
        config_from_toml(text)


def test_redirects_file() -> None:
    rules = rules_from_redirects_file("# comment\n/a /b\n/c id=:id /d/:id 200!\n/e https://x.org/ 302\n\n")
    assert rules == [Rule("/a", "/b", file="_redirects"),
                     Rule("/c", "/d/:id", 200, True, (("id", ":id"),), "_redirects"),
                     Rule("/e", "https://x.org/", 302, file="_redirects")]


def test_redirects_file_comes_first(tmp_path: Path) -> None:
    (tmp_path / "netlify.toml").write_text('[[redirects]]\nfrom = "/a"\nto = "/toml"\n')
    (tmp_path / "_redirects").write_text("/a /file\n")
    config = load_config(tmp_path / "netlify.toml", tmp_path / "_redirects")
    assert [r.to for r in config.rules] == ["/file", "/toml"]


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="nope.toml: cannot read the Netlify configuration"):
        load_config(tmp_path / "nope.toml")
