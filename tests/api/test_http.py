"""A real HTTP client against `python build.py serve`'s server."""

from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from builder.serve import serve_in_thread

from .conftest import ROOT


def test_following_next_reaches_every_package_once(site: Path, config: Path) -> None:
    server, base = serve_in_thread(site, config)
    try:
        seen: list[int] = []
        url: str | None = base + "/api/v4/packages/"
        with httpx.Client() as client:
            while url:
                r = client.get(url)
                assert r.status_code == 200 and r.headers["content-type"] == "application/json"
                assert r.headers["access-control-allow-origin"] == "*"
                page = r.json()
                seen += [p["id"] for p in page["results"]]
                url = page["next"] and page["next"].replace("https://djangopackages.org", base)
            total = page["count"]
            grids = client.get(base + "/api/v4/grids/?limit=500").json()
        lines = (ROOT / "data" / "packages.jsonl").read_text(encoding="utf-8").splitlines()
        expected = [json.loads(line)["id"] for line in lines if line]
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)) == total
        assert grids["next"] is None and len(grids["results"]) == grids["count"]
    finally:
        server.shutdown()
        server.server_close()


def test_browsable_page(site: Path, config: Path) -> None:
    server, base = serve_in_thread(site, config)
    try:
        html = httpx.get(base + "/api/v4/packages/1423/?format=api")
        plain = httpx.get(base + "/api/v4/packages/1423/?format=api".replace("=api", "=json")).json()
    finally:
        server.shutdown()
        server.server_close()
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(html.text, "html.parser")
    assert soup.title.get_text() == "Package Instance – Django REST framework"
    assert [a.get_text() for a in soup.select(".breadcrumb a")] == ["Api Root", "Package List",
                                                                     "Package Instance"]
    assert soup.select_one(".description").get_text(strip=True) == \
        "API endpoint that allows packages to be viewed or edited."
    assert soup.select_one(".request-info").get_text() == "GET /api/v4/packages/1423/?format=api"
    meta = soup.select_one(".response-info span.meta").get_text()
    assert meta.split("\n")[:4] == ["HTTP 200 OK", "Allow: GET, HEAD, OPTIONS",
                                    "Content-Type: application/json", "Vary: Accept"]
    shown = json.loads(soup.select_one(".response-info pre").get_text()[len(meta):])
    assert shown == json.loads(json.dumps(plain).replace("?format=json", "?format=api"))
    links = [a["href"] for a in soup.select(".response-info pre a")]
    assert "https://djangopackages.org/api/v4/categories/1/?format=api" in links


def test_a_client_that_goes_away_leaves_no_traceback(site: Path, config: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    big = "/api/v4/packages/page/500/0.format-json.json"
    server, base = serve_in_thread(site, config)
    try:
        for _ in range(3):
            with socket.create_connection(server.server_address) as s:
                s.sendall(f"GET {big} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        time.sleep(0.5)
        assert httpx.get(base + big).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capsys.readouterr().err
