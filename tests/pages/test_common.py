"""What every page has: valid head tags, header, footer; no script from data; deterministic output."""

from __future__ import annotations

from .conftest import BASE_URL, Site, build_pages
from .fixture import XSS


def test_every_page_head(site: Site) -> None:
    pages = site.html_paths()
    assert len(pages) > 90
    for path in pages:
        soup = site.soup(path)
        assert site.text(path).startswith("<!doctype html>"), path
        assert soup.html["lang"] == "en", path
        assert soup.title and soup.title.get_text().strip(), path
        assert soup.find("meta", attrs={"name": "description"})["content"].strip(), path
        for prop in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
            assert soup.find("meta", property=prop), (path, prop)
        if path != "404.html":
            canonical = soup.find("link", rel="canonical")["href"]
            assert canonical == BASE_URL + "/" + path.removesuffix("index.html"), path
        assert soup.select_one("form[role=search] input[name=q]"), path
        nav = [a.get_text() for a in soup.select("header nav a")]
        assert nav == ["Packages", "Grids", "Categories", "About"], path
        assert "Feb 15, 2026" in soup.select_one("footer").get_text(), path


def test_no_script_from_data_and_no_unsafe_links(site: Site) -> None:
    for path in site.html_paths():
        soup = site.soup(path)
        for script in soup.find_all("script"):  # only our own files, never inline or from data
            assert script["src"].startswith("/static/") and not script.string, (path, script)
        for tag in soup.find_all(href=True):
            assert tag["href"].startswith(("/", "#", "https://", "http://")), (path, tag["href"])
        assert "javascript:" not in " ".join(a["href"] for a in soup.find_all(href=True)).lower(), path
    assert XSS not in site.text("packages/index.html")
    assert XSS not in site.text("grids/g/forms/index.html")


def test_content_pages(site: Site) -> None:
    pages = (("about/index.html", "About this site"), ("faq/index.html", "Frequently asked questions"),
             ("api-docs/index.html", "The API"))
    for path, heading in pages:
        assert site.soup(path).h1.get_text() == heading
    api = site.soup("api-docs/index.html")
    assert api.find("a", href="/api/v4/") is not None
    assert f"{BASE_URL}/api/v4/packages/" in api.get_text()


def test_not_found_page(site: Site) -> None:
    soup = site.soup("404.html")
    assert soup.h1.get_text() == "Page not found"
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert soup.find("link", rel="stylesheet")["href"].startswith("/static/site.css?v=")


def test_static_assets(site: Site) -> None:
    assert "prefers-color-scheme:dark" in site.text("static/site.css")
    assert "static/favicon.svg" in site.files


def test_deterministic(site: Site) -> None:
    again = build_pages(site.root, base_url=BASE_URL)
    assert list(again) == list(site.files)
    assert again == site.files


def test_base_url_with_a_path(site: Site) -> None:
    files = build_pages(site.root, base_url="https://example.org/mirror")
    html = files["packages/p/django-select2/index.html"].decode()
    assert 'href="/mirror/grids/g/forms/"' in html
    assert 'rel="canonical" href="https://example.org/mirror/packages/p/django-select2/"' in html
    assert 'action="/mirror/search/"' in html


def test_package_page_weight(site: Site) -> None:
    """The package page with its CSS and JS stays under 30 KB compressed."""
    import gzip

    files = ["packages/p/django-select2/index.html", "static/site.css"]
    files += [p for p in site.files if p.startswith("static/") and p.endswith(".js")]
    assert sum(len(gzip.compress(site.files[f])) for f in files) < 30_000
