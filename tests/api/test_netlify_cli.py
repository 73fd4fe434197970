"""End to end: the built site served by the real Netlify CLI (`netlify dev`), walked over HTTP.

The CLI is found at $NETLIFY_BIN, node_modules/.netlify-cli/node_modules/.bin/netlify (what
.ci/run installs), node_modules/.bin/netlify, or on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from builder.api.rules import FEEDS

from .conftest import ROOT, recorded
from .test_walk import _expected_to_deviate, _vocab  # noqa: F401 (_vocab: autouse fixture)

pytestmark = pytest.mark.netlify

# Open issue: `netlify dev` answers 404 for these non-ASCII `q` values although the rewrite
# target file exists and is served when requested directly (our resolver serves it).
NETLIFY_DEV_NON_ASCII = {"/api/v4/search/?q=%C3%BCn%C3%AFcode", "/api/v4/search/?q=%E6%97%A5%E6%9C%AC%E8%AA%9E"}


def _netlify() -> str | None:
    for candidate in (os.environ.get("NETLIFY_BIN"),
                      ROOT / "node_modules/.netlify-cli/node_modules/.bin/netlify",
                      ROOT / "node_modules/.bin/netlify"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return shutil.which("netlify")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def netlify_dev(site: Path, config: Path, tmp_path_factory: pytest.TempPathFactory):
    binary = _netlify()
    if binary is None:
        message = ("Netlify CLI not installed: npm install --no-save --prefix "
                   "node_modules/.netlify-cli netlify-cli (or set NETLIFY_BIN)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    project = tmp_path_factory.mktemp("netlify")
    shutil.copy(config, project / "netlify.toml")
    (project / "site").symlink_to(site)
    port = _free_port()
    log = (project / "dev.log").open("wb")
    proc = subprocess.Popen(
        [binary, "dev", "--offline", "--internal-disable-edge-functions", "--dir", "site",
         "--port", str(port)], cwd=project, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "NETLIFY_TELEMETRY_DISABLED": "1", "BROWSER": "none"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(base + "/api/v4/", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("netlify dev did not start:\n" + (project / "dev.log").read_text()[-2000:])
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_recorded_requests_through_netlify_dev(netlify_dev: str, api: str) -> None:
    failures = []
    with httpx.Client(base_url=netlify_dev, follow_redirects=False, timeout=30) as client:
        for req in recorded(api):
            if "accept" in req or _expected_to_deviate(req) or req["url"] in NETLIFY_DEV_NON_ASCII:
                continue
            r = client.get(req["url"])
            if r.status_code != req["status"]:
                failures.append(f"{req['url']}: status {r.status_code} != {req['status']}")
            elif 300 <= req["status"] < 400:
                if r.headers.get("location") != req.get("location"):
                    failures.append(f"{req['url']}: Location {r.headers.get('location')}")
            elif r.headers["content-type"].split(";")[0] != req["content_type"].split(";")[0]:
                failures.append(f"{req['url']}: content type {r.headers['content-type']}")
            elif req["content_type"].startswith("application/json") and \
                    r.json() != json.loads(req["path"].read_bytes()):
                failures.append(f"{req['url']}: body differs")
    assert not failures, "\n".join(failures)


def test_feed_urls_and_headers_through_netlify_dev(netlify_dev: str) -> None:
    """The feeds' pretty URLs are rewritten and the [[headers]] parse. (`netlify dev` lets the file's
    own Content-Type and Cache-Control win over [[headers]]; only the headers it adds show here.)"""
    with httpx.Client(base_url=netlify_dev, timeout=30) as client:
        for url in FEEDS:
            r = client.get(url)
            assert r.status_code == 200 and r.text.startswith("<?xml"), url
        assert client.get("/api/v4/").headers["x-content-type-options"] == "nosniff"
