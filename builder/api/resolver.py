"""Answer a request from a built site the way Netlify does, given its netlify.toml.

Which rule takes a request and which file it serves is `builder.netlify_rules`; this module
turns that route into a response: the file with the rule's status (200, or 404 for an error
rule), a redirect with its Location, or the site's /404.html with status 404 when nothing is
served. The content type follows the served file's extension; [[headers]] values are added by
request path and override those defaults, as on Netlify's CDN.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..netlify_rules import Route, load_config, parse_query, route

CONTENT_TYPES = {".json": "application/json", ".html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    file: Path | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class Resolver:
    """The CDN's view of a published folder plus its netlify.toml (and the folder's `_redirects`)."""

    def __init__(self, site_dir: Path, config: Path) -> None:
        self.site_dir = Path(site_dir)
        self.config = load_config(Path(config), self.site_dir / "_redirects")

    def get(self, url: str) -> Response:
        """Answer a GET for a path with an optional query string, e.g. '/api/v4/?format=json'."""
        parts = urlsplit(url)
        path = unquote(parts.path) or "/"
        response = self._answer(route(self.config.rules, path, parse_query(parts.query), self._is_file))
        headers = {**response.headers, **self.config.headers_for(path)}
        return Response(response.status, headers, response.body, response.file)

    def _answer(self, found: Route) -> Response:
        if found.rule is not None and found.rule.is_redirect:
            return Response(found.rule.status, {"Location": found.target or ""}, b"")
        if found.file is None:
            return self._not_found()
        return self._serve(self.site_dir / found.file, found.rule.status if found.rule else 200)

    def _is_file(self, rel: str) -> bool:
        if ".." in rel.split("/") or "\0" in rel:
            return False
        return (self.site_dir / rel).is_file()

    @staticmethod
    def _serve(file: Path, status: int) -> Response:
        suffix = file.suffix.lower()
        ctype = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Response(status, {"Content-Type": ctype}, file.read_bytes(), file)

    def _not_found(self) -> Response:
        page = self.site_dir / "404.html"
        if page.is_file():
            return self._serve(page, 404)
        return Response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not Found")
