"""The committed sample snapshot (data/, from the reference dump) renders Django-Select2 as live does."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import build_pages

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def sample() -> dict[str, bytes]:
    if not (DATA / "manifest.json").exists():
        pytest.skip("no sample snapshot in data/")
    return build_pages(DATA, base_url="https://djangopackages.org")


def test_django_select2(sample: dict[str, bytes]) -> None:
    soup = BeautifulSoup(sample["packages/p/django-select2/index.html"], "html.parser")
    assert soup.h1.get_text() == "Django-Select2"
    assert soup.select_one("p.lead").get_text() == "This is a Django integration for Select2"
    assert soup.find("link", rel="alternate", type="application/json")["href"] == "/api/v4/packages/1423/"
    assert soup.find("link", rel="canonical")["href"] == "https://djangopackages.org/packages/p/django-select2/"
    activity = soup.find(id="s-activity").parent
    assert activity.select_one("p.repo a")["href"] == "https://github.com/codingjoe/django-select2"
    stats = {d.dt.get_text(): d.dd.get_text() for d in activity.select("dl.stats div")}
    assert (stats["Stars"], stats["Forks"], stats["Commits"]) == ("209", "57", "1,386")
    assert "Last fetched: Feb 15, 2026" in activity.get_text()
    assert len(soup.find(id="s-commits").parent.find_all("rect")) == 52
    releases = soup.select("table.releases tbody tr")
    assert len(releases) == 26 and releases[0].td.get_text() == "8.4.8"
    grids = [a["href"] for a in soup.find(id="s-grids").parent.find_all("a")]
    assert grids == ["/grids/g/select-widgets/", "/grids/g/auto-complete/", "/grids/g/forms/",
                     "/grids/g/admin-widgets/"]  # live order: grids 58, 19, 16, 442
    assert len(soup.select("ul.people li")) == 80
    assert soup.find(id="s-docs").parent.a["href"] == "https://pythonhosted.org/django-select2/"


def test_every_sample_page_is_there(sample: dict[str, bytes]) -> None:
    pages = [p for p in sample if p.startswith("packages/p/")]
    assert len(pages) == 60
    assert len([p for p in sample if p.startswith("grids/g/")]) == 8
    for path, data in sample.items():
        if path.endswith(".html"):
            soup = BeautifulSoup(data, "html.parser")
            assert all(s.get("src", "").startswith("/static/") for s in soup.find_all("script")), path


def test_home_latest_releases_name_each_package_once(sample: dict[str, bytes]) -> None:
    soup = BeautifulSoup(sample["index.html"], "html.parser")
    names = [a["href"] for a in soup.find(id="h-releases").parent.select("li a")]
    assert len(names) == 5 and len(set(names)) == 5
