"""The tables the importer reads, the columns it needs from each, and how to type their values.

Both readers (COPY text and dumpdata JSON) yield rows of these tables with typed Python
values: int, str, bool, UTC datetime, list of str, or parsed JSON. A column not listed
here is skipped; a listed column missing from a dump is an unknown table layout.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..timestamps import parse_timestamp
from .pgcopy import parse_array

# Kinds: a leading "?" means the column may be null.
TABLES: dict[str, dict[str, str]] = {
    "auth_user": {"id": "int", "username": "str"},
    "package_category": {
        "id": "int", "created": "ts", "modified": "ts", "title": "str", "slug": "str",
        "description": "str", "title_plural": "str", "show_pypi": "bool",
    },
    "package_package": {
        "id": "int", "created": "ts", "modified": "ts", "title": "str", "slug": "str",
        "repo_description": "str", "repo_url": "str", "repo_watchers": "int", "repo_forks": "int",
        "pypi_url": "str", "pypi_downloads": "int", "participants": "str", "last_fetched": "?ts",
        "documentation_url": "?str", "category_id": "int", "created_by_id": "?int",
        "last_modified_by_id": "?int", "date_deprecated": "?ts", "deprecates_package_id": "?int",
        "score": "int", "pypi_classifiers": "?strs", "pypi_license": "?str", "pypi_licenses": "?strs",
        "pypi_requires_python": "?str", "supports_python3": "?bool", "date_repo_archived": "?ts",
        "favorite_count": "int", "repo_host": "str", "commit_count": "int", "commits_over_52w": "json",
        "last_commit_date": "?ts", "latest_version_id": "?int",
    },
    "package_package_usage": {"package_id": "int"},
    "package_version": {
        "id": "int", "created": "ts", "modified": "ts", "number": "str", "downloads": "?int",
        "license": "?str", "hidden": "bool", "upload_time": "?ts", "development_status": "?int",
        "supports_python3": "?bool", "package_id": "?int", "licenses": "?strs",
    },
    "grid_grid": {
        "id": "int", "created": "ts", "modified": "ts", "title": "str", "slug": "str",
        "description": "str", "is_locked": "bool", "header": "bool",
    },
    "grid_gridpackage": {"id": "int", "grid_id": "int", "package_id": "int"},
    "grid_feature": {"id": "int", "title": "str", "description": "str", "grid_id": "int"},
    "grid_element": {"text": "str", "feature_id": "int", "grid_package_id": "int"},
    "searchv3_searchv3": {
        "id": "int", "created": "ts", "modified": "ts", "weight": "int", "item_type": "str",
        "title": "str", "slug": "str", "description": "str", "category": "str",
        "repo_watchers": "int", "repo_forks": "int", "pypi_downloads": "int", "score": "int",
        "usage": "int", "participants": "str", "last_committed": "?ts", "last_released": "?ts",
    },
}

# Without these a dump is not a Django Packages database.
REQUIRED_TABLES = ("package_category", "package_package", "grid_grid", "grid_gridpackage")

# dumpdata model label -> table
MODELS = {
    "auth.user": "auth_user",
    "package.category": "package_category",
    "package.package": "package_package",
    "package.version": "package_version",
    "grid.grid": "grid_grid",
    "grid.gridpackage": "grid_gridpackage",
    "grid.feature": "grid_feature",
    "grid.element": "grid_element",
    "searchv3.searchv3": "searchv3_searchv3",
}


def _bool_text(text: str) -> bool:
    if text == "t":
        return True
    if text == "f":
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _strs(value: list[str | None]) -> list[str]:
    if any(v is None for v in value):
        raise ValueError("array holds a NULL element")
    return value  # type: ignore[return-value]


_FROM_TEXT = {
    "int": int,
    "str": str,
    "bool": _bool_text,
    "ts": parse_timestamp,
    "strs": lambda t: _strs(parse_array(t)),
    "json": json.loads,
}


def from_text(kind: str, text: str | None) -> Any:
    """Type one COPY text field; raise ValueError saying what is wrong."""
    if text is None:
        if kind.startswith("?"):
            return None
        raise ValueError("is NULL but the column cannot be")
    return _FROM_TEXT[kind.lstrip("?")](text)


def _json_int(v: Any) -> int:
    if type(v) is not int:
        raise ValueError(f"not an integer: {v!r}")
    return v


def _json_str(v: Any) -> str:
    if type(v) is not str:
        raise ValueError(f"not a string: {v!r}")
    return v


def _json_bool(v: Any) -> bool:
    if type(v) is not bool:
        raise ValueError(f"not a boolean: {v!r}")
    return v


def _json_ts(v: Any) -> datetime:
    return parse_timestamp(_json_str(v))


def _json_strs(v: Any) -> list[str]:
    # Django serialises an ArrayField as a JSON string holding the JSON list.
    if type(v) is str:
        v = json.loads(v)
    if type(v) is not list or not all(type(x) is str for x in v):
        raise ValueError(f"not a list of strings: {v!r}")
    return v


_FROM_JSON = {
    "int": _json_int, "str": _json_str, "bool": _json_bool, "ts": _json_ts, "strs": _json_strs,
    "json": lambda v: v,
}


def from_json(kind: str, value: Any) -> Any:
    """Type one dumpdata field value; raise ValueError saying what is wrong."""
    if value is None:
        if kind.startswith("?"):
            return None
        raise ValueError("is null but the field cannot be")
    return _FROM_JSON[kind.lstrip("?")](value)
