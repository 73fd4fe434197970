"""Feeds, sitemaps and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from .conftest import BASE_URL, Site

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_rss(site: Site) -> None:
    root = ET.fromstring(site.files["feeds/packages/latest/rss.xml"])
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("channel/item")
    assert len(items) == 15
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert all(i.findtext("link").startswith(BASE_URL + "/packages/p/") for i in items)
    assert items[0].findtext("guid") == items[0].findtext("link")
    titles = [i.findtext("title") for i in items]
    assert titles[0] == "<script>alert(1)</script>"  # the newest; escaped in XML, intact as text
    self_link = root.find(f"channel/{ATOM}link")
    assert self_link.get("href") == BASE_URL + "/feeds/packages/latest/rss.xml"


def test_atom(site: Site) -> None:
    from datetime import datetime

    root = ET.fromstring(site.files["feeds/packages/latest/atom.xml"])
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 15
    for e in entries:
        assert e.find(f"{ATOM}link").get("href").startswith(BASE_URL + "/packages/p/")
        datetime.fromisoformat(e.findtext(f"{ATOM}updated"))  # RFC 3339
    assert root.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated")
    assert root.findtext(f"{ATOM}id") == BASE_URL + "/feeds/packages/latest/atom/"


def test_sitemap_index_and_children(site: Site) -> None:
    index = ET.fromstring(site.files["sitemap.xml"])
    assert index.tag == f"{SM}sitemapindex"
    children = [s.findtext(f"{SM}loc") for s in index.findall(f"{SM}sitemap")]
    assert children == [f"{BASE_URL}/sitemap-static.xml", f"{BASE_URL}/sitemap-packages.xml",
                        f"{BASE_URL}/sitemap-grids.xml"]
    urls: dict[str, str] = {}
    for child in children:
        tree = ET.fromstring(site.files[child.removeprefix(BASE_URL + "/")])
        for u in tree.findall(f"{SM}url"):
            urls[u.findtext(f"{SM}loc")] = u.findtext(f"{SM}lastmod")
    assert all(u.startswith(BASE_URL + "/") for u in urls)
    assert urls[f"{BASE_URL}/packages/p/django-select2/"] == "2026-01-02T10:00:00-05:00"  # package `modified`
    assert urls[f"{BASE_URL}/grids/g/forms/"] == "2026-01-09T10:00:00-05:00"
    assert urls[f"{BASE_URL}/"] == "2026-02-15T19:40:00Z"
    assert f"{BASE_URL}/about/" in urls and f"{BASE_URL}/categories/apps/" in urls
    assert len([u for u in urls if "/packages/p/" in u]) == 60
    lastmods = {s.findtext(f"{SM}loc"): s.findtext(f"{SM}lastmod") for s in index.findall(f"{SM}sitemap")}
    assert lastmods[f"{BASE_URL}/sitemap-grids.xml"] == "2026-01-11T10:00:00-05:00"


def test_robots(site: Site) -> None:
    text = site.text("robots.txt")
    assert text.startswith("User-agent: *")
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in text.splitlines()
