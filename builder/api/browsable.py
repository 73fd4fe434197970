"""`?format=api`: static pages like DRF's browsable API (stock template, no forms or scripts).

The JSON is pretty-printed with 4 spaces and HTML-escaped, every URL in it a link to its own
browsable page, as DRF's `urlize_quoted_links` does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup, escape

from ..templating import bytecode_cache
from .paging import drf_next, drf_previous

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
QUOTED_URL = re.compile(r"&#34;(https?://(?:(?!&#34;)\S)*?)&#34;")
# Stand-ins for a page's path and content when a page is rendered once as a template.
PATH_MARK = "\x00path\x00"
CONTENT_MARK = "\x00content\x00"

# View names and descriptions of the live views (DRF shows the class docstring).
VIEWS = {
    "root": ("Api Root", "The default basic root view for DefaultRouter"),
    "packages": ("Package", "API endpoint that allows packages to be viewed or edited."),
    "grids": ("Grid", ""),
    "categories": ("Category", ""),
    "search": ("Search V3", "Accepts a 'q' GET parameter. Returns SearchV3 (PostgreSQL FTS) results."),
}


@dataclass(frozen=True)
class Crumb:
    name: str
    href: str


@dataclass(frozen=True)
class PageLink:
    text: str
    href: str
    css: str = ""
    label: str = ""


def _env(templates_dir: Path) -> jinja2.Environment:
    options = {"autoescape": True, "keep_trailing_newline": True}
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)), auto_reload=False,  # as pages.site's
                              bytecode_cache=bytecode_cache(**options), **options)


def pretty_json(data: Any) -> str:
    """`json.dumps(data, indent=4, ensure_ascii=False)`, fast: orjson's 2-space form with each
    line's indentation doubled (strings hold no raw newlines). The API holds no floats, whose
    text could differ (see jsonenc.dumps_v4); what orjson refuses takes the slow path."""
    try:
        return _reindent(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    except TypeError:
        return json.dumps(data, indent=4, ensure_ascii=False)


def _reindent(text: str) -> str:
    """Indentation of 2 spaces a level to 4 ("\x01" never follows a newline in JSON)."""
    depth = 0
    while "\n" + "  " * (depth + 1) in text:
        depth += 1
    for d in range(depth, 0, -1):
        text = text.replace("\n" + "  " * d, "\n" + "\x01" * d)
    return text.replace("\x01", "    ")


def pretty(data: Any) -> Markup:
    """Pretty JSON, escaped, with each quoted URL a link (DRF's urlize_quoted_links)."""
    text = str(escape(pretty_json(data)))
    return Markup(QUOTED_URL.sub(r'&#34;<a href="\1" rel="nofollow">\1</a>&#34;', text))


def page_numbers(current: int, final: int) -> list[int | None]:
    """DRF's _get_displayed_page_numbers: a window of pages with None for the gaps."""
    if final <= 5:
        return list(range(1, final + 1))
    included = {1, current - 1, current, current + 1, final}
    if current <= 4:
        included |= {2, 3}
    if current >= final - 3:
        included |= {final - 1, final - 2}
    shown: list[int | None] = [i for i in sorted(included) if 0 < i <= final]
    if current > 4:
        shown.insert(1, None)
    if current < final - 3:
        shown.insert(len(shown) - 1, None)
    return shown


class Browsable:
    """Renders browsable pages for one base URL."""

    def __init__(self, base_url: str, templates_dir: Path = TEMPLATES) -> None:
        self.base_url = base_url
        self.template = _env(templates_dir).get_template("api/browsable.html")
        self._details: dict[str, tuple[list[str], list[str]]] = {}

    def page(self, *, view: str, instance: bool, path: str, query: str, data: Any,
             status: str = "200 OK", pages: list[PageLink] | None = None) -> str:
        """One page; `path` like '/api/v4/packages/1423/', `query` the request's query string."""
        return self._render(view=view, instance=instance, path=path, query=query, content=pretty(data),
                            status=status, pages=pages)

    @staticmethod
    def content(data: Any) -> str:
        """The response shown on a page, as HTML (`page` computes it from `data`; compute it
        once and reuse it for many pages)."""
        return str(pretty(data))

    def detail_page(self, view: str, path: str, content: str) -> str:
        """`page(view=view, instance=True, path=path, query="format=api", data=...)` from a
        precomputed `content`: the template is rendered once per view, then filled in."""
        pieces = self._details.get(view)
        if pieces is None:
            text = self._render(view=view, instance=True, path=PATH_MARK, query="format=api",
                                content=Markup(CONTENT_MARK))
            head, tail = text.split(CONTENT_MARK)
            pieces = self._details[view] = (head.split(PATH_MARK), tail.split(PATH_MARK))
        escaped = str(escape(path))
        return "".join((escaped.join(pieces[0]), content, escaped.join(pieces[1])))

    def list_page(self, *, view: str, path: str, query: str, url: str, limit: int, offset: int,
                  contents: list[str], count: int) -> str:
        """A `?format=api` list page from the precomputed contents of its results, as `page`
        would render the page's data; `count` is the length of the whole list."""
        meta = self.content({"count": count, "next": drf_next(url, limit, offset, count, "api"),
                             "previous": drf_previous(url, limit, offset, "api")})
        results = contents
        if results:
            inner = ",\n".join("        " + c.replace("\n", "\n        ") for c in results)
            body = f"{meta[:-2]},\n    &#34;results&#34;: [\n{inner}\n    ]\n}}"
        else:
            body = f"{meta[:-2]},\n    &#34;results&#34;: []\n}}"
        return self._render(view=view, instance=False, path=path, query=query, content=Markup(body),
                            pages=self.pagination(url, limit, offset, count))

    def _render(self, *, view: str, instance: bool, path: str, query: str, content: Markup,
                status: str = "200 OK", pages: list[PageLink] | None = None) -> str:
        name, description = VIEWS[view]
        name = name if view == "root" else f"{name} {'Instance' if instance else 'List'}"
        crumbs = [Crumb("Api Root", "/api/v4/?format=api")]
        if view != "root":
            crumbs.append(Crumb(f"{VIEWS[view][0]} List", f"/api/v4/{view}/?format=api"))
            if instance:
                crumbs.append(Crumb(name, f"{path}?format=api"))
        return self.template.render(
            name=name, description=description, breadcrumbs=crumbs, pages=pages or [],
            request_line=f"{path}?{query}", status=status, content=content,
            json_href=f"{path}?format=json", api_href=f"{path}?format=api")

    def pagination(self, url: str, limit: int, offset: int, count: int) -> list[PageLink]:
        """The pager of a list page in `?format=api` (links as DRF builds them)."""
        if count <= limit:
            return []
        final = -(-count // limit)
        current = offset // limit + 1

        def href(number: int) -> str:
            params = f"&limit={limit}" if offset or limit != 20 else ""
            return f"{url}?format=api{params}" + (f"&offset={(number - 1) * limit}" if number > 1 else "")

        links = [PageLink("«", href(current - 1), "" if current > 1 else "disabled", "Previous")
                 if current > 1 else PageLink("«", "#", "disabled", "Previous")]
        for number in page_numbers(current, final):
            links.append(PageLink("…", "#", "disabled") if number is None
                         else PageLink(str(number), href(number), "active" if number == current else ""))
        links.append(PageLink("»", href(current + 1), "", "Next") if current < final
                     else PageLink("»", "#", "disabled", "Next"))
        return links
