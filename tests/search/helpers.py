"""Running static/search.js's ranking under Node over index files written to disk."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from builder import search

SCRIPT = Path(__file__).with_name("rank_parity.cjs")


def node() -> str | None:
    return shutil.which("node")


def write(index: search.SearchIndex, root: Path) -> Path:
    """Write the index files under root; returns the data folder."""
    for path, data in index.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root / search.DATA_DIR


def js_rank(index: search.SearchIndex, root: Path, queries: list[str]) -> dict[str, dict]:
    """Per query: total matches, the positions shown and the word files the script would load."""
    data = write(index, root)
    head = index.head_path.rsplit("/", 1)[1]
    done = subprocess.run([node() or "node", str(SCRIPT), str(data), head, json.dumps(queries)],
                          capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)
