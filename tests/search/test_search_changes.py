"""What incremental builds rely on: a term that no changed row matches keeps its answer."""

from __future__ import annotations

import dataclasses

import pytest

from bench.generate import generate_snapshot
from builder.api import search, search_text
from builder.api.search_rows import search_rows
from builder.model import SearchRow


@pytest.fixture(scope="module")
def rows_and_terms(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[SearchRow], list[str]]:
    data = tmp_path_factory.mktemp("search-changes") / "data"
    snap = generate_snapshot(data, 200, 15, seed=77)
    rows = search_rows(snap)
    return rows, sorted(search_text.vocabulary(snap, rows))


def _answers(rows: list[SearchRow], terms: list[str]) -> dict[str, bytes]:
    return {t: a.body for t, a in search.answers(terms, search.SearchIndex(rows)).items()}


@pytest.mark.parametrize("change", ["removed", "stars", "title", "weight", "description"])
def test_terms_no_changed_row_matches_keep_their_answers(rows_and_terms: tuple[list[SearchRow], list[str]],
                                                          change: str) -> None:
    rows, terms = rows_and_terms
    before = _answers(rows, terms)
    checked = 0
    for at in (3, len(rows) // 2, len(rows) - 2):
        old = rows[at]
        new = {
            "removed": None,
            "stars": dataclasses.replace(old, repo_watchers=old.repo_watchers + 1000),
            "title": dataclasses.replace(old, title="Completely Different Widget"),
            "weight": dataclasses.replace(old, weight=old.weight + 500),
            "description": dataclasses.replace(old, description="forms admin rest framework"),
        }[change]
        changed_rows = rows[:at] + ([new] if new else []) + rows[at + 1:]
        after = _answers(changed_rows, terms)
        matching = search_text.terms_matching(terms, [old] + ([new] if new else []))
        assert matching, "a row matches at least its own title"
        for term in terms:
            if term not in matching:
                assert after[term] == before[term], f"{change} at {at}: {term!r} changed but was not matched"
                checked += 1
        assert any(after[t] != before[t] for t in matching) or change == "weight"
    assert checked > len(terms)  # most terms are untouched by one row
