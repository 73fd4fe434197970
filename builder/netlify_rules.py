"""Netlify's routing rules: the redirects, rewrites and headers of `netlify.toml` and `_redirects`,
read, written and matched as Netlify does (checked against `netlify dev` by tests/api/test_netlify_cli.py).

- A rule's `from` is a path whose segments may be `:placeholders` (one segment) and whose last
  segment may be `*` (the rest, as `:splat`); the trailing slash is optional. Its `query`
  conditions must all be present: literal values exactly, `:name` any value; other parameters
  do not matter.
- The first rule that matches decides. A file at the request path shadows it unless it is
  forced; a rewrite (200) or error rule (4xx) serves its target file, and a missing target is
  a 404, not a fall-through to later rules; 3xx redirects.
- Placeholder values go into the target decoded, with spaces as '+', as Netlify writes them.
- `[[headers]]` add their values to every response whose request path matches their `for`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import BuildError

_PLACEHOLDER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def compile_path(pattern: str) -> re.Pattern[str]:
    """The regular expression of a `from` or `for` path: '/api/v4/packages/:id/' -> group 'id'.

    `:name` is one segment, a final `*` the rest (group 'splat', and may be empty: '/x/*' takes
    '/x'), a `*` inside a segment any characters; the trailing slash is optional.
    """
    segments = [s for s in pattern.split("/") if s]
    parts = []
    for i, seg in enumerate(segments):
        if seg == "*" and i == len(segments) - 1:
            parts.append("(?:/(?P<splat>.*))?")
        elif seg.startswith(":"):
            parts.append(f"/(?P<{seg[1:]}>[^/]+)")
        else:
            parts.append("/" + ".*".join(re.escape(p) for p in seg.split("*")))
    return re.compile("^" + "".join(parts) + "/?$")


def toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


@dataclass(frozen=True)
class Rule:
    """One redirect (3xx), rewrite (200) or error rule (4xx)."""

    source: str
    to: str
    status: int = 301
    force: bool = False
    query: tuple[tuple[str, str], ...] = ()
    file: str = "netlify.toml"

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400

    @property
    def fixed_target(self) -> str | None:
        """The site path a rewrite always serves (no placeholders, not off-site), else None."""
        if self.status != 200 or ":" in self.to or not self.to.startswith("/"):
            return None
        return self.to.split("?", 1)[0]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return compile_path(self.source)

    def target(self, path: str, query: Mapping[str, str]) -> str | None:
        """Where this rule sends a request for (decoded) `path` with `query`, or None if it does not match."""
        found = self.pattern.match(path)
        if found is None:
            return None
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        values.setdefault("splat", "")
        for name, wanted in self.query:
            if name not in query:
                return None
            placeholder = _PLACEHOLDER.fullmatch(wanted)
            if placeholder:
                values[placeholder.group(1)] = query[name]
            elif query[name] != wanted:
                return None
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)].replace(" ", "+") if m.group(1) in values
                                else m.group(0), self.to)

    def toml(self) -> str:
        """This rule as a netlify.toml [[redirects]] table."""
        out = ["[[redirects]]", f"  from = {toml_str(self.source)}", f"  to = {toml_str(self.to)}",
               f"  status = {self.status}"]
        if self.force:
            out.append("  force = true")
        if self.query:
            out.append("  query = {" + ", ".join(f"{k} = {toml_str(v)}" for k, v in self.query) + "}")
        return "\n".join(out)


@dataclass(frozen=True)
class HeaderRule:
    """One [[headers]] table: `values` for every request path that `path` (its `for`) matches."""

    path: str
    values: dict[str, str] = field(default_factory=dict)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(compile_path(self.path).pattern, re.IGNORECASE)

    def toml(self) -> str:
        """This rule as a netlify.toml [[headers]] table."""
        return "\n".join(["[[headers]]", f"  for = {toml_str(self.path)}", "  [headers.values]",
                          *(f"    {k} = {toml_str(v)}" for k, v in self.values.items())])


@dataclass(frozen=True)
class Config:
    """The rules that route requests, in Netlify's order, and the header rules."""

    rules: list[Rule] = field(default_factory=list)
    headers: list[HeaderRule] = field(default_factory=list)

    def headers_for(self, path: str) -> dict[str, str]:
        """The custom headers of a request path; a later matching rule overrides an earlier one."""
        return {k: v for h in self.headers if h.pattern.match(path) for k, v in h.values.items()}


def config_from_toml(text: str, file: str = "netlify.toml") -> Config:
    """The [[redirects]] and [[headers]] of a netlify.toml, in order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{file}: not valid TOML: {exc}") from exc
    rules = []
    for n, entry in enumerate(data.get("redirects", []), 1):
        if not isinstance(entry, dict) or "from" not in entry or "to" not in entry:
            raise BuildError(f"{file}: redirect #{n} needs 'from' and 'to'")
        query = tuple((str(k), str(v)) for k, v in (entry.get("query") or {}).items())
        rules.append(Rule(entry["from"], entry["to"], int(entry.get("status", 301)),
                          bool(entry.get("force", False)), query, file))
    headers = []
    for n, entry in enumerate(data.get("headers", []), 1):
        if not isinstance(entry, dict) or "for" not in entry:
            raise BuildError(f"{file}: headers #{n} needs 'for'")
        headers.append(HeaderRule(entry["for"], {str(k): str(v) for k, v in entry.get("values", {}).items()}))
    return Config(rules, headers)


def rules_from_redirects_file(text: str) -> list[Rule]:
    """The rules of a `_redirects` file: `from [key=:value ...] to [status[!]]` per line."""
    rules = []
    for raw in text.splitlines():
        tokens = raw.split("#", 1)[0].split()
        if len(tokens) < 2:
            continue
        source, rest = tokens[0], tokens[1:]
        query = []
        while rest and "=" in rest[0] and not rest[0].startswith(("/", "http")):
            key, _, value = rest.pop(0).partition("=")
            query.append((key, value))
        if not rest:
            continue
        to, status, force = rest[0], 301, False
        if len(rest) > 1 and rest[1].rstrip("!").isdigit():
            status, force = int(rest[1].rstrip("!")), rest[1].endswith("!")
        rules.append(Rule(source, to, status, force, tuple(query), "_redirects"))
    return rules


def load_config(netlify_toml: Path | None, redirects_file: Path | None = None) -> Config:
    """A site's configuration: its `_redirects` rules first, then netlify.toml's, as Netlify orders them."""
    try:
        config = Config()
        if netlify_toml is not None:
            config = config_from_toml(netlify_toml.read_text(encoding="utf-8"), netlify_toml.name)
        if redirects_file is not None and redirects_file.is_file():
            extra = rules_from_redirects_file(redirects_file.read_text(encoding="utf-8"))
            config = Config(extra + config.rules, config.headers)
    except OSError as exc:
        raise BuildError(f"{exc.filename}: cannot read the Netlify configuration: {exc.strerror}") from exc
    return config


# Routing a request


def parse_query(query: str) -> dict[str, str]:
    """A query string's parameters, decoded; of a repeated one, the last value."""
    return dict(parse_qsl(query, keep_blank_values=True))


def file_for(path: str, is_file: Callable[[str], bool]) -> str | None:
    """The site file (relative) that serves a decoded path: '/a/' -> 'a/index.html'; '/a' -> 'a',
    'a/index.html' or 'a.html'; None when there is none."""
    rel = path.lstrip("/")
    candidates = [rel + "index.html"] if path.endswith("/") else [rel, rel + "/index.html", rel + ".html"]
    return next((c for c in candidates if is_file(c)), None)


@dataclass(frozen=True)
class Route:
    """How Netlify answers a request: by `rule`, which sends it to `target`, or (no rule) by the path's
    own file. `file` is the site file served: the path's own or the rewrite's target; None if missing."""

    rule: Rule | None
    target: str | None
    file: str | None

    @property
    def off_site(self) -> bool:
        parts = urlsplit(self.target or "")
        return bool(parts.scheme or parts.netloc)


def route(rules: Iterable[Rule], path: str, query: Mapping[str, str], is_file: Callable[[str], bool]) -> Route:
    """Which rule (if any) takes a request for decoded `path` with `query`, and what file it serves."""
    own = file_for(path, is_file)
    for rule in rules:
        target = rule.target(path, query)
        if target is None:
            continue
        if own is not None and not rule.force:
            break  # a file at the path shadows the first matching rule
        parts = urlsplit(target)
        served = None if rule.is_redirect or parts.scheme or parts.netloc \
            else file_for(unquote(parts.path), is_file)
        return Route(rule, target, served)
    return Route(None, None, own)
