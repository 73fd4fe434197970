"""Comparison grids: /grids/ and /grids/g/<slug>/."""

from __future__ import annotations

from .conftest import Site
from .fixture import BIG_GRID, XSS

STANDARD = ["Description", "Category", "Using This", "Python 3?", "Dev Status", "Version", "Stars", "Forks",
            "Commits", "Updated", "License", "Links"]


def _rows(site: Site, slug: str) -> dict[str, list]:
    soup = site.soup(f"grids/g/{slug}/index.html")
    out = {}
    for tr in soup.select("table.grid tbody tr"):
        if "section" in (tr.get("class") or []):
            continue
        label = tr.th.find(string=True, recursive=False) or tr.th.get_text()
        out[label.strip()] = tr.find_all("td")
    return out


def test_columns_and_standard_rows(site: Site) -> None:
    soup = site.soup("grids/g/forms/index.html")
    heads = soup.select("table.grid thead th")[1:]
    assert [h.get_text() for h in heads] == [
        "Django-Select2", XSS, "Django Straße ✓ 日本語", "Old Thing", "New Thing"]
    assert heads[0].a["href"] == "/packages/p/django-select2/"
    labels = list(_rows(site, "forms"))
    assert labels == [*STANDARD, "Tests", "Notes"]
    assert soup.select_one("tr.section").get_text() == "Feature Comparison"


def test_standard_values(site: Site) -> None:
    rows = _rows(site, "forms")
    assert rows["Stars"][0].get_text() == "26,950"
    assert rows["Version"][0].get_text() == "8.4.8" and rows["Version"][1].get_text() == "—"
    assert rows["Dev Status"][0].get_text() == "Production/Stable"
    assert rows["Updated"][1].get_text() == "—"
    assert rows["Commits"][0].svg is not None and rows["Commits"][1].svg is None
    assert [a.get_text() for a in rows["Links"][0].find_all("a")] == ["Page", "Repo", "Docs", "PyPI"]
    assert [a.get_text() for a in rows["Links"][1].find_all("a")] == ["Page"]  # javascript: URLs dropped


def test_feature_cells(site: Site) -> None:
    rows = _rows(site, "forms")
    tests = [td.span["class"][0] if td.span else td.get_text() for td in rows["Tests"]]
    assert tests == ["yes", "no", "yes", "no", "yes"]
    assert rows["Tests"][2].get_text() == "✓✓✓" and rows["Tests"][3].get_text() == "✗✗"
    notes = rows["Notes"]
    assert notes[0].a["href"] == "https://example.com/docs" and notes[0].br is not None
    assert notes[1].a is None and notes[1].get_text() == "javascript:alert(4)"
    assert notes[2].get_text() == "—" and notes[4].get_text() == "—"  # empty text, missing cell
    assert notes[3].get_text() == XSS and notes[3].script is None


def test_description_is_text_with_links(site: Site) -> None:
    lead = site.soup("grids/g/forms/index.html").select_one("p.lead")
    assert XSS in lead.get_text() and lead.script is None
    assert lead.a["href"] == "https://example.com/forms"


def test_forty_package_grid(site: Site) -> None:
    soup = site.soup("grids/g/big/index.html")
    assert len(soup.select("table.grid thead th")) == 1 + 1 + len(BIG_GRID)
    assert all(len(tr.find_all("td")) == 41 for tr in soup.select("table.grid tbody tr:not(.section)"))
    assert soup.select_one("div.grid-wrap")["tabindex"] == "0"
    css = site.text("static/site.css")
    assert "position:sticky" in css and ".grid-wrap{overflow:auto" in css


def test_grid_without_known_features(site: Site) -> None:
    soup = site.soup("grids/g/crawled/index.html")
    assert soup.h1.get_text() == "Crawled" and "No packages in this grid" in soup.get_text()


def test_grid_list(site: Site) -> None:
    soup = site.soup("grids/index.html")
    rows = soup.select("table.list tbody tr")
    assert [r.a.get_text() for r in rows] == ["Big Grid", "Crawled", "Forms"]
    assert [td.get_text() for td in rows[0].select("td.num")] == ["41", "1"]
    assert rows[1].select("td.num")[1].get_text() == "—"


