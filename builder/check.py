"""`python build.py check`: is a built site fit to deploy?

Every internal link, image, stylesheet and script of every HTML page resolves; every
.json file parses (and every .xml file: feeds, sitemaps); every sitemap URL has a page;
no file is larger than the size budget; every rewrite to a fixed file finds it.
All problems are collected, then reported once.

A URL path resolves, as on Netlify, to a file (`/a/` -> `a/index.html`, `/a` -> `a`,
`a/index.html` or `a.html`) or to a rule of `netlify.toml` / `site/_redirects`
(matched by `builder.netlify_rules`). Rules that answer 4xx (custom 404 pages) resolve nothing.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .errors import BuildError
from .netlify_rules import Route, Rule, file_for, load_config, parse_query, route

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_REDIRECTS = 5

# The attributes that load or lead to another URL, by tag.
LINK_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",), "area": ("href",), "link": ("href",), "script": ("src",), "img": ("src", "srcset"),
    "source": ("src", "srcset"), "iframe": ("src",), "form": ("action",), "video": ("src", "poster"),
    "audio": ("src",), "embed": ("src",), "track": ("src",),
}
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass(frozen=True, order=True)
class CheckProblem:
    """One thing wrong with the site: the file it was found in, what is wrong, and what it points at."""

    file: str
    what: str
    target: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what}: {self.target}"


@dataclass
class CheckResult:
    files: int = 0
    links: int = 0
    sitemap_urls: int = 0
    problems: list[CheckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (f"Checked {self.files} files, {self.links} links, {self.sitemap_urls} sitemap URLs: "
                f"{len(self.problems) or 'no'} problem(s).")


class SiteCheckError(BuildError):
    """The built site has problems; the CLI has listed them."""


class _LinkParser(HTMLParser):
    """Collects every URL an HTML page links to or loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LINK_ATTRS.get(tag)
        if not wanted:
            return
        for name, value in attrs:
            if name in wanted and value is not None:
                if name == "srcset":
                    self.urls.extend(part.split()[0] for part in value.split(",") if part.split())
                else:
                    self.urls.append(value)


def page_links(html: str) -> list[str]:
    """The URLs in href/src/srcset/action attributes of an HTML document, in document order."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.urls


class Routing:
    """The site's files and rules (`builder.netlify_rules`): is a path served? Caches each answer."""

    def __init__(self, files: set[str], rules: list[Rule]) -> None:
        self.files = files
        self.rules = rules
        self._cache: dict[tuple[str, str], str | None] = {}

    def file_for(self, path: str) -> str | None:
        """The site file serving `path` ('/a/b/' -> 'a/b/index.html'), or None."""
        return file_for(path, self.files.__contains__)

    def route(self, path: str, query: str = "") -> Route:
        return route(self.rules, path, parse_query(query), self.files.__contains__)

    def problem(self, path: str, query: str = "", depth: int = MAX_REDIRECTS) -> str | None:
        """None when `path` (with `query`) is served, else why it is not."""
        key = (path, query)
        if key not in self._cache:
            self._cache[key] = self._problem(path, query, depth)
        return self._cache[key]

    def _problem(self, path: str, query: str, depth: int) -> str | None:
        found = self.route(path, query)
        rule = found.rule
        if rule is None:
            return None if found.file is not None else "no file and no rule serves it"
        if rule.status >= 400:
            return f"no file; the rule from {rule.source} answers {rule.status}"
        if found.off_site:
            return None  # proxied or redirected off-site: not ours to check
        if not rule.is_redirect:
            missing = f"the rule from {rule.source} rewrites it to missing {found.target}"
            return None if found.file is not None else missing
        if depth <= 0:
            return f"too many redirects (via the rule from {rule.source})"
        parts = urlsplit(found.target or "")
        why = self.problem(unquote(parts.path), parts.query, depth - 1)
        return None if why is None else f"redirects to {found.target}: {why}"


@dataclass(frozen=True)
class Target:
    """A URL of the site: its path below the base path, its query; `outside` when not below the base path."""

    path: str
    query: str = ""
    outside: bool = False


@dataclass(frozen=True)
class SiteUrls:
    """How the site's own URLs look: absolute ones start with base_url, all paths with its prefix."""

    base_url: str

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    @property
    def prefix(self) -> str:
        return urlsplit(self.base_url).path.rstrip("/")

    def target(self, url: str, page: str = "/") -> Target | None:
        """Where a URL found on site path `page` leads, or None when it is not the site's."""
        url = url.strip()
        if not url or url.startswith("#"):
            return None
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None  # mailto:, data:, javascript: ...
        if parts.netloc and parts.netloc.lower() != self.host:
            return None
        joined = urlsplit(urljoin(self.prefix + page, url))
        path = unquote(joined.path) or "/"
        if self.prefix:
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return Target(path, joined.query, outside=True)
            path = path[len(self.prefix):] or "/"
        normal = posixpath.normpath(path).replace("//", "/")
        if path.endswith("/") and normal != "/":
            normal += "/"
        return Target(normal, joined.query)


def _walk(site_dir: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(site_dir.rglob("*")):
        if path.is_file():
            yield path.relative_to(site_dir).as_posix(), path


def _parse_xml(data: bytes, rel: str) -> ET.Element:
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    return ET.fromstring(data)


def _check_file(rel: str, path: Path, max_size: int, result: CheckResult) -> bytes | None:
    """Size and syntax of one file; returns its bytes when they are worth reading further."""
    size = path.stat().st_size
    if size > max_size:
        result.problems.append(CheckProblem(rel, "file too large", f"{size:,} bytes > {max_size:,} allowed"))
    if not rel.endswith((".html", ".json", ".xml", ".xml.gz")):
        return None
    data = path.read_bytes()
    try:
        if rel.endswith(".json"):
            json.loads(data)
        elif rel.endswith((".xml", ".xml.gz")):
            _parse_xml(data, rel)
    except (ValueError, ET.ParseError, OSError) as exc:
        kind = "invalid JSON" if rel.endswith(".json") else "invalid XML"
        result.problems.append(CheckProblem(rel, kind, str(exc)))
        return None
    return data


def _check_links(rel: str, html: bytes, urls: SiteUrls, routing: Routing, result: CheckResult) -> None:
    page = "/" + rel
    for url in page_links(html.decode("utf-8", errors="replace")):
        target = urls.target(url, page)
        if target is None:
            continue
        result.links += 1
        if target.outside:
            why: str | None = "outside the site's base path"
        else:
            why = routing.problem(target.path, target.query)
        if why:
            result.problems.append(CheckProblem(rel, f"broken link ({why})", url))


def _page_problem(routing: Routing, target: Target) -> str | None:
    """Why a sitemap URL is not a page: a file, or a rewrite (200) to one; a redirect is not."""
    rule = routing.route(target.path, target.query).rule
    if rule is not None and rule.is_redirect:
        return f"sitemap URL redirects (the rule from {rule.source})"
    why = routing.problem(target.path, target.query)
    return None if why is None else f"sitemap URL has no page ({why})"


def _check_sitemaps(site_dir: Path, urls: SiteUrls, routing: Routing, result: CheckResult) -> None:
    """Walk sitemap.xml and its children: each child must exist, each page URL must be served."""
    if "sitemap.xml" not in routing.files:
        result.problems.append(CheckProblem("sitemap.xml", "missing", "the sitemap index"))
        return
    queue, seen = ["sitemap.xml"], {"sitemap.xml"}
    while queue:
        rel = queue.pop(0)
        try:
            root = _parse_xml((site_dir / rel).read_bytes(), rel)
        except (ET.ParseError, OSError):
            continue  # already reported as invalid XML
        is_index = root.tag == SITEMAP_NS + "sitemapindex"
        for loc in root.iter(SITEMAP_NS + "loc"):
            url = (loc.text or "").strip()
            target = urls.target(url) if urlsplit(url).netloc else None
            if target is None or target.outside:
                result.problems.append(CheckProblem(rel, "sitemap URL outside the site", url))
                continue
            result.sitemap_urls += 1
            if is_index:
                child = routing.file_for(target.path)
                if child is None:
                    result.problems.append(CheckProblem(rel, "sitemap file missing", url))
                elif child not in seen:
                    seen.add(child)
                    queue.append(child)
            else:
                why = _page_problem(routing, target)
                if why:
                    result.problems.append(CheckProblem(rel, why, url))


def _check_rules(routing: Routing, result: CheckResult) -> None:
    """A rewrite to one fixed file needs that file: else every URL it takes is broken."""
    for rule in routing.rules:
        target = rule.fixed_target
        if target is not None and routing.file_for(unquote(target)) is None:
            query = "".join(f" {k}={v}" for k, v in rule.query)
            result.problems.append(CheckProblem(rule.file, "rewrite to a missing file",
                                                f"{rule.source}{query} -> {rule.to}"))


def check_site(site_dir: Path, *, base_url: str, netlify_toml: Path | None = None,
               max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> CheckResult:
    """Check a built site folder; the result lists every problem found (none: fit to deploy)."""
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise SiteCheckError(f"{site_dir}: no such site folder (run `python build.py build` first)")
    result = CheckResult()
    files = dict(_walk(site_dir))
    routing = Routing(set(files), load_config(netlify_toml, site_dir / "_redirects").rules)
    urls = SiteUrls(base_url.rstrip("/"))
    for rel, path in files.items():
        result.files += 1
        data = _check_file(rel, path, max_file_size, result)
        if data is not None and rel.endswith(".html"):
            _check_links(rel, data, urls, routing, result)
    _check_sitemaps(site_dir, urls, routing, result)
    _check_rules(routing, result)
    result.problems.sort()
    return result
