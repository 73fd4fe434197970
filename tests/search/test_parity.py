"""static/search.js ranks exactly like builder.search.rank (run under Node)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import search

from .helpers import js_rank, node

QUERIES = ["select2", "select", "django-select2", "forms", "Forms", "auth", "rest", "drf", "cms", "cache",
           "admin", "api", "tagging", "autocomplete", "autocomplet", "REST framework", "rest api", "ünïcode",
           "日本語", "<script>", "&", '"quoted"', "a", "ab", "zzzzzz-no-match", "", "+++", "django", "map",
           "codingjoe", "s3 storage", "django_", "Straße", "ελληνικά", "dj", "widgets"]

pytestmark = pytest.mark.skipif(node() is None, reason="needs Node.js (apt-get install nodejs)")


def test_same_results_as_python(items: list[search.Entry], index: search.SearchIndex, tmp_path: Path) -> None:
    found = js_rank(index, tmp_path, QUERIES)
    position = {id(e): n for n, e in enumerate(items)}
    for query in QUERIES:
        python = [position[id(e)] for e in search.rank(items, query)]
        assert found[query]["positions"] == python, query
        assert found[query]["total"] == len(search.rank(items, query, limit=len(items))), query


def test_select2_is_first(index: search.SearchIndex, items: list[search.Entry], tmp_path: Path) -> None:
    first = js_rank(index, tmp_path, ["select2"])["select2"]["positions"][0]
    assert items[first].slug == "django-select2"
