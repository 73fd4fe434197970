"""netlify.toml is generated, committed, and small; its rules fit the files the build writes."""

from __future__ import annotations

import tomllib

from builder.api.paging import v4_format_pages
from builder.api.rules import FEEDS, NETLIFY_TOML, headers, netlify_toml, rules
from builder.netlify_rules import config_from_toml


def test_committed_netlify_toml_is_the_generated_one() -> None:
    assert NETLIFY_TOML.read_text(encoding="utf-8") == netlify_toml(), \
        "netlify.toml is stale: run python -m builder.api.rules"


def test_config_has_build_settings_rules_and_headers() -> None:
    config = tomllib.loads(netlify_toml())
    assert config["build"] == {
        "command": "python -m pip install -e . && python build.py build && python build.py check",
        "publish": "site", "environment": {"PYTHON_VERSION": "3.11"}}
    assert config_from_toml(netlify_toml()).rules == rules()
    assert len(rules()) < 300  # placeholders, not one rule per entity


def test_browsable_list_pages_only_at_the_sizes_written() -> None:
    written = {str(limit) for limit, _ in v4_format_pages(0, "api")}
    sizes = {dict(r.query)["limit"] for r in rules()
             if r.status == 200 and dict(r.query).get("format") == "api" and "limit" in dict(r.query)}
    assert sizes == written | {"0"}


def test_feeds_have_pretty_urls_and_content_types() -> None:
    config = config_from_toml(netlify_toml())
    for url, ctype in FEEDS.items():
        assert [r.target(url, {}) for r in config.rules if r.target(url, {})] == [url.rstrip("/") + ".xml"]
        assert config.headers_for(url)["Content-Type"] == config.headers_for(url[:-1] + ".xml")["Content-Type"] == ctype


def test_cache_control_never_comes_from_two_header_rules() -> None:
    """Netlify may combine the values of overlapping rules into one invalid Cache-Control."""
    samples = ["/", "/packages/", "/packages/p/django/", "/grids/g/x/", "/about/snapshot/", "/search/",
               "/search/data/head.0123456789.json", "/static/site.css", "/api/v4/packages/",
               "/feeds/packages/latest/rss/", "/feeds/packages/whatsnew/atom.xml"]
    for path in samples:
        caching = [h.path for h in headers() if h.pattern.match(path) and "Cache-Control" in h.values]
        assert len(caching) == 1, (path, caching)
    immutable = {h.path for h in headers() if "immutable" in h.values.get("Cache-Control", "")}
    assert immutable == {"/static/*", "/search/data/*"}
    api = next(h for h in headers() if h.path == "/api/*").values
    assert api["Access-Control-Allow-Origin"] == "*" and api["X-Content-Type-Options"] == "nosniff"
