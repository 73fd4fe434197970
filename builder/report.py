"""The build report stage: `report.json`, the page `/about/snapshot/` and the "what's new" feeds.

All three show the snapshot's source and times, its counts, and what it changed against the
previous snapshot (from `snapshot.history`, see docs/snapshot-format.md). The build time is
`SOURCE_DATE_EPOCH` when set and otherwise not recorded: the output never depends on the
wall clock, so the same snapshot always builds the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .build import BuildContext, Output, Part
from .errors import SettingsError
from .model import ChangeSet, HistoryEntry, Snapshot
from .pages import format as fmt
from .pages.site import Link, PageMeta, Site, output_file
from .whatsnew import ATOM_PATH, RSS_PATH, atom, rss

REPORT_PATH = "/report.json"
PAGE_PATH = "/about/snapshot/"
REPORT_FORMAT = "djangopackages-build-report"
LIST_LIMIT = 500  # slugs shown per change list on the page; report.json has them all
HISTORY_SHOWN = 30
COUNT_LABELS = {"categories": "Categories", "grids": "Grids", "packages": "Packages",
                "features": "Grid features", "elements": "Grid cells", "releases": "Releases",
                "search": "Search index rows"}


def build_time(environ: Mapping[str, str] = os.environ) -> str | None:
    """`SOURCE_DATE_EPOCH` as a UTC timestamp ('2026-02-15T19:40:00Z'), or None when unset."""
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        stamp = datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise SettingsError(f"SOURCE_DATE_EPOCH must be seconds since 1970, got {raw!r}") from exc
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def latest_changes(snapshot: Snapshot) -> HistoryEntry | None:
    """What this snapshot changed against the previous one; None for a first snapshot."""
    last = snapshot.history[-1] if snapshot.history else None
    return last if last is not None and last.fetched_at == snapshot.manifest.fetched_at else None


def _counts(c: ChangeSet) -> dict[str, int]:
    return {"added": len(c.added), "removed": len(c.removed), "changed": len(c.changed)}


def _sets(c: ChangeSet) -> dict[str, list[str]]:
    return {"added": c.added, "removed": c.removed, "changed": c.changed}


def report_json(snapshot: Snapshot, base_url: str, built_at: str | None) -> dict[str, Any]:
    """The build report as a JSON-ready dict (written as /report.json)."""
    m = snapshot.manifest
    change = latest_changes(snapshot)
    earlier = snapshot.history[:-1] if change else snapshot.history
    return {
        "format": REPORT_FORMAT,
        "format_version": 1,
        "site": base_url,
        "source": {"kind": m.source.kind, "location": m.source.location, "origin": m.source.origin},
        "fetched_at": m.fetched_at,
        "built_at": built_at,
        "counts": dict(sorted(m.counts.items())),
        "notes": list(m.notes),
        "changes": None if change is None else {
            "previous_fetched_at": earlier[-1].fetched_at if earlier else None,
            "packages": _sets(change.packages),
            "grids": _sets(change.grids),
        },
        "history": [
            {"fetched_at": h.fetched_at, "source": h.source,
             "packages": _counts(h.packages), "grids": _counts(h.grids)}
            for h in reversed(snapshot.history)
        ],
    }


# The page


@dataclass(frozen=True, slots=True)
class ChangeList:
    """One list of the page's change section, e.g. 'Packages added' (id 'packages-added')."""

    id: str
    label: str
    total: int
    items: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled value; `datetime` is the machine-readable time when the value is one."""

    label: str
    text: str
    datetime: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    taken: Fact
    source: str
    packages: dict[str, int]
    grids: dict[str, int]


def _time(label: str, stamp: str | None, missing: str = "not recorded") -> Fact:
    return Fact(label, fmt.stamp_utc(stamp), stamp) if stamp else Fact(label, missing)


@dataclass(frozen=True, slots=True)
class ReportPage:
    """Everything /about/snapshot/ shows, in page order."""

    page: PageMeta
    facts: tuple[Fact, ...]
    counts: tuple[tuple[str, int], ...]  # (label, number)
    changes: tuple[ChangeList, ...] | None
    previous: Fact | None
    history: tuple[HistoryRow, ...]
    json_href: str
    rss_href: str
    atom_href: str


def _links(site: Site, slugs: list[str], kind: str) -> tuple[Link, ...]:
    if kind == "packages":
        found: Mapping[str, Any] = site.snapshot.package_by_slug
        path = site.package_path
    else:
        found, path = site.snapshot.grid_by_slug, site.grid_path
    return tuple(Link(found[s].title, site.href(path(found[s]))) if s in found else Link(s)
                 for s in slugs[:LIST_LIMIT])


def _change_list(site: Site, kind: str, label: str, slugs: list[str]) -> ChangeList:
    return ChangeList(f"{kind}-{label}", f"{kind.capitalize()} {label}", len(slugs), _links(site, slugs, kind))


def report_page(site: Site, report: dict[str, Any]) -> ReportPage:
    """The view of /about/snapshot/, built from the same dict as report.json."""
    source = report["source"]
    facts = [Fact("Source", f"{site.info.source_words} {source['location']}"),
             _time("Taken", report["fetched_at"]), _time("Built", report["built_at"])]
    if source["origin"]:
        facts.insert(1, Fact("Data of", source["origin"]))
    changes = None if report["changes"] is None else tuple(
        _change_list(site, kind, label, report["changes"][kind][key])
        for kind in ("packages", "grids")
        for label, key in (("added", "added"), ("updated", "changed"), ("removed", "removed"))
    )
    crumbs = (Link("Home", site.href("/")), Link("About", site.href("/about/")), Link("This snapshot"))
    return ReportPage(
        page=site.meta(PAGE_PATH, "About this snapshot",
                       "Where this snapshot comes from, when it was taken and built, and what it changed.",
                       alternate_json=site.href(REPORT_PATH), breadcrumbs=crumbs, nav="About"),
        facts=tuple(facts),
        counts=tuple((COUNT_LABELS.get(k, k), n) for k, n in report["counts"].items()),
        changes=changes,
        previous=_time("Previous", report["changes"]["previous_fetched_at"]) if changes else None,
        history=tuple(HistoryRow(_time("Taken", h["fetched_at"]), h["source"], h["packages"], h["grids"])
                      for h in report["history"][:HISTORY_SHOWN]),
        json_href=site.href(REPORT_PATH), rss_href=site.href(RSS_PATH), atom_href=site.href(ATOM_PATH),
    )


def render(ctx: BuildContext) -> Iterator[Output]:
    """The report stage's outputs: report.json, the page, the two what's-new feeds."""
    site = Site(ctx.snapshot, ctx.settings)
    report = report_json(ctx.snapshot, ctx.settings.base_url, build_time())
    yield REPORT_PATH.lstrip("/"), json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    view = report_page(site, report)
    yield output_file(PAGE_PATH), site.render("report/snapshot.html", page=view.page, v=view)
    yield RSS_PATH.lstrip("/"), rss(site)
    yield ATOM_PATH.lstrip("/"), atom(site)


def parts(ctx: BuildContext) -> list[Part]:
    """One part, re-run when the snapshot, the template or SOURCE_DATE_EPOCH changes."""
    deps = ctx.deps
    key = deps.key("report", deps.snapshot_digest, deps.templates("report/snapshot.html", "_header.html",
                                                                 "_footer.html"), deps.static, build_time())
    return [Part("report", lambda: render(ctx), key)]
