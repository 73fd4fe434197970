"""RSS 2.0 and Atom feeds of the latest packages added (newest `created` first, then highest id).

Written as `feeds/packages/latest/rss.xml` and `atom.xml`; the live URLs
`/feeds/packages/latest/rss/` and `/atom/` are mapped onto them by two rewrites in netlify.toml.
"""

from __future__ import annotations

import heapq

from ..model import Package
from . import format as fmt
from .site import ATOM_PATH, RSS_PATH, Site

FEED_SIZE = 15
LIVE_RSS = "/feeds/packages/latest/rss/"
LIVE_ATOM = "/feeds/packages/latest/atom/"


def latest_packages(site: Site) -> list[Package]:
    return heapq.nlargest(FEED_SIZE, site.snapshot.packages.values(),
                          key=lambda p: (fmt.sort_key_ts(p.created), p.id))


def _updated(site: Site, packages: list[Package]) -> str:
    """The feed's own date: its newest entry, else the snapshot time (never the build clock)."""
    return packages[0].created if packages else site.snapshot.manifest.fetched_at


def rss(site: Site) -> str:
    from xml.sax.saxutils import escape, quoteattr  # imports urllib.request (9 ms): only when a feed is made

    packages = latest_packages(site)
    title = f"{site.settings.title}: latest packages"
    items = "".join(
        f"<item><title>{escape(p.title)}</title><link>{escape(site.absolute(site.package_path(p)))}</link>"
        f"<description>{escape(p.repo_description)}</description>"
        f"<pubDate>{fmt.rfc822(p.created)}</pubDate>"
        f'<guid isPermaLink="true">{escape(site.absolute(site.package_path(p)))}</guid></item>'
        for p in packages
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(title)}</title><link>{escape(site.absolute('/'))}</link>"
        f"<description>{escape('The latest packages added to ' + site.settings.title + '.')}</description>"
        f"<language>en</language><lastBuildDate>{fmt.rfc822(_updated(site, packages))}</lastBuildDate>"
        f'<atom:link href={quoteattr(site.absolute(RSS_PATH))} rel="self" type="application/rss+xml"/>'
        f"{items}</channel></rss>\n"
    )


def atom(site: Site) -> str:
    from xml.sax.saxutils import escape, quoteattr

    packages = latest_packages(site)
    entries = "".join(
        f"<entry><title>{escape(p.title)}</title>"
        f'<link rel="alternate" type="text/html" href={quoteattr(site.absolute(site.package_path(p)))}/>'
        f"<id>{escape(site.absolute(site.package_path(p)))}</id>"
        f"<published>{fmt.rfc3339(p.created)}</published><updated>{fmt.rfc3339(p.created)}</updated>"
        f'<summary type="text">{escape(p.repo_description)}</summary></entry>'
        for p in packages
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>{escape(site.settings.title)}: latest packages</title>"
        f'<link rel="alternate" type="text/html" href={quoteattr(site.absolute("/"))}/>'
        f'<link rel="self" type="application/atom+xml" href={quoteattr(site.absolute(ATOM_PATH))}/>'
        f"<id>{escape(site.absolute(LIVE_ATOM))}</id>"
        f"<updated>{fmt.rfc3339(_updated(site, packages))}</updated>"
        f"<author><name>{escape(site.settings.title)}</name></author>"
        f"{entries}</feed>\n"
    )
