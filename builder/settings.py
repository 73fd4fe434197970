"""Site settings: site.yml, overridden by CLI flags."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = ROOT / "site.yml"


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides the snapshot."""

    title: str = "Django Packages"
    description: str = "Reusable apps, sites and tools for Django projects, compared in grids."
    base_url: str = "https://djangopackages.org"
    data_dir: Path = ROOT / "data"
    output_dir: Path = ROOT / "site"
    templates_dir: Path = ROOT / "templates"
    static_dir: Path = ROOT / "static"
    content_dir: Path = ROOT / "content"

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as '/packages/'."""
        return self.base_url + path


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"base_url must be an absolute http(s) URL with no query, got {value!r}")
    return value.rstrip("/")


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the YAML settings file (if any) and apply non-None overrides."""
    values: dict[str, Any] = {}
    settings_file = path or DEFAULT_SETTINGS_FILE
    if settings_file.exists():
        try:
            loaded = yaml.safe_load(settings_file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{settings_file}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"{settings_file}: expected a mapping of settings")
        values.update(loaded)
    elif path is not None:
        raise SettingsError(f"{settings_file}: no such settings file")
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = set(Settings.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"{settings_file}: unknown setting(s): {', '.join(sorted(unknown))}")
    base = settings_file.parent if settings_file.exists() else ROOT
    for key in ("data_dir", "output_dir", "templates_dir", "static_dir", "content_dir"):
        if key in values:
            values[key] = (base / Path(values[key])).resolve()
    settings = replace(Settings(), **values)
    return replace(settings, base_url=_check_base_url(settings.base_url))
