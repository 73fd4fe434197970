"""The "what's new" feeds (RSS 2.0 and Atom): packages added or updated over the last snapshots.

One entry per package and snapshot, newest snapshot first, added before updated, dated
by the snapshot that noticed the change (its `fetched_at`), from `snapshot.history`.
Packages no longer in the snapshot are left out: there is no page to link to.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .model import Package, Snapshot
from .pages import format as fmt
from .pages.site import Site

RSS_PATH = "/feeds/packages/whatsnew/rss.xml"
ATOM_PATH = "/feeds/packages/whatsnew/atom.xml"
FEED_SIZE = 50


@dataclass(frozen=True, slots=True)
class NewsItem:
    """A package added or updated by the snapshot taken at `fetched_at`."""

    package: Package
    kind: str  # "added" or "updated"
    fetched_at: str


def whats_new(snapshot: Snapshot, limit: int = FEED_SIZE) -> list[NewsItem]:
    """The newest `limit` items over the snapshot's history."""
    items: list[NewsItem] = []
    by_slug = snapshot.package_by_slug
    for entry in reversed(snapshot.history):
        for kind, slugs in (("added", entry.packages.added), ("updated", entry.packages.changed)):
            for slug in slugs:
                if slug in by_slug:
                    items.append(NewsItem(by_slug[slug], kind, entry.fetched_at))
                    if len(items) == limit:
                        return items
    return items


def _updated(site: Site, items: list[NewsItem]) -> str:
    """The feed's date: its newest entry, else the snapshot's (never the build clock)."""
    return items[0].fetched_at if items else site.snapshot.manifest.fetched_at


def _title(item: NewsItem) -> str:
    return f"{item.kind.capitalize()}: {item.package.title}"


def _page_url(site: Site, item: NewsItem) -> str:
    return site.absolute(site.package_path(item.package))


def _entry_id(site: Site, item: NewsItem) -> str:
    return f"{_page_url(site, item)}#{item.kind}-{item.fetched_at}"


def rss(site: Site) -> str:
    items = whats_new(site.snapshot)
    body = "".join(
        f"<item><title>{escape(_title(i))}</title>"
        f"<link>{escape(_page_url(site, i))}</link>"
        f"<description>{escape(i.package.repo_description)}</description>"
        f"<category>{i.kind}</category><pubDate>{fmt.rfc822(i.fetched_at)}</pubDate>"
        f'<guid isPermaLink="false">{escape(_entry_id(site, i))}</guid></item>'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(site.settings.title)}: what's new</title>"
        f"<link>{escape(site.absolute('/about/snapshot/'))}</link>"
        f"<description>Packages added or updated in the last snapshots of {escape(site.settings.title)}."
        f"</description><language>en</language>"
        f"<lastBuildDate>{fmt.rfc822(_updated(site, items))}</lastBuildDate>"
        f'<atom:link href={quoteattr(site.absolute(RSS_PATH))} rel="self" type="application/rss+xml"/>'
        f"{body}</channel></rss>\n"
    )


def atom(site: Site) -> str:
    items = whats_new(site.snapshot)
    entries = "".join(
        f"<entry><title>{escape(_title(i))}</title>"
        f'<link rel="alternate" type="text/html" href={quoteattr(_page_url(site, i))}/>'
        f"<id>{escape(_entry_id(site, i))}</id><category term=\"{i.kind}\"/>"
        f"<updated>{fmt.rfc3339(i.fetched_at)}</updated>"
        f'<summary type="text">{escape(i.package.repo_description)}</summary></entry>'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>{escape(site.settings.title)}: what's new</title>"
        f'<link rel="alternate" type="text/html" href={quoteattr(site.absolute("/about/snapshot/"))}/>'
        f'<link rel="self" type="application/atom+xml" href={quoteattr(site.absolute(ATOM_PATH))}/>'
        f"<id>{escape(site.absolute(ATOM_PATH))}</id>"
        f"<updated>{fmt.rfc3339(_updated(site, items))}</updated>"
        f"<author><name>{escape(site.settings.title)}</name></author>"
        f"{entries}</feed>\n"
    )
