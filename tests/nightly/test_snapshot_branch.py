"""The workflow's snapshot branch steps, run for real against a local bare repository.

First night: no `snapshot` branch, so Restore starts an orphan one and Keep pushes it.
Next night: Restore checks it out again with the data that Keep pushed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from builder.snapshot import write_snapshot
from tests import snapshots as snap

from .test_workflow import step, workflow

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, check=True)
    return done.stdout


def run(name: str, cwd: Path, **env: str) -> dict[str, str]:
    """Run a step's script as the runner would; returns what it wrote to GITHUB_OUTPUT / GITHUB_ENV."""
    spec = step(name)
    outputs, github_env = cwd / ".out", cwd / ".env"
    outputs.write_text("")
    github_env.write_text("")
    full = {**os.environ, **GIT_ENV, **workflow()["env"], "GITHUB_OUTPUT": str(outputs),
            "GITHUB_ENV": str(github_env), **env}
    workdir = cwd / spec.get("working-directory", ".").replace("${{ env.SNAPSHOT_DIR }}", full["SNAPSHOT_DIR"])
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", spec["run"]], cwd=workdir,
                          env=full, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    pairs = (line.split("=", 1) for f in (outputs, github_env) for line in f.read_text().splitlines())
    return dict(pairs)


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    if shutil.which("git") is None or shutil.which("jq") is None:
        pytest.skip("needs git and jq (GitHub's runners have both)")
    bare = tmp_path / "origin.git"
    git("init", "--quiet", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    seed = tmp_path / "seed"
    git("init", "--quiet", "-b", "main", str(seed), cwd=tmp_path)
    (seed / "README.md").write_text("main\n")
    git("add", "README.md", cwd=seed)
    git("commit", "--quiet", "-m", "main", cwd=seed)
    git("push", "--quiet", str(bare), "main", cwd=seed)
    return bare


def checkout(origin: Path, where: Path) -> Path:
    git("clone", "--quiet", str(origin), str(where), cwd=origin.parent)
    return where


def night(origin: Path, workdir: Path, fetched_at: str) -> dict[str, str]:
    """Restore, 'crawl' (write a snapshot), then Keep; returns Restore's outputs."""
    repo = checkout(origin, workdir)
    restored = run("Restore the previous snapshot", repo)
    data = repo / restored["DATA_DIR"]
    recs = snap.records()
    if fetched_at.endswith("16T03:00:00Z"):
        recs["packages"].append(snap.package(4, "delta"))
    write_snapshot(data, source={"kind": "crawl", "location": "https://x.org", "origin": "https://x.org"},
                        fetched_at=fetched_at, **recs)
    (repo / "site").mkdir()
    (repo / "site" / "report.json").write_text('{"changes": null}')
    run("Keep the new snapshot for the next night", repo)
    return restored


def test_first_night_starts_the_branch_and_the_next_restores_it(origin: Path, tmp_path: Path) -> None:
    first = night(origin, tmp_path / "night1", "2026-02-15T03:00:00Z")
    assert first["found"] == "false"
    assert git("ls-tree", "-r", "--name-only", "snapshot", cwd=origin).split() == [
        "data/categories.jsonl", "data/grids.jsonl", "data/manifest.json", "data/packages.jsonl"]
    assert "main" in git("branch", cwd=origin)  # main is untouched

    second = night(origin, tmp_path / "night2", "2026-02-16T03:00:00Z")
    assert second["found"] == "true"
    log = git("log", "--format=%s", "snapshot", cwd=origin).splitlines()
    assert log == ["Snapshot of 2026-02-16T03:00:00Z: first snapshot",
                   "Snapshot of 2026-02-15T03:00:00Z: first snapshot"]
    assert "data/history.jsonl" in git("ls-tree", "-r", "--name-only", "snapshot", cwd=origin)
    # one night = one commit whose diff is the changed lines (here: delta added)
    diff = git("diff", "snapshot~1", "snapshot", "--", "data/packages.jsonl", cwd=origin)
    assert [line[:20] for line in diff.splitlines() if line.startswith("+{")] == ['+{"id":4,"slug":"del']


def test_an_unchanged_snapshot_is_not_committed(origin: Path, tmp_path: Path) -> None:
    night(origin, tmp_path / "a", "2026-02-15T03:00:00Z")
    repo = checkout(origin, tmp_path / "b")
    run("Restore the previous snapshot", repo)
    (repo / "site").mkdir()
    (repo / "site" / "report.json").write_text('{"changes": null}')
    run("Keep the new snapshot for the next night", repo)
    assert len(git("log", "--format=%s", "snapshot", cwd=origin).splitlines()) == 1
