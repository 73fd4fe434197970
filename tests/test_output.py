"""builder.output: the check of the spare tree, made in a forked process while the snapshot loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builder import output
from builder.build import build
from builder.output import SpareCheck, read_state, spare_path, spare_problems
from builder.settings import load_settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built twice (the second time forced), so that it has a spare tree."""
    out = tmp_path_factory.mktemp("built") / "site"
    build(load_settings(output_dir=out), jobs=1)
    build(load_settings(output_dir=out), jobs=1, force=True)
    return out


def _spoil(out: Path) -> tuple[str, str]:
    """Change one file of the spare and remove another; return their paths."""
    spare = spare_path(out)
    state = read_state(out)
    changed, missing = sorted(state.spare.files)[:2]
    (spare / changed).unlink()  # never write through a link: the live tree may share the inode
    (spare / changed).write_text("changed behind the build's back")
    (spare / missing).unlink()
    return changed, missing


def test_the_forked_check_finds_what_a_check_here_finds(built: Path) -> None:
    changed, missing = _spoil(built)
    state = read_state(built)
    expected = spare_problems(spare_path(built), state.spare)
    assert expected == ([missing], [changed])
    check = SpareCheck(built, state)
    assert check.result() == expected


def test_a_check_whose_process_dies_is_made_here(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = read_state(built)
    parent, original = os.getpid(), output.spare_problems

    def dying(root: Path, tree: output.Tree) -> tuple[list[str], list[str]]:
        if os.getpid() != parent:
            os._exit(3)
        return original(root, tree)

    monkeypatch.setattr(output, "spare_problems", dying)
    assert SpareCheck(built, state).result() == original(spare_path(built), state.spare)


def test_no_spare_no_check(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_settings(output_dir=out), jobs=1)  # a first build: no spare yet
    check = SpareCheck(out, read_state(out))
    assert check.tree is None and check.result() == ([], [])
