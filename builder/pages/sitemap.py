"""`sitemap.xml` (a sitemap index) and its children: static pages, packages, grids.

lastmod comes from the data: a package's or grid's `modified`, a category's `modified`, and
for pages without a date of their own the snapshot's `fetched_at`. A child holds at most
50,000 URLs (the protocol's limit); beyond that it continues in `sitemap-packages-2.xml` …
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import format as fmt
from .site import Site

MAX_URLS = 50_000
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _urlset(entries: list[tuple[str, str]]) -> str:
    from xml.sax.saxutils import escape  # imports urllib.request (9 ms): only when sitemaps are made

    body = "".join(f"<url><loc>{escape(loc)}</loc><lastmod>{fmt.rfc3339(mod)}</lastmod></url>"
                   for loc, mod in entries)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{XMLNS}">{body}</urlset>\n'


def static_entries(site: Site, extra_paths: Iterable[str]) -> list[tuple[str, str]]:
    fetched = site.snapshot.manifest.fetched_at
    out = [(site.absolute(p), fetched) for p in ("/", "/packages/", "/grids/", "/categories/")]
    out += [(site.absolute(site.category_path(c)), c.modified) for c in site.snapshot.categories.values()]
    out += [(site.absolute(p), fetched) for p in extra_paths]
    return out


def sitemaps(site: Site, extra_paths: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(file, XML) for every sitemap file, the index last."""
    children = {
        "sitemap-static": static_entries(site, extra_paths),
        "sitemap-packages": [(site.absolute(site.package_path(p)), p.modified)
                             for p in site.snapshot.packages.values()],
        "sitemap-grids": [(site.absolute(site.grid_path(g)), g.modified)
                          for g in site.snapshot.grids.values()],
    }
    index: list[tuple[str, str]] = []
    for name, entries in children.items():
        for n, start in enumerate(range(0, max(len(entries), 1), MAX_URLS)):
            chunk = entries[start:start + MAX_URLS]
            file = f"{name}.xml" if n == 0 else f"{name}-{n + 1}.xml"
            lastmod = max(chunk, key=lambda e: fmt.sort_key_ts(e[1]))[1] if chunk else \
                site.snapshot.manifest.fetched_at
            index.append((site.absolute("/" + file), lastmod))
            yield file, _urlset(chunk)
    from xml.sax.saxutils import escape

    body = "".join(f"<sitemap><loc>{escape(loc)}</loc><lastmod>{fmt.rfc3339(mod)}</lastmod></sitemap>"
                   for loc, mod in index)
    yield "sitemap.xml", (f'<?xml version="1.0" encoding="utf-8"?>\n'
                          f'<sitemapindex xmlns="{XMLNS}">{body}</sitemapindex>\n')


def shown(site: Site) -> bytes:
    """What the sitemaps show of the snapshot (with the content pages' paths): the fetch time,
    and the slug and `modified` of every category, package and grid, for the parts' keys."""
    snap = site.snapshot
    fields = [snap.manifest.fetched_at]
    for records in (snap.categories, snap.packages, snap.grids):
        fields.append(str(len(records)))
        fields += [text for r in records.values() for text in (r.slug, r.modified)]
    return "\n".join(fields).encode()


def robots(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.absolute('/sitemap.xml')}\n"
