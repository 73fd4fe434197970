"""An interrupted crawl (Ctrl-C or kill) leaves data/ alone and continues with --resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import fast_options
from fake_api import FakeApiServer
from test_crawl_reference import assert_reference

from builder.crawl import crawl
from builder.crawl.journal import Journal, journal_dir

ROOT = Path(__file__).resolve().parents[2]
PAGE2 = "/api/v4/packages/?limit=20&offset=20"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupt_then_resume(sig: signal.Signals, recorded_server: FakeApiServer, reference: dict,
                               tmp_path: Path) -> None:
    data = tmp_path / "data"
    crawl(recorded_server.url, data, fast_options())  # a previous snapshot to keep intact
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    recorded_server.hits.clear()

    reached, release = threading.Event(), threading.Event()

    def stall(path: str) -> None:
        if path == PAGE2:  # the 4th request with concurrency 1: three pages are journaled
            reached.set()
            release.wait(10)

    recorded_server.before_answer = stall
    proc = subprocess.Popen(
        [sys.executable, "build.py", "crawl", "--source", recorded_server.url, "--data", str(data),
         "--page-size", "20", "--concurrency", "1", "--rate", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert reached.wait(20), "the crawl never reached the stalled page"
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=20)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    if sig == signal.SIGINT:
        assert "--resume" in output
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert len(recorded_server.hits) == 4

    recorded_server.before_answer = None
    recorded_server.hits.clear()
    report = crawl(recorded_server.url, data, fast_options(resume=True))
    assert sorted(recorded_server.targets()) == [PAGE2, "/api/v4/packages/?limit=20&offset=40"]
    assert report.pages_from_journal == 3 and report.requests == 2
    assert_reference(data, reference)
    assert not journal_dir(data).exists()


def test_without_resume_the_journal_is_ignored(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = Journal(data, source=recorded_server.url, page_size=20, started="2026-01-01T00:00:00Z",
                      resume=False)
    journal.record(f"{recorded_server.url}/api/v4/grids/?limit=20", {"bogus": True})
    journal.close()
    report = crawl(recorded_server.url, data, fast_options())
    assert report.requests == 5 and report.pages_from_journal == 0


def test_journal_of_another_crawl_is_not_resumed(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    Journal(data, source=recorded_server.url, page_size=50, started="2026-01-01T00:00:00Z",
            resume=False).close()
    report = crawl(recorded_server.url, data, fast_options(resume=True))
    assert report.pages_from_journal == 0 and report.fetched_at != "2026-01-01T00:00:00Z"


def test_torn_last_line_is_ignored(recorded_server: FakeApiServer, reference: dict, tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"{recorded_server.url}/api/v4/categories/?limit=20"
    journal = Journal(data, source=recorded_server.url, page_size=20, started="2026-01-01T00:00:00Z",
                      resume=False)
    body = json.loads((Path(__file__).parents[1] / "fixtures/reference/api-v4/categories.json").read_text())
    journal.record(url, body)
    journal.close()
    with journal.path.open("a") as out:
        out.write('{"url": "' + url[:10])  # killed mid-write
    report = crawl(recorded_server.url, data, fast_options(resume=True))
    assert report.pages_from_journal == 1 and report.requests == 4
    assert report.fetched_at == "2026-01-01T00:00:00Z"  # the crawl's start, not the resume's
    assert_reference(data, reference)


def test_journal_keeps_any_text(tmp_path: Path) -> None:
    body = {"count": 1, "next": None, "results": [{"title": "line\u2028separator \r\n \u0085 ünï 🚀"}]}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    journal = Journal(tmp_path / "data", source="http://x", page_size=5, started="s", resume=False)
    journal.record("http://x/a", body, raw)
    journal.record("http://x/b", body)
    journal.close()
    again = Journal(tmp_path / "data", source="http://x", page_size=5, started="t", resume=True)
    again.close()
    assert again.resumed and again.pages == {"http://x/a": body, "http://x/b": body}
