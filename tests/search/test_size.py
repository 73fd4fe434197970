"""For 6,000 packages (bench/generate.py) the first search downloads at most 200 KB, gzip-compressed.

A first search loads the head, the word chunks of the query's words and the description
shards of the results shown (static/search.js); the page and the script come with the page
view, and are counted too. Sizes are gzip level 6, what a CDN typically serves (Brotli is smaller).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from builder import search
from builder.snapshot import load_snapshot

from .helpers import js_rank, node

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 200 * 1024
QUERIES = ["select2", "django", "rest framework", "admin", "forms", "dj", "storage s3", "auth"]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> search.SearchIndex:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.generate import generate_snapshot
    except ImportError:
        pytest.skip("bench/generate.py is not there yet")
    data = tmp_path_factory.mktemp("bench") / "data"
    generate_snapshot(data, 6000, 400)
    return search.build_index(search.entries(load_snapshot(data)))


def prefix_chunks(head: dict, word: str) -> list[int]:
    """The chunks static/search.js's chunksFor() loads for a word."""
    first = head["words"]["first"]
    key = lambda t: t.encode("utf-16-be")  # noqa: E731
    i = 0
    while i + 1 < len(first) and key(first[i + 1]) <= key(word):
        i += 1
    out = [i]
    for j in range(i + 1, len(first)):
        if not first[j].startswith(word):
            break
        out.append(j)
    return out


@pytest.mark.slow
def test_first_search_under_200_kb(big_index: search.SearchIndex, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    files = {p.rsplit("/", 1)[1]: gz(b) for p, b in big_index.files.items()}
    head = json.loads(big_index.files[big_index.head_path])
    head_gz = files[big_index.head_path.rsplit("/", 1)[1]]
    script_gz = gz((ROOT / "static" / "search.js").read_bytes())
    size = head["docs"]["size"]
    measured = {}
    if node():
        for query, found in js_rank(big_index, tmp_path, QUERIES).items():
            shards = {head["docs"]["files"][p // size] for p in found["positions"]}
            measured[query] = head_gz + sum(files[f] for f in found["word_files"]) + sum(files[f] for f in shards)
    # Worst case: the head, the most word chunks any two-letter start pulls, the largest shards shown.
    starts = {t[:2] for n in head["words"]["files"] for t, *_ in json.loads(
        big_index.files[f"{search.DATA_DIR}/{n}"])}
    words_worst = max(sum(files[head["words"]["files"][i]] for i in prefix_chunks(head, s)) for s in starts)
    docs_worst = sum(sorted((files[f] for f in head["docs"]["files"]), reverse=True)[:search.MAX_RESULTS])
    worst = head_gz + words_worst + docs_worst
    with capsys.disabled():
        print(f"\nsearch index for {len(head['items']):,} items: head {head_gz / 1024:.1f} KB gzip, "
              f"{len(head['words']['files'])} word chunks, {len(head['docs']['files'])} description shards; "
              f"search.js {script_gz / 1024:.1f} KB")
        for query, total in measured.items():
            print(f"  first search {query!r}: {total / 1024:.1f} KB (+ script {script_gz / 1024:.1f} KB)")
        print(f"  worst case first search: {worst / 1024:.1f} KB + script {script_gz / 1024:.1f} KB "
              f"(budget {BUDGET / 1024:.0f} KB)")
    assert worst + script_gz <= BUDGET
    assert all(total + script_gz <= BUDGET for total in measured.values())
