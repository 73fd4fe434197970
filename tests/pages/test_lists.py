"""The home page, package lists, category pages and the category index."""

from __future__ import annotations

from .conftest import Site


def _names(site: Site, path: str) -> list[str]:
    return [tr.select_one("td.name a").get_text() for tr in site.soup(path).select("table.list tbody tr")]


def test_list_sorted_by_name_and_paginated(site: Site) -> None:
    first, second = _names(site, "packages/index.html"), _names(site, "packages/page/2/index.html")
    assert len(first) == 50 and len(second) == 10
    names = first + second
    assert names == sorted(names, key=str.casefold)
    soup = site.soup("packages/page/2/index.html")
    assert soup.select_one("a[rel=prev]")["href"] == "/packages/"
    assert soup.select_one(".pager [aria-current]").get_text() == "2"


def test_sorted_by_stars_with_ties_by_id(site: Site) -> None:
    rows = site.soup("packages/sort/stars/index.html").select("table.list tbody tr")
    stars = [int(tr.select("td.num")[1].get_text().replace(",", "")) for tr in rows]
    assert stars == sorted(stars, reverse=True) and stars[0] == 26950
    assert _names(site, "packages/sort/stars/index.html")[1:7] == ["Pkg 10", "Pkg 20", "Pkg 30", "Pkg 40",
                                                                   "Pkg 50", "Pkg 60"]
    th = site.soup("packages/sort/stars/index.html").find("th", attrs={"aria-sort": True})
    assert th.get_text() == "Stars"


def test_sorted_by_forks_and_updated(site: Site) -> None:
    assert _names(site, "packages/sort/forks/index.html")[0] == "Django-Select2"
    updated = _names(site, "packages/sort/updated/index.html")
    updated += _names(site, "packages/sort/updated/page/2/index.html")
    assert updated[-1] == "<script>alert(1)</script>"  # never updated: last
    assert "packages/sort/forks/page/2/index.html" in site.files


def test_category_filter_links(site: Site) -> None:
    soup = site.soup("packages/sort/stars/index.html")
    tabs = [(a.get_text(), a["href"]) for a in soup.select("nav.filters a")]
    assert tabs == [("All (60)", "/packages/sort/stars/"), ("App (59)", "/categories/apps/sort/stars/"),
                    ("Framework (1)", "/categories/frameworks/sort/stars/"),
                    ("Empty (0)", "/categories/empty/sort/stars/")]


def test_category_pages(site: Site) -> None:
    assert _names(site, "categories/frameworks/index.html") == ["Django Straße ✓ 日本語"]
    soup = site.soup("categories/frameworks/index.html")
    assert soup.h1.get_text() == "Frameworks" and "<em>" in soup.select_one("p.lead").get_text()
    assert "No packages" in site.soup("categories/empty/index.html").get_text()
    index = site.soup("categories/index.html")
    assert [(a.get_text(), a["href"]) for a in index.select(".cards h2 a")][:2] == [
        ("Apps", "/categories/apps/"), ("Frameworks", "/categories/frameworks/")]


def test_home_sections(site: Site) -> None:
    soup = site.soup("index.html")
    heads = [h.get_text() for h in soup.select("main h2")]
    assert heads == ["Categories", "Latest Package Releases", "Latest Packages Added", "Recently Updated",
                     "Most Starred Packages", "Grids"]
    counts = [c.get_text() for c in soup.select(".cards .count")]
    assert counts == ["59", "1", "0"]
    starred = soup.find(id="h-starred").parent.select("li a")
    assert starred[0].get_text() == "Django-Select2" and len(starred) == 5
    releases = soup.find(id="h-releases").parent.select("li a")
    assert releases[0].get_text() == "Django-Select2 8.4.8"
    assert soup.select_one("form[role=search]")["action"] == "/search/"
