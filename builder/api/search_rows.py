"""The search index rows: the snapshot's own (a dump has the live SearchV3 table), or computed.

Computed rows follow searchv3's builder where the snapshot allows: grid weight is
calc_grid_weight (100/6 steps below the top package weight for unlocked, header-less or empty
grids); a package's weight needs searchv2's scoring rules over downloads, usage and release
dates, which a crawl does not have, so it is 0; `created`/`modified` are the snapshot's
`fetched_at` (when the index would have been built) in API v4 form.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..model import SearchRow, Snapshot

LIVE_TZ = ZoneInfo("America/New_York")


def _v4_time(utc: str) -> str:
    return datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(LIVE_TZ).isoformat()


def grid_weight(*, is_locked: bool, header: bool, has_packages: bool, max_weight: int) -> int:
    """searchv3.builders.calc_grid_weight."""
    increment = max_weight / 6
    weight = max_weight - increment
    weight -= 0 if is_locked else increment
    weight -= 0 if header else increment
    weight -= 0 if has_packages else increment
    return int(weight)


Known = dict[int, tuple[object, SearchRow]]  # id(record) -> (the record, the row made from it)


def search_rows(snap: Snapshot, known: Known | None = None) -> list[SearchRow]:
    """The rows to search: the snapshot's, else computed from packages and grids.

    `known`: rows an earlier build of this process computed (`rows_by_record`). A row made from
    the very same record, at the same place, with the same category title and fetch time, is
    that row: the row is a function of those (records are never changed once loaded)."""
    if snap.search_rows is not None:
        return snap.search_rows
    known = known or {}
    when = _v4_time(snap.manifest.fetched_at)
    rows: list[SearchRow] = []
    for p in snap.packages.values():
        title = snap.categories[p.category].title
        found = known.get(id(p))
        if found is not None and found[0] is p:
            row = found[1]
            if row.id == len(rows) + 1 and row.category == title and row.created == when:
                rows.append(row)
                continue
        extra = p.extra
        rows.append(SearchRow(
            id=len(rows) + 1, item_type="package", slug=p.slug, title=p.title,
            description=p.repo_description, category=title, weight=0,
            created=when, modified=when, repo_watchers=p.repo_watchers, repo_forks=p.repo_forks,
            pypi_downloads=extra.pypi_downloads if extra else 0, score=extra.score if extra else 0,
            usage=extra.usage_count if extra else 0, participants=",".join(p.participants),
            last_committed=p.last_updated, last_released=None))
    top = max((r.weight for r in rows), default=0) or 100
    for g in snap.grids.values():
        row = SearchRow(
            id=len(rows) + 1, item_type="grid", slug=g.slug, title=g.title, description=g.description,
            category="", weight=grid_weight(is_locked=g.is_locked, header=g.header,
                                            has_packages=bool(g.packages), max_weight=top),
            created=when, modified=when, repo_watchers=0, repo_forks=0, pypi_downloads=0, score=0,
            usage=0, participants="", last_committed=None, last_released=None)
        found = known.get(id(g))
        rows.append(found[1] if found is not None and found[0] is g and found[1] == row else row)
    return rows


def rows_by_record(snap: Snapshot, rows: list[SearchRow]) -> Known:
    """`search_rows(snap)`'s rows by the record each was made from, for `search_rows`'s `known`
    (none when the rows are the snapshot's own)."""
    if snap.search_rows is not None:
        return {}
    records = [*snap.packages.values(), *snap.grids.values()]
    return {id(record): (record, row) for record, row in zip(records, rows, strict=True)}
