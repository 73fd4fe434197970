"""Every request of the small reference crawl, resolved as the CDN would, against the recording."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from builder.api.resolver import Resolver

from .conftest import recorded

# Requests a static host cannot answer like the live API; each is explained in docs/api.md.
UNKNOWN_ENTITY = "unknown id or slug: a rewrite to a missing file is Netlify's 404 page"
DEVIATIONS = {
    "/api/v4/no-such-endpoint/": "unknown endpoint: JSON 404 instead of Django's HTML page",
    "/api/v4/packages": "Netlify ignores the trailing slash: 200, not a 301",
    "/api/v4/packages/1423": "Netlify ignores the trailing slash: 200, not a 301",
    "/api/v3/packages": "Netlify ignores the trailing slash: 200, not a 301",
    "/api/v4/packages/?limit=abc": "page size outside the precomputed set: JSON error",
    "/api/v4/packages/?limit=5&offset=3": "page size outside the precomputed set: JSON error",
    "/api/v4/packages/?offset=-5": "offset outside the precomputed set",
    "/api/v3/packages/?limit=abc&offset=xyz": "page size outside the precomputed set: JSON error",
    "/api/v3/packages/?category=no-such-category": "unknown category has no file",
    "/api/v4/search/?q=select2&format=api": "no browsable page per search term: 404",
}
# Recorded queries that are words of descriptions or participants only: the vocabulary has the
# words of titles and slugs (see docs/api.md), so these have no file.
for _q in ("rest", "api", "a", "codingjoe"):
    DEVIATIONS[f"/api/v4/search/?q={_q}"] = "word of a description or participant: outside the vocabulary"
# Search answers whose ranking or matching our FTS model does not reproduce exactly yet.
SEARCH_APPROXIMATE = {"select", "django-select2", "forms", "Forms", "admin", "django"}


def _outcome(resolver: Resolver, req: dict) -> list[str]:
    resp = resolver.get(req["url"])
    problems = []
    if resp.status != req["status"]:
        problems.append(f"status {resp.status} != {req['status']}")
    if 300 <= req["status"] < 400:
        if resp.headers.get("Location") != req.get("location"):
            problems.append(f"Location {resp.headers.get('Location')!r}")
        return problems
    want = req["content_type"].split(";")[0]
    got = resp.content_type.split(";")[0]
    if got != want:
        problems.append(f"content type {got} != {want}")
    elif want == "application/json" and json.loads(resp.body) != json.loads(req["path"].read_bytes()):
        problems.append("body differs")
    return problems


def _expected_to_deviate(req: dict) -> str | None:
    url = req["url"]
    if url in DEVIATIONS:
        return DEVIATIONS[url]
    if req["status"] == 404 and req["content_type"].startswith("application/json") \
            and "format=" not in url:
        return UNKNOWN_ENTITY
    if url.startswith("/api/v4/search/"):
        q = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)).get("q", "")
        if q in SEARCH_APPROXIMATE:
            return "search ranking approximated"
        if q.strip() != q or any(c in q for c in "<&\"") or q not in _VOCAB:
            return "query outside the precomputed vocabulary"
    return None


_VOCAB: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _vocab(site: Path) -> None:
    for f in (site / "api" / "v4" / "search" / "q").glob("*.json"):
        _VOCAB.add(unquote(f.name[:-5]).replace("+", " "))


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_every_recorded_request(resolver: Resolver, api: str) -> None:
    failures, deviated = [], []
    for req in recorded(api):
        if "accept" in req:  # content negotiation by header is out of scope for a static host
            continue
        problems = _outcome(resolver, req)
        reason = _expected_to_deviate(req)
        if reason:
            deviated.append(req["url"])
            if not problems:
                failures.append(f"{req['url']}: listed as a deviation ({reason}) but matches now")
        elif problems:
            failures.append(f"{req['url']}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)
    assert len(deviated) < len(recorded(api)) // 2
