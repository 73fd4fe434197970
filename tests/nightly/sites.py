"""A small sound site to break on purpose: a helper module for the check tests, not a test file."""

from __future__ import annotations

from pathlib import Path

BASE_URL = "https://example.org"

PAGE = """<!doctype html><html><head><title>{title}</title>
<link rel="stylesheet" href="/static/site.css?v=1"><link rel="icon" href="/static/icon.svg">
<link rel="canonical" href="https://example.org{path}"><script src="/static/app.js" defer></script>
</head><body><a href="/">Home</a> <a href="/packages/">Packages</a>
<a href="https://github.com/x/y">off-site</a> <a href="mailto:a@example.org">mail</a> <a href="#top">top</a>
<img src="/static/logo.png" srcset="/static/logo.png 1x, /static/logo@2x.png 2x" alt="">
<form action="/search/" method="get"><input name="q"></form>{body}</body></html>"""

SITEMAP_INDEX = """<?xml version="1.0" encoding="utf-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.org/sitemap-pages.xml</loc></sitemap></sitemapindex>"""

SITEMAP = """<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>"""

NETLIFY_TOML = """[build]
command = "python build.py build"
publish = "site"

[[redirects]]
from = "/api/v4/packages/:id/"
to = "/api/v4/packages/:id.json"
status = 200

[[redirects]]
from = "/old/*"
to = "/packages/:splat"
status = 301

[[redirects]]
from = "/api/v4/"
to = "/api/v4/browsable.html"
status = 200
force = true
query = {format = "api"}

[[redirects]]
from = "/*"
to = "/404.html"
status = 404
"""


def page(path: str, body: str = "", title: str = "A page") -> str:
    return PAGE.format(title=title, path=path, body=body)


def sitemap(paths: list[str]) -> str:
    return SITEMAP.format(urls="".join(f"<url><loc>{BASE_URL}{p}</loc></url>" for p in paths))


def files() -> dict[str, str | bytes]:
    """Every file of the sound site, by site path."""
    return {
        "index.html": page("/", '<a href="packages/p/alpha/">Alpha</a> <a href="/api/v4/packages/1/">API</a>'
                                ' <a href="/old/p/alpha/">moved</a> <a href="/api/v4/?format=api">browse</a>'
                                ' <a href="https://example.org/packages/">absolute</a>'),
        "packages/index.html": page("/packages/", '<a href="p/alpha/">A</a> <a href="p/alpha">no slash</a>'),
        "packages/p/alpha/index.html": page("/packages/p/alpha/", '<a href="../../">All</a>'),
        "search/index.html": page("/search/"),
        "404.html": page("/404.html"),
        "static/site.css": "body{}",
        "static/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "static/app.js": "",
        "static/logo.png": b"\x89PNG",
        "static/logo@2x.png": b"\x89PNG",
        "api/v4/packages/1.json": '{"id": 1}',
        "api/v4/index.json": "{}",
        "api/v4/browsable.html": page("/api/v4/?format=api"),
        "sitemap.xml": SITEMAP_INDEX,
        "sitemap-pages.xml": sitemap(["/", "/packages/", "/packages/p/alpha/"]),
    }


def write_site(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """Write the sound site into root/site with `changes` applied (None deletes a file); return it."""
    site = root / "site"
    content = {**files(), **(changes or {})}
    for rel, data in content.items():
        if data is None:
            continue
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return site


def write_rules(root: Path) -> Path:
    path = root / "netlify.toml"
    path.write_text(NETLIFY_TOML, encoding="utf-8")
    return path
