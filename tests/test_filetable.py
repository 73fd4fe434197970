"""builder.filetable: the writer's flat record of a tree's files behaves as the dict it replaces."""

from __future__ import annotations

import hashlib
import pickle
import random

import orjson
import pytest

from builder import filetable
from builder.filetable import FileEntry, FileTable


def entry(text: str, part: str, mtime: int = 1_700_000_000_000_000_000) -> FileEntry:
    data = text.encode()
    return FileEntry(hashlib.blake2b(data, digest_size=16).hexdigest(), len(data), mtime, part)


@pytest.fixture(autouse=True, params=["dict", "index", "colliding index"])
def finding(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How paths are found: through the dict of a small table, through the sorted hashes of a
    large one (here from the first path on), and with hashes that collide."""
    if request.param != "dict":
        monkeypatch.setattr(filetable, "INDEX_AT", 0)
    if request.param == "colliding index":
        monkeypatch.setattr(filetable, "_path_hash", lambda rel: len(rel) % 3)
    return request.param


def by_part(table: FileTable) -> dict[str, list[str]]:
    return {part: table.paths_of_part(part) for part in table.parts()}


@pytest.fixture
def pairs() -> list[tuple[str, FileEntry | None]]:
    return [("index.html", entry("home", "pages/home")),
            ("packages/p/a/index.html", entry("a", "pages/package/1")),
            ("api/v4/packages/1/index.json", entry("{}", "api/v4/packages/1", mtime=5)),
            ("stale.html", None),
            ("search/q/é ü.json", entry("[]", "api/v4/search/0"))]


def test_reads_like_the_dict_it_was_filled_from(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table, expected = FileTable.of(pairs), dict(pairs)
    assert len(table) == len(expected)
    assert list(table) == list(expected) and set(table) == expected.keys()
    assert dict(table.items()) == expected
    assert all(table[rel] == e and table.get(rel) == e for rel, e in expected.items())
    assert "stale.html" in table and table["stale.html"] is None
    assert table.get("missing") is None and "missing" not in table
    assert table.total_size() == sum(e.size for e in expected.values() if e)


def test_replacing_popping_and_merging(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table = FileTable.of(pairs)
    table["index.html"] = newer = entry("home, changed", "pages/home")
    assert table["index.html"] == newer and len(table) == 5
    assert table.pop("stale.html") is None and "stale.html" not in table
    assert table.pop("stale.html", newer) == newer  # gone: the default
    other = FileTable.of([("feeds/rss.xml", entry("rss", "pages/feeds")), ("index.html", entry("x", "pages/x"))])
    table.update(other)
    assert table["feeds/rss.xml"] == entry("rss", "pages/feeds")
    assert table["index.html"] == entry("x", "pages/x")
    assert by_part(table) == {"pages/x": ["index.html"], "pages/package/1": ["packages/p/a/index.html"],
                                     "api/v4/packages/1": ["api/v4/packages/1/index.json"],
                                     "api/v4/search/0": ["search/q/é ü.json"], "pages/feeds": ["feeds/rss.xml"]}


def test_json_round_trip_keeps_every_entry(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table = FileTable.of(pairs)
    table.pop("packages/p/a/index.html")
    again = FileTable.from_json(orjson.loads(orjson.dumps(table.to_json())))
    assert dict(again.items()) == dict(table.items())
    assert dict(FileTable.from_json(FileTable().to_json()).items()) == {}


def test_a_damaged_record_is_refused(pairs: list[tuple[str, FileEntry | None]]) -> None:
    data = FileTable.of(pairs).to_json()
    with pytest.raises(ValueError):
        FileTable.from_json({**data, "hashes": data["hashes"][:-32]})
    with pytest.raises(ValueError):
        FileTable.from_json({**data, "parts": []})
    with pytest.raises(ValueError):
        FileTable.from_json({**data, "sizes": "not base64!"})
    paths = data["paths"].split("\0")
    assert len(paths) > 1
    with pytest.raises(ValueError, match="inconsistent"):  # a path twice, the counts all right
        FileTable.from_json({**data, "paths": "\0".join([paths[0], *paths[:-1]])})


def test_a_hash_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="content hash"):
        FileTable()["x"] = FileEntry("abcd", 1, 1, "p")


def test_json_made_in_batches_is_the_same(pairs: list[tuple[str, FileEntry | None]],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    table = FileTable.of(pairs)
    whole = table.to_json()
    monkeypatch.setattr(filetable, "BATCH", 3)  # two batches: their pieces must join up
    assert len(list(table.json_chunks())) > len(list(FileTable.of(pairs[:3]).json_chunks()))
    assert table.to_json() == whole
    assert dict(FileTable.from_json(whole).items()) == dict(table.items())


def test_rows_compare_and_copy_between_tables(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table = FileTable.of(pairs)
    copy = table.copy()
    assert dict(copy.items()) == dict(table.items())
    first = "index.html"
    assert copy.same_file(first, table)
    assert copy.differing(list(table), table) == ["stale.html"]  # a None entry is never the same file
    copy[first] = entry("home", "pages/home", mtime=7)  # same bytes, another file
    assert not copy.same_file(first, table) and table[first].mtime != 7  # the copy is independent
    assert copy.differing([first, "missing"], table) == [first, "missing"]
    digest = bytes.fromhex(table[first].hash)
    assert copy.has_hash(first, digest) and not copy.has_hash("stale.html", digest)
    assert table.stat_of(first) == (4, table[first].mtime) and table.stat_of("stale.html") is None
    assert table.stat_of("missing") is None
    assert list(table.sizes_and_mtimes()) == [(rel, e.size, e.mtime) for rel, e in pairs if e]


def test_taking_rows_from_another_table(pairs: list[tuple[str, FileEntry | None]]) -> None:
    source, target = FileTable.of(pairs), FileTable()
    assert target.take("index.html", source, "pages/renamed") == 4
    assert target["index.html"] == source["index.html"]._replace(part="pages/renamed")
    assert target.take("search/q/é ü.json", source) == 2
    assert target["search/q/é ü.json"] == source["search/q/é ü.json"]
    with pytest.raises(ValueError, match="no entry"):
        target.take("stale.html", source)
    target.forget_entry("index.html")
    assert target["index.html"] is None and "index.html" in target
    target.record("new.html", bytes(16), 3, 9, "pages/new")
    assert target["new.html"] == FileEntry("00" * 16, 3, 9, "pages/new")
    with pytest.raises(ValueError, match="content hash"):
        target.record("bad.html", b"short", 1, 1, "pages/new")


def _grouped(table: FileTable) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rel, e in table.items():
        if e is not None:
            out.setdefault(e.part, []).append(rel)
    return out


def test_the_paths_by_part_follow_every_change(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table, other = FileTable.of(pairs), FileTable.of([("feeds/rss.xml", entry("rss", "pages/feeds"))])
    changes = [
        lambda: table.__setitem__("index.html", entry("moved", "pages/other")),
        lambda: table.record("new.html", bytes(16), 1, 1, "pages/new"),
        lambda: table.take("feeds/rss.xml", other, "pages/taken"),
        lambda: table.forget_entry("packages/p/a/index.html"),
        lambda: table.pop("index.html"),
        lambda: table.discard(["search/q/é ü.json", "not/here.html"]),
        lambda: table.update(FileTable.of([("new.html", entry("again", "pages/again"))])),
    ]
    for change in changes:
        assert table._rows_by_part() is table._rows_by_part()  # worked out once while unchanged
        change()
        assert by_part(table) == _grouped(table)
    assert by_part(table.copy()) == _grouped(table)
    table.discard_parts(["pages/again", "pages/taken", "not/a/part"])
    assert by_part(table) == _grouped(table) and "new.html" not in table and "feeds/rss.xml" not in table


def test_taking_many_rows_at_once_is_taking_each(pairs: list[tuple[str, FileEntry | None]]) -> None:
    source = FileTable.of(pairs)
    rels = [rel for rel, e in pairs if e is not None]
    one_by_one, at_once = FileTable.of([("kept.html", entry("k", "pages/k"))]), FileTable()
    at_once["kept.html"] = entry("k", "pages/k")
    sizes = [one_by_one.take(rel, source, "api/v4/search") for rel in rels]
    assert at_once.take_many(rels, source, "api/v4/search") == sum(sizes)
    assert list(at_once.items()) == list(one_by_one.items())
    assert by_part(at_once) == by_part(one_by_one)
    again = FileTable.from_json(orjson.loads(orjson.dumps(at_once.to_json())))
    assert dict(again.items()) == dict(one_by_one.items())
    with pytest.raises(ValueError, match="no entry"):
        FileTable().take_many(["stale.html"], source, "p")
    with pytest.raises(ValueError, match="here already"):
        at_once.take_many(["index.html"], source, "p")
    assert dict(at_once.items()) == dict(one_by_one.items())  # a refused take changes nothing


def test_compacting_drops_unused_rows_and_keeps_the_entries(pairs: list[tuple[str, FileEntry | None]]) -> None:
    table = FileTable.of(pairs)
    table.pop("index.html")
    table.discard(["packages/p/a/index.html"])
    table["new.html"] = entry("new", "pages/new")
    entries, as_json = list(table.items()), table.to_json()
    assert table.row_count() == len(pairs) + 1  # removed paths leave their rows behind
    table.compact()
    assert table.row_count() == len(table._sizes) == len(table) == len(pairs) - 1
    assert list(table.items()) == entries and table.to_json() == as_json
    table["index.html"] = entry("back", "pages/home")  # rows added after compacting are sound
    assert table.copy()["index.html"] == entry("back", "pages/home")
    assert dict(FileTable.from_json(table.to_json()).items()) == dict(table.items())


def test_many_changes_read_as_the_same_changes_to_a_dict() -> None:
    """Random puts, takes, pops and discards, with copies, compaction and JSON round trips on
    the way: the table reads as a dict given the same changes, in the same order."""
    rng = random.Random(7)
    names = [f"p/{i}/index.html" for i in range(300)] + [f"search/é{i}.json" for i in range(100)]
    table, model = FileTable(), {}
    source = FileTable.of((rel, entry(rel, "pages/source")) for rel in names)
    for step in range(3000):
        rel, roll = rng.choice(names), rng.random()
        if roll < 0.45:
            table[rel] = model[rel] = entry(f"{rel}{step}", rng.choice(["a", "b", "c"]), mtime=step)
        elif roll < 0.55:
            table[rel] = model[rel] = None
        elif roll < 0.65:
            table.take(rel, source, "taken")
            model[rel] = source[rel]._replace(part="taken")
        elif roll < 0.8:
            assert table.pop(rel) == model.pop(rel, None)
        elif roll < 0.9:
            gone = rng.sample(names, 5)
            table.discard(gone)
            for name in gone:
                model.pop(name, None)
        elif roll < 0.93:
            fresh = [name for name in rng.sample(names, 5) if name not in model]
            table.take_many(fresh, source, "many")
            model.update((name, source[name]._replace(part="many")) for name in fresh)
        elif roll < 0.95:
            table = table.copy()
        elif roll < 0.97:
            table.compact()
        else:
            table = FileTable.from_json(orjson.loads(orjson.dumps(table.to_json())))
            assert list(table) == list(model)
        assert len(table) == len(model)
        assert table.get(rel) == model.get(rel) and (rel in table) == (rel in model)
    assert list(table.items()) == list(model.items())
    assert table.paths_not_in(FileTable()) == list(model)
    assert by_part(table) == _grouped(table)


def test_a_table_sent_to_another_process_finds_its_paths(pairs: list[tuple[str, FileEntry | None]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Pickled between forked processes, the index of path hashes holds; unpickled where str
    hashes differ (another seed), the rows are indexed again."""
    table = FileTable.of(pairs)
    assert dict(pickle.loads(pickle.dumps(table)).items()) == dict(pairs)
    sent = pickle.dumps(table)
    monkeypatch.setattr(filetable, "_path_hash", lambda rel: hash(rel) ^ 0x5A5A)
    received = pickle.loads(sent)
    assert all(received.get(rel) == e and rel in received for rel, e in pairs)
