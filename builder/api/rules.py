"""The Netlify configuration: rewrites from API URLs (with their query strings) onto the files
of `layout`, the API headers, and the whole netlify.toml, whose only source is this module.

Netlify picks the first rule whose path matches (trailing slash ignored) and whose query
parameters are all present, literal values matching exactly; a rewrite to a missing file is a
404 with no fall-through. So for each endpoint the rules go from the most specific query
(format + limit + offset) to the bare path, literal page sizes before the `:limit` catch-all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import layout
from .paging import DEFAULT_LIMIT, FORMATS, LARGE_LIMITS

ROOT = Path(__file__).resolve().parent.parent.parent
NETLIFY_TOML = ROOT / "netlify.toml"

BUILD = {"command": "python build.py build", "publish": "site"}
# Static netlify.toml sections that are not API rules (e.g. the nightly job's settings): add
# them here, as TOML text, so that the generated file stays the single source.
EXTRA_TOML = ""

API_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    # The snapshot is rebuilt nightly: caches may serve an answer for an hour and revalidate.
    "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Rule:
    """One [[redirects]] entry."""

    origin: str
    to: str
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)
    force: bool = False


def _pages(path: str, target: str, error: str, fmt: str | None) -> Iterator[Rule]:
    """The pagination rules of one list endpoint in one format; `target` has {limit}/{offset}."""
    base = {"format": fmt} if fmt else {}
    for limit in (0, DEFAULT_LIMIT, *LARGE_LIMITS):
        size = limit or DEFAULT_LIMIT  # DRF treats limit=0 as "no limit given"
        yield Rule(path, target.format(limit=size, offset=":offset"), 200,
                   {**base, "limit": str(limit), "offset": ":offset"})
        yield Rule(path, target.format(limit=size, offset=0), 200, {**base, "limit": str(limit)})
    yield Rule(path, layout.error(error), 404, {**base, "limit": ":limit"})
    yield Rule(path, target.format(limit=DEFAULT_LIMIT, offset=":offset"), 200,
               {**base, "offset": ":offset"})
    yield Rule(path, target.format(limit=DEFAULT_LIMIT, offset=0), 200, base)


def _v4_page_target(kind: str, fmt: str | None) -> str:
    return "/" + layout.v4_page(kind, "{limit}", "{offset}", fmt)


def v4_rules() -> Iterator[Rule]:
    for fmt in FORMATS:
        yield Rule("/api/v4/", "/" + layout.v4_root(fmt), 200, {"format": fmt})
    yield Rule("/api/v4/", "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
    yield Rule("/api/v4/", "/" + layout.v4_root())
    for kind in layout.V4_LISTS:
        path = f"/api/v4/{kind}/"
        for fmt in FORMATS:
            yield from _pages(path, _v4_page_target(kind, fmt), "v4-page-size", fmt)
        yield Rule(path, "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
        yield from _pages(path, _v4_page_target(kind, None), "v4-page-size", None)
    search = "/api/v4/search/"
    yield Rule(search, "/" + layout.v4_search(), 200, {"q": ""})  # empty q: `[]`
    yield Rule(search, "/" + layout.search_term_file(":q").replace(".json", ".format-api.html"), 200,
               {"format": "api", "q": ":q"})
    yield Rule(search, "/" + layout.search_term_file(":q"), 200, {"q": ":q"})
    for fmt in FORMATS:
        yield Rule(search, "/" + layout.v4_search(fmt), 200, {"format": fmt})
    yield Rule(search, "/" + layout.v4_search())
    for kind in layout.V4_LISTS:
        path = f"/api/v4/{kind}/:key/"
        for fmt in FORMATS:
            yield Rule(path, "/" + layout.v4_detail(kind, ":key", fmt), 200, {"format": fmt})
        yield Rule(path, "/" + layout.error("v4-not-found"), 404, {"format": ":format"})
        yield Rule(path, "/" + layout.v4_detail(kind, ":key"))
    yield Rule("/api/v4/*", "/" + layout.error("v4-not-found"), 404)


def _v3_pages(path: str, target: str, query: dict[str, str]) -> Iterator[Rule]:
    """API v3 pages: only the default size exists; other sizes answer the page-size error."""
    yield Rule(path, target.format(offset=":offset"), 200,
               {**query, "limit": str(DEFAULT_LIMIT), "offset": ":offset"})
    yield Rule(path, target.format(offset=0), 200, {**query, "limit": str(DEFAULT_LIMIT)})
    yield Rule(path, "/" + layout.error("v3-page-size"), 404, {**query, "limit": ":limit"})
    yield Rule(path, target.format(offset=":offset"), 200, {**query, "offset": ":offset"})
    yield Rule(path, target.format(offset=0), 200, query)


def v3_rules() -> Iterator[Rule]:
    yield Rule("/api/v3/", "/" + layout.v3_root())
    yield Rule("/api/v3/users/*", "/login/?next=/api/v3/users/:splat", 302)
    cat = "/" + layout.v3_category_page(":category", DEFAULT_LIMIT, "{offset}")
    yield from _v3_pages("/api/v3/packages/", cat, {"category": ":category"})
    for kind in layout.V3_LISTS:
        yield from _v3_pages(f"/api/v3/{kind}/", "/" + layout.v3_page(kind, DEFAULT_LIMIT, "{offset}"), {})
    members = "/" + layout.v3_grid_packages(":slug", DEFAULT_LIMIT, "{offset}")
    yield from _v3_pages("/api/v3/grids/:slug/packages/", members, {})
    for kind in layout.V3_LISTS:
        yield Rule(f"/api/v3/{kind}/:slug/", "/" + layout.v3_detail(kind, ":slug"))
    yield Rule("/api/v3/*", "/" + layout.error("v3-not-found"), 404)


def rules() -> list[Rule]:
    """Every redirect rule, in the order Netlify must try them."""
    return [*v4_rules(), *v3_rules(), Rule("/api/*", "/" + layout.error("v4-not-found"), 404)]


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def netlify_toml() -> str:
    """The whole netlify.toml, deterministic."""
    out = ["# Generated by builder/api/rules.py (python -m builder.api.rules): do not edit by hand.",
           "", "[build]"]
    out += [f"  {k} = {_toml_str(v)}" for k, v in BUILD.items()]
    if EXTRA_TOML.strip():
        out += ["", EXTRA_TOML.strip()]
    for rule in rules():
        out += ["", "[[redirects]]", f"  from = {_toml_str(rule.origin)}", f"  to = {_toml_str(rule.to)}",
                f"  status = {rule.status}"]
        if rule.force:
            out.append("  force = true")
        if rule.query:
            pairs = ", ".join(f"{k} = {_toml_str(v)}" for k, v in rule.query.items())
            out.append(f"  query = {{{pairs}}}")
    out += ["", "[[headers]]", '  for = "/api/*"', "  [headers.values]"]
    out += [f"    {k} = {_toml_str(v)}" for k, v in API_HEADERS.items()]
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
