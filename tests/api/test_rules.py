"""netlify.toml is generated, committed, and small."""

from __future__ import annotations

import tomllib

from builder.api.rules import NETLIFY_TOML, netlify_toml, rules


def test_committed_netlify_toml_is_the_generated_one() -> None:
    assert NETLIFY_TOML.read_text(encoding="utf-8") == netlify_toml(), \
        "netlify.toml is stale: run python -m builder.api.rules"


def test_config_has_build_rules_and_headers() -> None:
    config = tomllib.loads(netlify_toml())
    assert config["build"] == {"command": "python build.py build", "publish": "site"}
    assert len(config["redirects"]) == len(rules()) < 300  # placeholders, not one rule per entity
    assert config["headers"][0]["for"] == "/api/*"
    assert config["headers"][0]["values"]["Access-Control-Allow-Origin"] == "*"
