"""Netlify's redirect and rewrite rules: read from `netlify.toml` and `_redirects`, matched as Netlify does.

A rule's `from` is a path whose segments may be `:placeholders` (one segment) and whose
last segment may be `*` (the rest, as `:splat`); a trailing slash is optional. `query`
conditions (`format = ":format"`) must all be present in the request. The first rule
that matches wins; a rule without `force` yields to a file that exists at the path.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import BuildError

_PLACEHOLDER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


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
    def fixed_target(self) -> str | None:
        """The site path a rewrite always serves (no placeholders, not off-site), else None."""
        if self.status != 200 or ":" in self.to or not self.to.startswith("/"):
            return None
        return self.to.split("?", 1)[0]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return compile_source(self.source)

    def target(self, path: str, params: dict[str, list[str]]) -> str | None:
        """Where this rule sends a request for `path` with query `params`, or None if it does not match."""
        found = self.pattern.match(path)
        if found is None:
            return None
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        values.setdefault("splat", "")
        for name, wanted in self.query:
            if name not in params:
                return None
            given = params[name][0]
            placeholder = _PLACEHOLDER.fullmatch(wanted)
            if placeholder:
                values[placeholder.group(1)] = given
            elif given != wanted:
                return None
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.to)


def compile_source(source: str) -> re.Pattern[str]:
    """The regular expression of a rule's `from`: '/api/v4/packages/:id/' -> named group 'id'."""
    segments = source.strip("/").split("/") if source.strip("/") else []
    parts = []
    for i, seg in enumerate(segments):
        if seg == "*" and i == len(segments) - 1:
            parts.append("(?:/(?P<splat>.*))?")
        elif seg.startswith(":"):
            parts.append(f"/(?P<{seg[1:]}>[^/]+)")
        else:
            parts.append("/" + re.escape(seg))
    return re.compile("^" + "".join(parts) + "/?$")


def rules_from_toml(text: str, file: str = "netlify.toml") -> list[Rule]:
    """The [[redirects]] of a netlify.toml, in order."""
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{file}: not valid TOML: {exc}") from exc
    rules = []
    for n, entry in enumerate(config.get("redirects", []), 1):
        if not isinstance(entry, dict) or "from" not in entry or "to" not in entry:
            raise BuildError(f"{file}: redirect #{n} needs 'from' and 'to'")
        query = tuple((str(k), str(v)) for k, v in (entry.get("query") or {}).items())
        rules.append(Rule(entry["from"], entry["to"], int(entry.get("status", 301)),
                          bool(entry.get("force", False)), query, file))
    return rules


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


def load_rules(netlify_toml: Path | None, redirects_file: Path | None = None) -> list[Rule]:
    """All rules in Netlify's order: the site's `_redirects` first, then netlify.toml."""
    rules: list[Rule] = []
    if redirects_file is not None and redirects_file.is_file():
        rules += rules_from_redirects_file(redirects_file.read_text(encoding="utf-8"))
    if netlify_toml is not None:
        rules += rules_from_toml(netlify_toml.read_text(encoding="utf-8"), netlify_toml.name)
    return rules
