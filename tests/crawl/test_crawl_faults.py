"""Faults injected by the local server, each met the way the issue asks."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import fast_options
from fake_api import CutConnection, FakeApiServer, Hang, Mutate, Reset, Status, Truncate, closed_port_url
from test_crawl_reference import assert_reference

from build import cli
from builder.crawl import crawl
from builder.crawl.client import parse_retry_after
from builder.errors import CrawlError

PAGE2 = "/api/v4/packages/?limit=20&offset=20"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fault", [
    Status(500), Status(502), Status(504), Status(503),
    Hang(2.0),  # past the read timeout of 0.3 s
    Truncate(keep=700),  # a body cut mid-JSON, with a Content-Length that matches the cut
    CutConnection(keep=700),  # the connection closes mid-body
    Reset(),  # connection reset by peer
    Status(200, body=b"<html>Bad gateway</html>", content_type="text/html"),  # not JSON
], ids=lambda f: type(f).__name__ + str(getattr(f, "code", "")))
def test_transient_fault_is_retried(fault: object, recorded_server: FakeApiServer, reference: dict,
                                    tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, fault)  # type: ignore[arg-type]
    report = crawl(recorded_server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", reference)
    assert recorded_server.targets().count(PAGE2) == 2
    assert report.retries == 1 and report.requests == 6


def test_two_faults_in_a_row(recorded_server: FakeApiServer, reference: dict, tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, Status(500), Reset())
    report = crawl(recorded_server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", reference)
    assert report.retries == 2


def test_429_retry_after_is_waited_for(recorded_server: FakeApiServer, reference: dict,
                                       tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, Status(429, headers={"Retry-After": "1"}))
    crawl(recorded_server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", reference)
    times = [h.at for h in recorded_server.hits if h.target == PAGE2]
    assert len(times) == 2 and times[1] - times[0] >= 1.0


def test_503_retry_after_pauses_every_request(recorded_server: FakeApiServer, reference: dict,
                                              tmp_path: Path) -> None:
    first = "/api/v4/packages/?limit=20"
    recorded_server.inject(first, Status(503, headers={"Retry-After": "1"}))
    crawl(recorded_server.url, tmp_path / "data", fast_options(concurrency=1))
    assert_reference(tmp_path / "data", reference)
    refused_at = recorded_server.hits[[h.target for h in recorded_server.hits].index(first)].at
    later = [h.at for h in recorded_server.hits if h.at > refused_at]
    assert len(later) == 5 and min(later) - refused_at >= 1.0  # no request while the host asked to wait


def test_retry_after_forms() -> None:
    now = time.time()
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    in_a_minute = parse_retry_after(formatdate(now + 60, usegmt=True), now=now)
    assert in_a_minute is not None and 59 <= in_a_minute <= 60
    assert parse_retry_after(formatdate(now - 60, usegmt=True), now=now) == 0.0


def test_retry_after_too_long_fails_clearly(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, Status(429, headers={"Retry-After": "3600"}))
    with pytest.raises(CrawlError, match=r"offset=20.*3600 s"):
        crawl(recorded_server.url, tmp_path / "data", fast_options(max_retry_after=10))


def test_gives_up_naming_url_and_last_status(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, *[Status(503)] * 3)
    with pytest.raises(CrawlError) as info:
        crawl(recorded_server.url, tmp_path / "data", fast_options(max_tries=3))
    assert f"{recorded_server.url}{PAGE2}" in str(info.value)
    assert "after 3 tries" in str(info.value) and "last status 503" in str(info.value)
    assert not (tmp_path / "data").exists()


def test_not_found_is_not_retried(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, Status(404))
    with pytest.raises(CrawlError, match="unexpected status 404"):
        crawl(recorded_server.url, tmp_path / "data", fast_options())
    assert recorded_server.targets().count(PAGE2) == 1


def test_count_changing_between_requests_rereads_the_list(recorded_server: FakeApiServer, reference: dict,
                                                          tmp_path: Path) -> None:
    recorded_server.inject(PAGE2, Mutate(lambda body: body.replace(b'"count":60', b'"count":61')))
    report = crawl(recorded_server.url, tmp_path / "data", fast_options())
    assert_reference(tmp_path / "data", reference)
    assert recorded_server.targets().count("/api/v4/packages/?limit=20") == 2  # the list was re-read
    assert report.pages == 5 + 3


def test_list_that_never_settles_fails(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    for _ in range(3):
        recorded_server.inject(PAGE2, Mutate(lambda body: body.replace(b'"count":60', b'"count":61')))
    with pytest.raises(CrawlError, match=r"packages list stayed inconsistent.*different counts \[60, 61\]"):
        crawl(recorded_server.url, tmp_path / "data", fast_options())


def test_link_to_another_host_is_refused(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    recorded_server.inject("/api/v4/packages/?limit=20", Mutate(lambda body: body.replace(
        b'"next":"https://djangopackages.org/', b'"next":"https://evil.example/')))
    with pytest.raises(CrawlError, match="another host"):
        crawl(recorded_server.url, tmp_path / "data", fast_options())


def test_concurrency_cap_holds(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    def slow(_: str) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1

    recorded_server.before_answer = slow
    crawl(recorded_server.url, tmp_path / "data", fast_options(concurrency=2))
    assert state["max"] == 2


def test_rate_cap_spaces_requests(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    crawl(recorded_server.url, tmp_path / "data", fast_options(rate=20))
    times = sorted(h.at for h in recorded_server.hits)
    assert times[-1] - times[0] >= 4 * (1 / 20) * 0.9


def test_server_down_for_good_cli(recorded_server: FakeApiServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    crawl(recorded_server.url, data, fast_options())
    before = _tree(data)
    url = closed_port_url()
    result = CliRunner().invoke(cli, ["crawl", "--source", url, "--data", str(data), "--rate", "0",
                                       "--max-tries", "2"])
    assert result.exit_code != 0
    assert f"{url}/api/v4/" in result.output and "after 2 tries" in result.output
    assert "ConnectError" in result.output
    assert _tree(data) == before
