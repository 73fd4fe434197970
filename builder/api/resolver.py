"""Answer a request from a built site the way Netlify does, given its netlify.toml.

The semantics modelled (and checked against `netlify dev` by tests/api/test_netlify_cli.py):
- a static file at the request path is served as is, and shadows every rule that is not forced;
- otherwise the first rule whose path matches (trailing slash ignored; `:name` is one segment,
  a final `*` the rest) and whose query parameters are all present (literal values exactly,
  `:name` any value) applies; other query parameters do not matter;
- a rewrite (200) serves its target file; a missing target is a 404 with the site's /404.html,
  not a fall-through to later rules; a 404 rule serves its target with status 404; 3xx redirects;
- the content type follows the served file's extension; [[headers]] add headers by request path.
Placeholder values go into the target path decoded, with spaces as '+', as Netlify writes them.
"""

from __future__ import annotations

import mimetypes
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import BuildError

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


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    to: str
    status: int
    force: bool
    query: dict[str, str] = field(default_factory=dict)


def _compile(origin: str) -> re.Pattern[str]:
    parts = []
    for segment in _strip_slash(origin).split("/"):
        if segment == "*":
            parts.append("(?P<splat>.*)")
        elif segment.startswith(":"):
            parts.append(f"(?P<{segment[1:]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    pattern = "/".join(parts) + ("" if parts[-1].startswith("(?P<splat>") else "/?")
    if pattern.endswith("/(?P<splat>.*)"):  # '/x/*' also matches '/x'
        pattern = pattern[: -len("/(?P<splat>.*)")] + "(?:/(?P<splat>.*))?"
    return re.compile(pattern + r"\Z")


def _strip_slash(path: str) -> str:
    return path.rstrip("/") or "/"


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")) + r"\Z")


class Resolver:
    """The CDN's view of a published folder plus its netlify.toml."""

    def __init__(self, site_dir: Path, config: Path) -> None:
        self.site_dir = Path(site_dir)
        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise BuildError(f"{config}: cannot read the Netlify configuration: {exc}") from exc
        self.rules = [
            _Rule(_compile(r["from"]), r["to"], int(r.get("status", 301)), bool(r.get("force", False)),
                  dict(r.get("query", {})))
            for r in data.get("redirects", [])
        ]
        self.headers = [(_glob(h["for"]), dict(h.get("values", {}))) for h in data.get("headers", [])]

    def get(self, url: str) -> Response:
        """Answer a GET for a path with an optional query string, e.g. '/api/v4/?format=json'."""
        parts = urlsplit(url)
        path = unquote(parts.path) or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        response = self._route(path, query)
        extra = {k: v for pattern, values in self.headers if pattern.match(path) for k, v in values.items()}
        return Response(response.status, {**extra, **response.headers}, response.body, response.file)

    def _route(self, path: str, query: dict[str, str]) -> Response:
        static = self._file(path)
        for rule in self.rules:
            params = self._match(rule, path, query)
            if params is None:
                continue
            if static is not None and not rule.force:
                return self._serve(static, 200)
            target = self._substitute(rule.to, params)
            if 300 <= rule.status < 400:
                return Response(rule.status, {"Location": target}, b"")
            found = self._file(unquote(urlsplit(target).path))
            return self._serve(found, rule.status) if found else self._not_found()
        return self._serve(static, 200) if static else self._not_found()

    @staticmethod
    def _match(rule: _Rule, path: str, query: dict[str, str]) -> dict[str, str] | None:
        m = rule.pattern.match(path) or rule.pattern.match(_strip_slash(path))
        if m is None:
            return None
        params = {k: v or "" for k, v in m.groupdict().items()}
        for key, wanted in rule.query.items():
            if key not in query:
                return None
            if wanted.startswith(":"):
                params[wanted[1:]] = query[key]
            elif query[key] != wanted:
                return None
        return params

    @staticmethod
    def _substitute(to: str, params: dict[str, str]) -> str:
        def value(m: re.Match[str]) -> str:
            name = m.group(1)
            return params[name].replace(" ", "+") if name in params else m.group(0)

        return re.sub(r":([A-Za-z_][A-Za-z0-9_]*)", value, to)

    def _file(self, path: str) -> Path | None:
        rel = path.lstrip("/")
        if ".." in rel.split("/") or "\0" in rel:
            return None
        candidate = self.site_dir / rel
        if path.endswith("/") or candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _serve(self, file: Path, status: int) -> Response:
        suffix = file.suffix.lower()
        ctype = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Response(status, {"Content-Type": ctype}, file.read_bytes(), file)

    def _not_found(self) -> Response:
        page = self.site_dir / "404.html"
        if page.is_file():
            return self._serve(page, 404)
        return Response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not Found")
