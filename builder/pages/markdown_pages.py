"""Pages written in Markdown under `content/`: about, FAQ, the API help page.

A file starts with a small front matter block:

    ---
    title: About
    description: What this site is.
    path: /about/          (optional; default /<file stem>/)
    ---

The Markdown is ours (trusted), so it may contain HTML; `{{ base_url }}` in it is replaced by
the site's base URL, so examples show the deployment's own address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ..errors import BuildError
from .site import Link, PageMeta, Site


@dataclass(frozen=True, slots=True)
class MarkdownPage:
    page: PageMeta
    body: Markup


def _front_matter(file: Path, text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        raise BuildError(f"{file}: a content page starts with a '---' front matter block")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise BuildError(f"{file}: front matter is not closed by '---'")
    meta: dict[str, str] = {}
    for n, line in enumerate(head.splitlines(), start=2):
        key, colon, value = line.partition(":")
        if not colon:
            raise BuildError(f"{file}:{n}: expected 'key: value' in the front matter")
        meta[key.strip()] = value.strip()
    if "title" not in meta:
        raise BuildError(f"{file}: the front matter needs a 'title'")
    return meta, body


def markdown_pages(site: Site) -> list[MarkdownPage]:
    """Every content/*.md page, in file name order."""
    import markdown  # 12 ms to import: only when the Markdown pages are rendered

    folder = site.settings.content_dir
    pages = []
    for file in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        meta, body = _front_matter(file, file.read_text(encoding="utf-8"))
        path = meta.get("path") or f"/{file.stem}/"
        if not (path.startswith("/") and path.endswith("/")) or ".." in path:
            raise BuildError(f"{file}: 'path' must look like /name/, got {path!r}")
        html = markdown.markdown(body.replace("{{ base_url }}", site.settings.base_url),
                                 extensions=["tables", "fenced_code", "toc"], output_format="html")
        crumbs = (Link("Home", site.href("/")), Link(meta["title"]))
        nav = "About" if path == "/about/" else None
        pages.append(MarkdownPage(site.meta(path, meta["title"], meta.get("description", ""),
                                            breadcrumbs=crumbs, nav=nav), Markup(html)))
    return pages
