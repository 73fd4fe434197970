"""The package page, /packages/p/<slug>/."""

from __future__ import annotations

from .conftest import BASE_URL, Site
from .fixture import XSS


def test_sections_in_live_order(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    assert soup.h1.get_text() == "Django-Select2"
    assert [h.get_text(" ", strip=True).split(" ")[0] for h in soup.select("main h2")] == [
        "Repository", "Commit", "Releases", "Contributors", "Documentation", "PyPI", "Comparison", "README"]
    assert [li.get_text() for li in soup.select("nav.crumbs li")] == ["Home", "Packages", "Django-Select2"]
    assert soup.select_one("p.lead").get_text() == "This is a Django integration for Select2"


def test_repository_activity(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    section = soup.find(id="s-activity").parent
    assert section.select_one("p.repo a")["href"] == "https://github.com/example/django-select2"
    stats = {d.dt.get_text(): d.dd.get_text() for d in section.select("dl.stats div")}
    assert stats["Stars"] == "26,950" and stats["Forks"] == "1,203" and stats["Commits"] == "4,321"
    assert "Jan 07, 2026" in section.get_text()


def test_commit_graph(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    svg = soup.find(id="s-commits").parent.svg
    assert svg["role"] == "img" and svg.title and svg.desc
    assert len(svg.find_all("rect")) == 52
    empty = site.soup("packages/p/evil/index.html").find(id="s-commits").parent
    assert empty.svg is None and "No commit data" in empty.get_text()


def test_releases_newest_first_without_hidden(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    rows = soup.select("table.releases tbody tr")
    assert [r.td.get_text() for r in rows] == ["8.4.8", "8.4.7", "0.0.1"]
    assert rows[0].find_all("td")[1].get_text() == "Jan 07, 2026"
    assert soup.find(id="s-releases").select_one(".count").get_text() == "3"
    assert site.soup("packages/p/evil/index.html").find(id="s-releases") is None  # extra unknown


def test_contributors_pypi_docs_grids_badge(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    people = soup.select("ul.people li")
    assert [li.get_text() for li in people] == ["codingjoe", "dependabot[bot]", "applegrew"]
    assert people[0].a["href"] == "https://github.com/codingjoe" and people[1].a is None
    assert soup.find(id="s-docs").parent.a["href"] == "https://django-select2.readthedocs.io/"
    facts = soup.find(id="s-pypi").parent.get_text(" ", strip=True)
    assert "8.4.8" in facts and "MIT" in facts and ">=3.10" in facts
    grids = soup.find(id="s-grids").parent.find_all("a")
    assert [(a.get_text(), a["href"]) for a in grids] == [
        ("Forms", "/grids/g/forms/"), ("Big Grid", "/grids/g/big/")]
    assert f"({BASE_URL}/packages/p/django-select2/)" in soup.find(id="badge-md").get_text()


def test_json_twin(site: Site) -> None:
    soup = site.soup("packages/p/django-select2/index.html")
    link = soup.find("link", rel="alternate", type="application/json")
    assert link["href"] == "/api/v4/packages/1/"


def test_deprecated_and_archived(site: Site) -> None:
    soup = site.soup("packages/p/old-thing/index.html")
    notes = soup.select(".notice")
    assert "Deprecated" in notes[0].get_text() and "Feb 02, 2024" in notes[0].get_text()
    assert notes[0].a["href"] == "/packages/p/new-thing/" and notes[0].a.get_text() == "New Thing"
    assert "archived" in notes[1].get_text() and "Mar 03, 2024" in notes[1].get_text()
    new = site.soup("packages/p/new-thing/index.html")
    assert not new.select(".notice")
    assert new.select_one("header.head a[href='/packages/p/old-thing/']").get_text() == "Old Thing"


def test_hostile_package(site: Site) -> None:
    soup = site.soup("packages/p/evil/index.html")
    assert soup.h1.get_text() == XSS
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert not [h for h in hrefs if not h.startswith(("/", "#", "https://", "http://"))]
    assert soup.find(id="s-activity").parent.select_one("p.repo").get_text() == "javascript:alert(1)"
    assert "Last fetched: never" in soup.get_text()


def test_unicode(site: Site) -> None:
    soup = site.soup("packages/p/unicode/index.html")
    assert soup.h1.get_text() == "Django Straße ✓ 日本語"
    assert "l’Unicode" in soup.select_one("p.lead").get_text()
