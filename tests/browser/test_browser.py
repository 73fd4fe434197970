"""The built site in headless Chromium (Debian's, driven by playwright-core): search, the commit
chart, the sticky grid column at 375 px, dark mode, axe-core, page weight and screenshots.

The checks run once, in tests/browser/run_checks.mjs against the site served on 127.0.0.1 by
`builder.serve`; each test below asserts one of them. Screenshots go to test-output/screenshots/.
Without Chromium or node_modules the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from builder.build import build
from builder.serve import serve_in_thread
from builder.settings import load_settings
from builder.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("run_checks.mjs")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PLAYWRIGHT = ROOT / "node_modules" / "playwright-core" / "package.json"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def missing() -> str | None:
    """Why the browser tests cannot run here, with how to fix it; None when they can."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)"
    if shutil.which("node") is None:
        return "no Node.js: apt-get install nodejs"
    if not (PLAYWRIGHT.exists() and AXE.exists()):
        return "playwright-core and axe-core are not in node_modules/: npm ci"
    return None


def pages(data_dir: Path) -> dict[str, str]:
    """The paths visited: Django-Select2's page, the widest grid, the first category."""
    snap = load_snapshot(data_dir)
    grid = max(snap.grids.values(), key=lambda g: (len(g.packages), -g.id))
    category = next(iter(snap.categories.values()))
    return {"home": "/", "package": "/packages/p/django-select2/", "grid": f"/grids/g/{grid.slug}/",
            "category": f"/categories/{category.slug}/", "search": "/search/"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    site = tmp_path_factory.mktemp("browser") / "site"
    build(load_settings(data_dir=ROOT / "data", output_dir=site))
    server, base = serve_in_thread(site)
    try:
        config = {"base_url": base + "/", "chromium": CHROMIUM, "axe": str(AXE),
                  "screenshots": str(SCREENSHOTS), "pages": pages(ROOT / "data")}
        done = subprocess.run(["node", str(SCRIPT), json.dumps(config)], capture_output=True, text=True,
                              timeout=600, cwd=ROOT)
    finally:
        server.shutdown()
        server.server_close()
    if done.returncode != 0 or not done.stdout.strip():
        pytest.fail(f"run_checks.mjs failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout)
    assert "error" not in result, result["error"]
    return result


def assert_check(report: dict[str, Any], name: str) -> None:
    found = report["checks"].get(name)
    assert found is not None, f"check {name!r} did not run"
    assert found["ok"], f"{name}: {json.dumps(found['detail'], indent=1, ensure_ascii=False)[:4000]}"


@pytest.mark.parametrize("name", [
    'search: "select2" lists Django-Select2',
    "search: Enter opens Django-Select2",
    "search: ARIA combobox",
    'search: "/" focuses the box',
    'search: "/" focuses the header box on other pages',
    "search: reads ?q= on load",
    "search without JavaScript links to the lists",
])
def test_search(report: dict[str, Any], name: str) -> None:
    assert_check(report, name)


def test_package_page_shows_its_commit_chart(report: dict[str, Any]) -> None:
    assert_check(report, "package page shows its commit chart")


def test_wide_grid_scrolls_with_fixed_first_column_at_375px(report: dict[str, Any]) -> None:
    assert_check(report, "grid scrolls sideways with its first column fixed at 375 px")


def test_dark_mode(report: dict[str, Any]) -> None:
    assert_check(report, "dark mode under prefers-color-scheme: dark")


def test_no_console_errors(report: dict[str, Any]) -> None:
    assert_check(report, "no console errors")


def test_no_request_leaves_localhost(report: dict[str, Any]) -> None:
    assert report["requests"] > 0
    assert_check(report, "no request leaves 127.0.0.1")


@pytest.mark.parametrize("page", ["home", "package", "grid", "category", "search"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_no_serious_or_critical_violations(report: dict[str, Any], page: str, scheme: str) -> None:
    assert_check(report, f"axe: {page} ({scheme})")


def test_axe_search_with_results_shown(report: dict[str, Any]) -> None:
    assert_check(report, "axe: search (with results)")


def test_package_page_weight(report: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    total = report["figures"]["package_page_weight_gzip_bytes"]
    resources = [r for r in report["figures"]["package_page_resources"]
                 if r["type"] in ("document", "stylesheet", "script")]
    with capsys.disabled():
        print(f"\npackage page weight (HTML + CSS + JS, gzip -6): {total / 1024:.1f} KB of 30 KB")
        for r in resources:
            print(f"  {r['type']:<10} {r['gzip']:>6} B gzip ({r['bytes']} B) {r['url'].split('/', 3)[-1]}")
        print(f"first search on the sample site: {report['figures']['first_search_index_gzip_bytes']} B gzip")
    assert_check(report, "package page: HTML + CSS + JS under 30 KB gzip, no third-party requests")


def test_screenshots_saved(report: dict[str, Any]) -> None:
    for name in ("home", "package", "grid", "category", "search-results"):
        for width in (375, 1280):
            assert (SCREENSHOTS / f"{name}-{width}.png").stat().st_size > 1000, (name, width)
