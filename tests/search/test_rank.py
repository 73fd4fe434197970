"""Ranking: exact and prefix title/slug matches first, then weight; the live site's examples."""

from __future__ import annotations

from builder import search


def slugs(items: list[search.Entry], query: str) -> list[str]:
    return [e.slug for e in search.rank(items, query)]


def test_select2_first(items: list[search.Entry]) -> None:
    assert slugs(items, "select2")[0] == "django-select2"
    assert slugs(items, "  SELECT2 ")[0] == "django-select2"
    assert slugs(items, "Django-Select2")[0] == "django-select2"


def test_exact_then_prefix_then_weight() -> None:
    def entry(slug: str, weight: int, description: str = "") -> search.Entry:
        return search.Entry("package", len(slug), slug, slug, description, "App", weight, 0, 0, None)

    items = sorted([entry("django-forms-builder", 90), entry("forms-plus", 80), entry("crispy-forms", 70),
                    entry("widgets", 95, "Better forms for Django"), entry("forms", 10), entry("unrelated", 99)],
                   key=search.weight_order)
    assert [e.slug for e in search.rank(items, "forms")] == [
        "forms", "django-forms-builder", "forms-plus", "crispy-forms", "widgets"]


def test_every_word_must_match(items: list[search.Entry]) -> None:
    found = search.rank(items, "rest framework", limit=100)
    assert found
    for e in found:
        text = f"{e.title} {e.slug} {e.description}".lower()
        assert "rest" in text and "framework" in text


def test_at_most_twenty(items: list[search.Entry]) -> None:
    assert len(search.rank(items, "django")) == search.MAX_RESULTS


def test_no_results() -> None:
    assert search.rank([], "x") == []
    items = [search.Entry("grid", 1, "Forms", "forms", "", "Grid", 0, 3, 0, None)]
    for query in ("", "   ", "zzzzzz-no-match", "<script>", "+++"):
        assert search.rank(items, query) == []


def test_short_words_do_not_search_descriptions() -> None:
    items = [search.Entry("package", 1, "alpha", "alpha", "a b cache", "App", 0, 0, 0, None)]
    assert search.rank(items, "c") == []
    assert [e.slug for e in search.rank(items, "ca")] == ["alpha"]
