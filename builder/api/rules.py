"""The Netlify configuration: the build settings, rewrites from API URLs (with their query
strings) onto the files of `layout` and from the feeds' pretty URLs onto their files, the
headers (content types, caching, CORS), and the whole netlify.toml, whose only source is this
module. `builder.netlify_rules` owns the rules' format and how Netlify matches them.

Netlify takes the first rule that matches, and a rewrite to a missing file is a 404 with no
fall-through. So for each endpoint the rules go from the most specific query (format + limit +
offset) to the bare path, literal page sizes (those `paging` says the build writes) before the
`:limit` catch-all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..netlify_rules import HeaderRule, Rule, toml_str
from . import layout
from .paging import DEFAULT_LIMIT, FORMATS, v4_format_pages, v4_pages

ROOT = Path(__file__).resolve().parent.parent.parent
NETLIFY_TOML = ROOT / "netlify.toml"

BUILD = {"command": "python -m pip install -e . && python build.py build && python build.py check",
         "publish": "site"}
BUILD_ENVIRONMENT = {"PYTHON_VERSION": "3.11"}

# Caching. The site changes once a night: an API answer may be served for an hour, a page or
# feed for ten minutes, then revalidated. Files whose names (or `?v=`) carry their content hash
# never change and may be kept forever. No two rules' paths overlap, so no Cache-Control is
# ever combined from two rules.
API_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
PAGE_CACHE = "public, max-age=600, stale-while-revalidate=3600"
IMMUTABLE = "public, max-age=31536000, immutable"
API_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": API_CACHE,
               "X-Content-Type-Options": "nosniff"}
HASHED = ("/static/*", "/search/data/*")
# The HTML pages: the home page, the site's sections and its Markdown pages (content/).
PAGES = ("/", "/packages/*", "/grids/*", "/categories/*", "/search/", "/about/*", "/faq/*", "/api-docs/*")
# The feeds' pretty URLs, each rewritten to its file, by content type.
FEEDS = {
    "/feeds/packages/latest/rss/": "application/rss+xml; charset=utf-8",
    "/feeds/packages/latest/atom/": "application/atom+xml; charset=utf-8",
    "/feeds/packages/whatsnew/rss/": "application/rss+xml; charset=utf-8",
    "/feeds/packages/whatsnew/atom/": "application/atom+xml; charset=utf-8",
}


def _rule(origin: str, to: str, status: int = 200, query: dict[str, str] | None = None) -> Rule:
    return Rule(origin, to, status, query=tuple((query or {}).items()))


def _feed_file(url: str) -> str:
    return url.rstrip("/") + ".xml"


def _page_sizes(fmt: str | None) -> tuple[int, ...]:
    """The page sizes the API stage writes in a format (None: plain JSON), as `paging` lists them."""
    pages = v4_format_pages(0, fmt) if fmt else v4_pages(0, every_offset=False)
    return tuple(dict.fromkeys(limit for limit, _ in pages))


def _pages(path: str, target: str, error: str, fmt: str | None) -> Iterator[Rule]:
    """The pagination rules of one list endpoint in one format; `target` has {limit}/{offset}."""
    base = {"format": fmt} if fmt else {}
    for limit in (0, *_page_sizes(fmt)):
        size = limit or DEFAULT_LIMIT  # DRF treats limit=0 as "no limit given"
        yield _rule(path, target.format(limit=size, offset=":offset"), 200,
                    {**base, "limit": str(limit), "offset": ":offset"})
        yield _rule(path, target.format(limit=size, offset=0), 200, {**base, "limit": str(limit)})
    yield _rule(path, "/" + layout.error(error), 404, {**base, "limit": ":limit"})
    yield _rule(path, target.format(limit=DEFAULT_LIMIT, offset=":offset"), 200,
                {**base, "offset": ":offset"})
    yield _rule(path, target.format(limit=DEFAULT_LIMIT, offset=0), 200, base)


def _v4_page_target(kind: str, fmt: str | None) -> str:
    return "/" + layout.v4_page(kind, "{limit}", "{offset}", fmt)


def v4_rules() -> Iterator[Rule]:
    for fmt in FORMATS:
        yield _rule("/api/v4/", "/" + layout.v4_root(fmt), 200, {"format": fmt})
    yield _rule("/api/v4/", "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
    yield _rule("/api/v4/", "/" + layout.v4_root())
    for kind in layout.V4_LISTS:
        path = f"/api/v4/{kind}/"
        for fmt in FORMATS:
            yield from _pages(path, _v4_page_target(kind, fmt), "v4-page-size", fmt)
        yield _rule(path, "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
        yield from _pages(path, _v4_page_target(kind, None), "v4-page-size", None)
    search = "/api/v4/search/"
    yield _rule(search, "/" + layout.v4_search(), 200, {"q": ""})  # empty q: `[]`
    yield _rule(search, "/" + layout.error("v4-search-browsable"), 404, {"format": "api", "q": ":q"})
    yield _rule(search, "/" + layout.search_term_file(":q"), 200, {"q": ":q"})
    for fmt in FORMATS:
        yield _rule(search, "/" + layout.v4_search(fmt), 200, {"format": fmt})
    yield _rule(search, "/" + layout.v4_search())
    for kind in layout.V4_LISTS:
        path = f"/api/v4/{kind}/:key/"
        for fmt in FORMATS:
            yield _rule(path, "/" + layout.v4_detail(kind, ":key", fmt), 200, {"format": fmt})
        yield _rule(path, "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
        yield _rule(path, "/" + layout.v4_detail(kind, ":key"))
    yield _rule("/api/v4/*", "/" + layout.error("v4-not-found"), 404)


def _v3_pages(path: str, target: str, query: dict[str, str]) -> Iterator[Rule]:
    """API v3 pages: only the default size exists; other sizes answer the page-size error."""
    yield _rule(path, target.format(offset=":offset"), 200,
               {**query, "limit": str(DEFAULT_LIMIT), "offset": ":offset"})
    yield _rule(path, target.format(offset=0), 200, {**query, "limit": str(DEFAULT_LIMIT)})
    yield _rule(path, "/" + layout.error("v3-page-size"), 404, {**query, "limit": ":limit"})
    yield _rule(path, target.format(offset=":offset"), 200, {**query, "offset": ":offset"})
    yield _rule(path, target.format(offset=0), 200, query)


def v3_rules() -> Iterator[Rule]:
    yield _rule("/api/v3/", "/" + layout.v3_root())
    yield _rule("/api/v3/users/*", "/login/?next=/api/v3/users/:splat", 302)
    cat = "/" + layout.v3_category_page(":category", DEFAULT_LIMIT, "{offset}")
    yield from _v3_pages("/api/v3/packages/", cat, {"category": ":category"})
    for kind in layout.V3_LISTS:
        yield from _v3_pages(f"/api/v3/{kind}/", "/" + layout.v3_page(kind, DEFAULT_LIMIT, "{offset}"), {})
    members = "/" + layout.v3_grid_packages(":slug", DEFAULT_LIMIT, "{offset}")
    yield from _v3_pages("/api/v3/grids/:slug/packages/", members, {})
    for kind in layout.V3_LISTS:
        yield _rule(f"/api/v3/{kind}/:slug/", "/" + layout.v3_detail(kind, ":slug"))
    yield _rule("/api/v3/*", "/" + layout.error("v3-not-found"), 404)


def rules() -> list[Rule]:
    """Every redirect rule, in the order Netlify must try them."""
    return [*v4_rules(), *v3_rules(), _rule("/api/*", "/" + layout.error("v4-not-found"), 404), *feed_rules()]


def feed_rules() -> Iterator[Rule]:
    for url in FEEDS:
        yield _rule(url, _feed_file(url))


def headers() -> list[HeaderRule]:
    """Every [[headers]] rule; their paths do not overlap (see the cache policy above)."""
    out = [HeaderRule("/api/*", API_HEADERS)]
    out += [HeaderRule(path, {"Cache-Control": IMMUTABLE}) for path in HASHED]
    out += [HeaderRule(path, {"Cache-Control": PAGE_CACHE}) for path in PAGES]
    for url, ctype in FEEDS.items():  # the file and its pretty URL, whichever path a CDN matches
        out += [HeaderRule(path, {"Content-Type": ctype, "Cache-Control": PAGE_CACHE})
                for path in (_feed_file(url), url)]
    return out


def netlify_toml() -> str:
    """The whole netlify.toml, deterministic."""
    out = ["# Generated by builder/api/rules.py (python -m builder.api.rules): do not edit by hand.",
           "", "[build]"]
    out += [f"  {k} = {toml_str(v)}" for k, v in BUILD.items()]
    out += ["", "[build.environment]"]
    out += [f"  {k} = {toml_str(v)}" for k, v in BUILD_ENVIRONMENT.items()]
    out += [part for rule in [*rules(), *headers()] for part in ("", rule.toml())]
    return "\n".join(out) + "\n"


def write_netlify_toml(path: Path = NETLIFY_TOML) -> bool:
    """Write netlify.toml if it differs; True when it changed."""
    text = netlify_toml()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print("netlify.toml " + ("written" if write_netlify_toml() else "unchanged"))
