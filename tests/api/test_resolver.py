"""The resolver serves a route as Netlify does (the same cases were checked against `netlify dev`);
which rule takes a request is builder.netlify_rules' (tests/nightly/test_netlify_rules.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.api.resolver import Resolver

CONFIG = '''
[[redirects]]
  from = "/p/:id/"
  to = "/p/:id.json"
  status = 200
[[redirects]]
  from = "/u/*"
  to = "/login/?next=/u/:splat"
  status = 302
[[redirects]]
  from = "/*"
  to = "/nf.json"
  status = 404
[[headers]]
  for = "/p/*"
  [headers.values]
    X-Test = "yes"
[[headers]]
  for = "/feed/"
  [headers.values]
    Content-Type = "application/rss+xml; charset=utf-8"
'''


@pytest.fixture()
def resolver(tmp_path: Path) -> Resolver:
    files = {"p/1.json": "one", "nf.json": "nf", "feed/index.html": "<rss/>", "404.html": "<h1>404</h1>"}
    for name, text in files.items():
        (tmp_path / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / name).write_text(json.dumps(text) if name.endswith(".json") else text)
    (tmp_path / "netlify.toml").write_text(CONFIG)
    return Resolver(tmp_path / "site", tmp_path / "netlify.toml")


def _body(resolver: Resolver, url: str) -> tuple[int, str, object]:
    r = resolver.get(url)
    return r.status, r.content_type, json.loads(r.body) if r.content_type == "application/json" else r.body


def test_a_rewrite_serves_its_target_with_the_target_files_content_type(resolver: Resolver) -> None:
    assert _body(resolver, "/p/1") == (200, "application/json", "one")


def test_a_missing_rewrite_target_is_the_sites_404_page(resolver: Resolver, tmp_path: Path) -> None:
    assert _body(resolver, "/p/2/") == (404, "text/html; charset=utf-8", b"<h1>404</h1>")
    (tmp_path / "site" / "404.html").unlink()
    assert _body(resolver, "/p/2/") == (404, "text/plain; charset=utf-8", b"Not Found")


def test_an_error_rule_serves_its_target_with_its_status(resolver: Resolver) -> None:
    assert _body(resolver, "/nothing/") == (404, "application/json", "nf")


def test_a_redirect_answers_its_location(resolver: Resolver) -> None:
    r = resolver.get("/u/joe/")
    assert (r.status, r.headers["Location"], r.body) == (302, "/login/?next=/u/joe/", b"")


def test_headers_by_request_path_override_the_defaults(resolver: Resolver) -> None:
    assert resolver.get("/p/1/").headers["X-Test"] == "yes"
    assert "X-Test" not in resolver.get("/nothing/").headers
    assert _body(resolver, "/feed/") == (200, "application/rss+xml; charset=utf-8", b"<rss/>")


def test_no_file_outside_the_site(resolver: Resolver) -> None:
    assert resolver.get("/../netlify.toml").status == 404
