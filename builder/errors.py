"""The one error hierarchy of the builder.

    BuildError                    (click.ClickException: the CLI prints "Error: ..." and exits 1)
     ├── SnapshotError            data/ is malformed; carries every problem found
     ├── SettingsError            site.yml or a CLI flag is wrong
     ├── CrawlError               a source URL could not be fetched (names the URL and last status)
     └── DumpError                a database dump could not be read (names the line or record)
"""

from __future__ import annotations

from dataclasses import dataclass

import click


class BuildError(click.ClickException):
    """Base class: a failure the user can act on, shown without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    entity: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.entity:
            parts.append(self.entity)
        if self.field:
            parts.append(f"field '{self.field}'")
        return f"{': '.join(parts)}: {self.message}"


class SnapshotError(BuildError):
    """The snapshot in data/ is invalid; lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"invalid snapshot ({len(problems)} problem(s)):\n{shown}{more}")


class SettingsError(BuildError):
    """The site settings are invalid."""


class CrawlError(BuildError):
    """Fetching from a source failed for good."""


class DumpError(BuildError):
    """A database dump could not be read."""
