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
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
QUOTED_URL = re.compile(r"&#34;(https?://(?:(?!&#34;)\S)*?)&#34;")

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
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)), autoescape=True,
                              keep_trailing_newline=True)


def pretty(data: Any) -> Markup:
    """Pretty JSON, escaped, with each quoted URL a link (DRF's urlize_quoted_links)."""
    text = str(escape(json.dumps(data, indent=4, ensure_ascii=False)))
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

    def page(self, *, view: str, instance: bool, path: str, query: str, data: Any,
             status: str = "200 OK", pages: list[PageLink] | None = None) -> str:
        """One page; `path` like '/api/v4/packages/1423/', `query` the request's query string."""
        name, description = VIEWS[view]
        name = name if view == "root" else f"{name} {'Instance' if instance else 'List'}"
        crumbs = [Crumb("Api Root", "/api/v4/?format=api")]
        if view != "root":
            crumbs.append(Crumb(f"{VIEWS[view][0]} List", f"/api/v4/{view}/?format=api"))
            if instance:
                crumbs.append(Crumb(name, f"{path}?format=api"))
        return self.template.render(
            name=name, description=description, breadcrumbs=crumbs, pages=pages or [],
            request_line=f"{path}?{query}", status=status, content=pretty(data),
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
