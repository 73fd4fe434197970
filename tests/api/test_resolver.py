"""The resolver follows Netlify's semantics (the same cases were checked against `netlify dev`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.api.resolver import Resolver

CONFIG = '''
[[redirects]]
  from = "/q/"
  to = "/lit.json"
  status = 200
  query = {limit = "20"}
[[redirects]]
  from = "/q/"
  to = "/pages/:limit-:offset.json"
  status = 200
  query = {limit = ":limit", offset = ":offset"}
[[redirects]]
  from = "/q/"
  to = "/sizes.json"
  status = 200
  query = {limit = ":limit"}
[[redirects]]
  from = "/p/:id/"
  to = "/p/:id.json"
  status = 200
[[redirects]]
  from = "/s/"
  to = "/s/q-:q.json"
  status = 200
  query = {q = ":q"}
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
'''


@pytest.fixture()
def resolver(tmp_path: Path) -> Resolver:
    files = {"lit.json": "lit", "pages/7-0.json": "7-0", "sizes.json": "sizes", "p/1.json": "one",
             "s/q-a+b.json": "a b", "s/q-ün.json": "ün", "nf.json": "nf", "static.json": "static",
             "404.html": "<h1>404</h1>"}
    for name, text in files.items():
        (tmp_path / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / name).write_text(json.dumps(text) if name.endswith(".json") else text)
    (tmp_path / "netlify.toml").write_text(CONFIG)
    return Resolver(tmp_path / "site", tmp_path / "netlify.toml")


def _body(resolver: Resolver, url: str) -> tuple[int, str, object]:
    r = resolver.get(url)
    return r.status, r.content_type, json.loads(r.body) if r.content_type == "application/json" else r.body


def test_literal_query_values_before_placeholders(resolver: Resolver) -> None:
    assert _body(resolver, "/q/?limit=20&offset=40") == (200, "application/json", "lit")
    assert _body(resolver, "/q/?offset=0&limit=7&q=x") == (200, "application/json", "7-0")
    assert _body(resolver, "/q/?limit=100") == (200, "application/json", "sizes")


def test_missing_rewrite_target_is_a_404_page_without_fall_through(resolver: Resolver) -> None:
    assert _body(resolver, "/q/?limit=7&offset=3") == (404, "text/html; charset=utf-8", b"<h1>404</h1>")
    assert _body(resolver, "/p/2/")[0] == 404


def test_trailing_slash_is_ignored_and_static_files_shadow(resolver: Resolver) -> None:
    assert _body(resolver, "/p/1")[2] == "one"
    assert _body(resolver, "/static.json") == (200, "application/json", "static")


def test_placeholder_values_are_decoded_with_spaces_as_plus(resolver: Resolver) -> None:
    assert _body(resolver, "/s/?q=a+b")[2] == "a b"
    assert _body(resolver, "/s/?q=a%20b")[2] == "a b"
    assert _body(resolver, "/s/?q=%C3%BCn")[2] == "ün"


def test_redirects_404_rules_and_headers(resolver: Resolver) -> None:
    r = resolver.get("/u/joe/")
    assert (r.status, r.headers["Location"]) == (302, "/login/?next=/u/joe/")
    assert _body(resolver, "/nothing/") == (404, "application/json", "nf")
    assert resolver.get("/p/1/").headers["X-Test"] == "yes"
    assert "X-Test" not in resolver.get("/q/?limit=20").headers
