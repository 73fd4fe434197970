"""Crawl a Django Packages API v4 (the live site, a mirror, or our own static copy) into a snapshot.

    report = crawl("https://djangopackages.org", Path("data"), CrawlOptions(page_size=100))

Stages: read every list politely (`client`, `crawler`), journaling pages for
`--resume` (`journal`); write the snapshot with `write_snapshot`, which validates
it with the build's loader; let the safety gate (`gate`) veto a snapshot that drops
too much; swap it in atomically; report the numbers and the change (`report`,
`builder.changes`). Any failure leaves the previous `data/` as it was.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..changes import KindChanges, SnapshotChanges, diff_snapshots
from ..errors import CrawlError, SnapshotError
from ..model import Snapshot
from ..snapshot import load_snapshot, snapshot_counts, write_snapshot
from .client import ClientSettings, ClientStats, PoliteClient
from .crawler import Crawler, Progress, Records
from .gate import shrink_refusal
from .journal import Journal
from .links import LinkMap
from .report import CrawlReport

__all__ = ["ClientSettings", "CrawlOptions", "CrawlReport", "Progress", "crawl", "default_report_path"]


@dataclass
class CrawlOptions:
    """Everything a crawl can be told besides the source and the data folder."""

    page_size: int = 100
    client: ClientSettings = field(default_factory=ClientSettings)
    allow_shrink: bool = False
    max_shrink: float = 0.10
    resume: bool = False
    report_path: Path | None = None  # default: crawl-report.json beside the data folder
    max_passes: int = 3
    progress: Callable[[Progress], None] | None = None


class _Refused(Exception):
    """The safety gate kept the previous snapshot."""


def default_report_path(data_dir: Path) -> Path:
    """Where the JSON report goes by default: beside the data folder, not inside it."""
    return Path(data_dir).parent / "crawl-report.json"


def crawl(source_url: str, data_dir: Path, options: CrawlOptions | None = None) -> CrawlReport:
    """Crawl `source_url` into `data_dir` and return the report; CrawlError when it cannot complete."""
    options = options or CrawlOptions()
    if options.page_size < 1:
        raise CrawlError(f"the page size must be at least 1, got {options.page_size}")
    data_dir = Path(data_dir)
    clock = time.perf_counter()
    links = LinkMap(source_url)
    previous = _previous_snapshot(data_dir)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    journal = Journal(data_dir, source=links.base, page_size=options.page_size, started=now,
                      resume=options.resume)
    fetch_started = time.perf_counter()
    try:
        records, crawler = asyncio.run(_collect(links, journal, options))
    finally:
        journal.close()
    fetch_seconds = time.perf_counter() - fetch_started
    stats: ClientStats = crawler.progress.stats
    report = CrawlReport(
        source=links.base, origin=links.origin or links.base, data_dir=data_dir, fetched_at=journal.started,
        counts={}, requests=stats.requests, retries=stats.retries, bytes=stats.bytes, seconds=0.0,
        fetch_seconds=fetch_seconds,
        pages=crawler.progress.pages_done, pages_from_journal=crawler.progress.from_journal,
        replaced=False, changes=SnapshotChanges(KindChanges(), KindChanges(), KindChanges()),
    )

    def gate(snapshot: Snapshot) -> None:
        report.counts = snapshot_counts(snapshot)
        report.changes = diff_snapshots(previous, snapshot)
        if not options.allow_shrink:
            report.refused = shrink_refusal(report.changes, options.max_shrink)
            if report.refused:
                raise _Refused(report.refused)

    report_path = options.report_path or default_report_path(data_dir)
    try:
        write_snapshot(
            data_dir,
            source={"kind": "crawl", "location": links.base, "origin": report.origin},
            fetched_at=journal.started,
            categories=records.categories, grids=records.grids, packages=records.packages,
            before_swap=gate,
        )
    except _Refused as exc:
        report.seconds = time.perf_counter() - clock
        report.write(report_path)
        raise CrawlError(f"kept the previous snapshot in {data_dir}: {exc}; the pages are journaled, so "
                         "`--resume --allow-shrink` finishes without fetching again") from None
    except SnapshotError as exc:
        raise CrawlError(f"the crawled snapshot is invalid, {data_dir} is unchanged: {exc.message}") from exc
    journal.remove()
    report.replaced = True
    report.seconds = time.perf_counter() - clock
    report.write(report_path)
    return report


async def _collect(links: LinkMap, journal: Journal, options: CrawlOptions) -> tuple[Records, Crawler]:
    async with PoliteClient(options.client, tls=links.base.startswith("https:")) as client:
        crawler = Crawler(client, links, journal, page_size=options.page_size,
                          max_passes=options.max_passes, progress=options.progress)
        return await crawler.collect(), crawler


def _previous_snapshot(data_dir: Path) -> Snapshot | None:
    """The snapshot the crawl would replace; None when there is none or it is unreadable."""
    if not (data_dir / "manifest.json").exists():
        return None
    try:
        return load_snapshot(data_dir)
    except SnapshotError:
        return None  # an invalid snapshot cannot be built anyway: nothing to protect

