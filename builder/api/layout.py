"""Where each API answer lives in site/: the one naming scheme shared by the render stage and
the Netlify rules (every JSON file ends in `.json`, so any host serves the right content type).

    api/v4/index.json                          /api/v4/
    api/v4/packages/page/20/40.json            /api/v4/packages/?limit=20&offset=40
    api/v4/packages/1423.json                  /api/v4/packages/1423/ (and by slug)
    api/v4/packages/1423.format-json.json      ...?format=json (links carry ?format=json)
    api/v4/packages/1423.format-api.html       ...?format=api (the browsable page)
    api/v4/search/q/select2.json               /api/v4/search/?q=select2
    api/v3/packages/category/apps/20/0.json    /api/v3/packages/?category=apps
    api/errors/...                             fixed error bodies
"""

from __future__ import annotations

V4 = "api/v4"
V3 = "api/v3"
ERRORS = "api/errors"
V4_LISTS = ("packages", "grids", "categories")
V3_LISTS = ("packages", "grids", "categories")


def variant(stem: str, fmt: str | None) -> str:
    """The file of one format of an answer: plain JSON, `?format=json` or `?format=api`."""
    if fmt is None:
        return stem + ".json"
    return f"{stem}.format-{fmt}." + ("html" if fmt == "api" else "json")


def v4_root(fmt: str | None = None) -> str:
    return variant(f"{V4}/index", fmt)


def v4_page(kind: str, limit: int | str, offset: int | str, fmt: str | None = None) -> str:
    return variant(f"{V4}/{kind}/page/{limit}/{offset}", fmt)


def v4_detail(kind: str, key: int | str, fmt: str | None = None) -> str:
    return variant(f"{V4}/{kind}/{key}", fmt)


def search_term_file(term: str) -> str:
    """The file for `?q=<term>`: Netlify puts the decoded value into the path with spaces as '+'."""
    return f"{V4}/search/q/{term.replace(' ', '+')}.json"


def v4_search(fmt: str | None = None) -> str:
    return variant(f"{V4}/search/index", fmt)


def v3_root() -> str:
    return f"{V3}/index.json"


def v3_page(kind: str, limit: int | str, offset: int | str) -> str:
    return f"{V3}/{kind}/page/{limit}/{offset}.json"


def v3_category_page(category: str, limit: int | str, offset: int | str) -> str:
    return f"{V3}/packages/category/{category}/{limit}/{offset}.json"


def v3_grid_packages(grid: str, limit: int | str, offset: int | str) -> str:
    return f"{V3}/grids/{grid}/packages/{limit}/{offset}.json"


def v3_detail(kind: str, slug: str) -> str:
    return f"{V3}/{kind}/{slug}.json"


def error(name: str) -> str:
    return f"{ERRORS}/{name}.json"
