"""Digests of a build's inputs: what changes a part's key and what does not."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from builder.deps import Deps, digest
from builder.settings import load_settings
from builder.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "base.html").write_text("<html>{% block body %}{% endblock %}</html>")
    (root / "page.html").write_text(
        '{% extends "base.html" %}{% block body %}{% include \'part.html\' %}{% endblock %}')
    (root / "part.html").write_text("part")
    (root / "other.html").write_text("other")
    return root


def _deps(templates: Path) -> Deps:
    settings = load_settings(templates_dir=templates)
    return Deps(settings, load_snapshot(settings.data_dir))


def test_a_template_digest_covers_what_it_extends_and_includes_and_nothing_else(templates: Path) -> None:
    before = _deps(templates).templates("page.html")
    (templates / "other.html").write_text("changed")
    assert _deps(templates).templates("page.html") == before
    (templates / "part.html").write_text("changed")
    after_part = _deps(templates).templates("page.html")
    assert after_part != before
    (templates / "base.html").write_text("<html>changed{% block body %}{% endblock %}</html>")
    assert _deps(templates).templates("page.html") != after_part


def test_a_template_naming_another_by_expression_depends_on_every_template(templates: Path) -> None:
    (templates / "page.html").write_text("{% include name %}")
    before = _deps(templates).templates("page.html")
    (templates / "other.html").write_text("changed")
    assert _deps(templates).templates("page.html") != before


def test_record_digests_change_with_any_field(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data)
    snap = load_snapshot(data)
    deps = Deps(settings, snap)
    package = next(iter(snap.packages.values()))
    before = deps.packages[package.id]
    # A record that is not the one loaded (records are never changed in place) is digested encoded.
    changed = replace(package, repo_watchers=package.repo_watchers + 1)
    snap.packages[package.id] = changed
    assert Deps(settings, snap).packages[package.id] not in (before, digest(orjson.dumps(package)))
    snap.packages[package.id] = replace(changed, repo_watchers=package.repo_watchers)
    assert Deps(settings, snap).packages[package.id] == digest(orjson.dumps(package))
    assert deps.records("packages", [package.id, 10**9])[16:] == bytes(16)  # an absent record


def test_a_loaded_record_is_digested_by_its_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    settings = load_settings(data_dir=data)
    before = Deps(settings, load_snapshot(data))
    lines = (data / "packages.jsonl").read_bytes().splitlines(keepends=True)
    record = orjson.loads(lines[1])
    record["repo_forks"] += 1
    lines[1] = orjson.dumps(record) + b"\n"
    (data / "packages.jsonl").write_bytes(b"".join(lines))
    after = Deps(settings, load_snapshot(data))
    changed = {i for i in before.packages if before.packages[i] != after.packages[i]}
    assert changed == {record["id"]}
    assert after.grids == before.grids and after.categories == before.categories
    assert after.packages[record["id"]] == hashlib.sha256(lines[1]).digest()[:16]


def test_a_digest_frames_its_pieces() -> None:
    assert digest(b"ab", b"c") != digest(b"a", b"bc")
    assert digest(b"1") != digest(1) != digest("1")
    assert digest(b"r1:1") != digest(1)  # a bytes piece cannot pass for another piece's framing
    assert digest() != digest(b"") and digest(None) != digest()
