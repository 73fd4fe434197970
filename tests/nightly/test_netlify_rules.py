"""Reading and matching Netlify rules as Netlify does (builder/netlify_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.netlify_rules import Rule, load_rules, rules_from_redirects_file, rules_from_toml


def target(rule: Rule, path: str, **query: str) -> str | None:
    return rule.target(path, {k: [v] for k, v in query.items()})


def test_placeholders_take_one_segment() -> None:
    rule = Rule("/api/v4/packages/:id/", "/api/v4/packages/:id.json", 200)
    assert target(rule, "/api/v4/packages/12/") == "/api/v4/packages/12.json"
    assert target(rule, "/api/v4/packages/12") == "/api/v4/packages/12.json"  # trailing slash optional
    assert target(rule, "/api/v4/packages/12/x/") is None
    assert target(rule, "/api/v4/packages/") is None


def test_splat_takes_the_rest() -> None:
    rule = Rule("/old/*", "/new/:splat", 301)
    assert target(rule, "/old/a/b/") == "/new/a/b/"
    assert target(rule, "/old") == "/new/"
    assert target(rule, "/older/") is None


def test_query_conditions() -> None:
    rule = Rule("/api/v4/", "/api/v4/page/:offset.json", 200, query=(("format", "json"), ("offset", ":offset")))
    assert target(rule, "/api/v4/", format="json", offset="20") == "/api/v4/page/20.json"
    assert target(rule, "/api/v4/", format="json", offset="20", extra="1") == "/api/v4/page/20.json"
    assert target(rule, "/api/v4/", format="api", offset="20") is None
    assert target(rule, "/api/v4/", format="json") is None


def test_netlify_toml() -> None:
    rules = rules_from_toml('[[redirects]]\nfrom = "/a"\nto = "/b"\n\n[[redirects]]\nfrom = "/c/"\n'
                            'to = "/d.html"\nstatus = 200\nforce = true\nquery = {format = "api"}\n')
    assert rules == [Rule("/a", "/b"), Rule("/c/", "/d.html", 200, True, (("format", "api"),))]
    assert rules[1].fixed_target == "/d.html" and rules[0].fixed_target is None


@pytest.mark.parametrize("text", ['[[redirects]]\nfrom = "/a"\n', "[[redirects]\n"])
def test_netlify_toml_errors_name_the_file(text: str) -> None:
    with pytest.raises(BuildError, match="netlify.toml"):
        rules_from_toml(text)


def test_redirects_file() -> None:
    rules = rules_from_redirects_file("# comment\n/a /b\n/c id=:id /d/:id 200!\n/e https://x.org/ 302\n\n")
    assert rules == [Rule("/a", "/b", file="_redirects"),
                     Rule("/c", "/d/:id", 200, True, (("id", ":id"),), "_redirects"),
                     Rule("/e", "https://x.org/", 302, file="_redirects")]


def test_redirects_file_comes_first(tmp_path: Path) -> None:
    (tmp_path / "netlify.toml").write_text('[[redirects]]\nfrom = "/a"\nto = "/toml"\n')
    (tmp_path / "_redirects").write_text("/a /file\n")
    assert [r.to for r in load_rules(tmp_path / "netlify.toml", tmp_path / "_redirects")] == ["/file", "/toml"]
