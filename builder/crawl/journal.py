"""The resume journal: every list page fetched, appended as it arrives, so `--resume` can skip it.

A JSON Lines file beside the data folder (`.data-crawl/journal.jsonl` for `data/`).
The first line names the crawl (source, page size, start time); each further line
is one page `{"url": ..., "body": ...}`. Lines are flushed as written, so a crawl
killed at any moment leaves at most one torn last line, which is ignored. The
journal is removed when the snapshot has been replaced; a failed or interrupted
crawl keeps it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import IO, Any

JOURNAL_VERSION = 1


def journal_dir(data_dir: Path) -> Path:
    """Where the journal of a crawl into data_dir lives (beside it, never inside it)."""
    return data_dir.with_name(f".{data_dir.name}-crawl")


class Journal:
    """Pages fetched so far by this crawl (and, when resuming, by the interrupted one)."""

    def __init__(self, data_dir: Path, *, source: str, page_size: int, started: str, resume: bool) -> None:
        self.dir = journal_dir(Path(data_dir))
        self.path = self.dir / "journal.jsonl"
        self.pages: dict[str, Any] = {}
        self.started = started
        self.resumed = False
        header = {"journal": JOURNAL_VERSION, "source": source, "page_size": page_size}
        if resume:
            loaded = _read(self.path, header)
            if loaded is not None:
                self.started, self.pages = loaded
                self.resumed = True
        self.dir.mkdir(parents=True, exist_ok=True)
        # Rewritten even when resuming, which drops a torn last line before appending.
        with self.path.open("w", encoding="utf-8") as out:
            out.write(_line({**header, "started": self.started}))
            for url, body in self.pages.items():
                out.write(_line({"url": url, "body": body}))
        self._out: IO[str] | None = self.path.open("a", encoding="utf-8")

    def get(self, url: str) -> Any | None:
        return self.pages.get(url)

    def record(self, url: str, body: Any, raw: bytes | None = None) -> None:
        """Append one fetched page and flush it to the file.

        `raw`, the JSON the body was parsed from, is copied as is when it fits on one
        line, which spares encoding the page again.
        """
        self.pages[url] = body
        if self._out is None:
            return
        text = raw.decode("utf-8", "replace") if raw is not None and b"\n" not in raw else None
        if text is not None and "\ufffd" not in text and "\r" not in text:
            self._out.write(f'{{"url":{json.dumps(url)},"body":{text}}}\n')
        else:
            self._out.write(_line({"url": url, "body": body}))
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def remove(self) -> None:
        """Forget the journal: the crawl it served is complete."""
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _read(path: Path, header: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(start time, pages) of a journal written for the same crawl, or None if there is none."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines(): JSON may hold U+2028
    except (OSError, UnicodeDecodeError):
        return None
    if not lines:
        return None
    try:
        first = json.loads(lines[0])
    except json.JSONDecodeError:
        return None
    if not isinstance(first, dict) or {k: first.get(k) for k in header} != header:
        return None
    pages: dict[str, Any] = {}
    for raw in lines[1:]:
        if not raw:
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue  # the torn last line of a killed crawl
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            pages[entry["url"]] = entry.get("body")
    return str(first.get("started")), pages
