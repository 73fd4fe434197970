"""Compiled templates kept between builds (builder/templating.py)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader
from jinja2.bccache import Bucket, bc_magic

from builder.templating import bytecode_cache

SOURCE = "{% for x in items %}\n[{{ x }}]\n{% endfor %}\n"


def _render(folder: Path, **options: object) -> str:
    cache = bytecode_cache(**options)
    assert cache is not None, "this machine has a private temporary folder"
    env = Environment(loader=FileSystemLoader(folder), bytecode_cache=cache, auto_reload=False, **options)
    return env.get_template("t.txt").render(items=[1, 2])


def test_a_compiled_template_is_kept_for_the_next_environment(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SOURCE, encoding="utf-8")
    first = _render(tmp_path, trim_blocks=True)
    cache = bytecode_cache(trim_blocks=True)
    env = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=cache, trim_blocks=True)
    bucket = cache.get_bucket(env, "t.txt", str(tmp_path / "t.txt"), SOURCE)
    assert bucket.code is not None
    assert _render(tmp_path, trim_blocks=True) == first == "[1]\n[2]\n"


def test_options_that_change_the_compiled_code_are_kept_apart(tmp_path: Path) -> None:
    """Jinja's own key is the file name and source: without the options in the file name, a
    template compiled with trim_blocks would be served to an environment without it."""
    (tmp_path / "t.txt").write_text(SOURCE, encoding="utf-8")
    assert _render(tmp_path, trim_blocks=True) == "[1]\n[2]\n"
    assert _render(tmp_path) == "\n[1]\n\n[2]\n"


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SOURCE, encoding="utf-8")
    assert _render(tmp_path, trim_blocks=True) == "[1]\n[2]\n"
    (tmp_path / "t.txt").write_text(SOURCE.replace("[", "("), encoding="utf-8")
    assert _render(tmp_path, trim_blocks=True) == "(1]\n(2]\n"


def test_a_cache_that_cannot_be_written_does_not_fail_the_render(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(self: object, f: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Bucket, "write_bytecode", full_disk)
    (tmp_path / "t.txt").write_text(SOURCE.replace("x", "y"), encoding="utf-8")
    assert _render(tmp_path, trim_blocks=True, lstrip_blocks=True) == "[1]\n[2]\n"


def test_a_damaged_cache_file_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SOURCE.replace("x", "z"), encoding="utf-8")
    assert _render(tmp_path, trim_blocks=True) == "[1]\n[2]\n"
    cache = bytecode_cache(trim_blocks=True)
    env = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=cache, trim_blocks=True)
    bucket = cache.get_bucket(env, "t.txt", str(tmp_path / "t.txt"), SOURCE.replace("x", "z"))
    Path(cache._get_cache_filename(bucket)).write_bytes(bc_magic + b"\x80 not a pickle")  # noqa: SLF001
    assert _render(tmp_path, trim_blocks=True) == "[1]\n[2]\n"
