"""Which pages exist and how their `next`/`previous` links read (DRF and API v3 rules)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

DEFAULT_LIMIT = 20
# Page sizes beyond the default, precomputed at multiples of themselves (where `next` leads).
LARGE_LIMITS = (100, 500, 1000)
# The default page size is precomputed at every offset from 0 to count + this margin, so a
# client whose offset overshoots a shrunken list still gets the live (empty) answer.
PAST_END_MARGIN = 100
# Formats that DRF carries into hyperlinks and that have files of their own.
FORMATS = ("json", "api")


def drf_link(url: str, params: dict[str, str | int]) -> str:
    """DRF's replace_query_param: keys sorted, values url-encoded."""
    return url + "?" + urlencode(sorted((k, str(v)) for k, v in params.items()))


def drf_next(url: str, limit: int, offset: int, count: int, fmt: str | None) -> str | None:
    """LimitOffsetPagination.get_next_link."""
    if offset + limit >= count:
        return None
    return drf_link(url, _with_format({"limit": limit, "offset": offset + limit}, fmt))


def drf_previous(url: str, limit: int, offset: int, fmt: str | None) -> str | None:
    """LimitOffsetPagination.get_previous_link (drops `offset` when it would be <= 0)."""
    if offset <= 0:
        return None
    if offset - limit <= 0:
        return drf_link(url, _with_format({"limit": limit}, fmt))
    return drf_link(url, _with_format({"limit": limit, "offset": offset - limit}, fmt))


def _with_format(params: dict[str, str | int], fmt: str | None) -> dict[str, str | int]:
    return {**params, "format": fmt} if fmt else params


def v3_next(path: str, limit: int, offset: int, count: int) -> str | None:
    """apiv3.views.calc_next."""
    return f"{path}?limit={limit}&offset={offset + limit}" if count > limit + offset else None


def v3_previous(path: str, limit: int, offset: int) -> str | None:
    """apiv3.views.calc_previous."""
    return None if offset <= 0 else f"{path}?limit={limit}&offset={max(offset - limit, 0)}"


def linked_offsets(limit: int, count: int) -> range:
    """Offsets that `next` links reach, plus the first one at or past the end."""
    return range(0, count + limit, limit)


def v4_pages(count: int, *, every_offset: bool = True) -> Iterator[tuple[int, int]]:
    """Every (limit, offset) of a v4 list that gets a plain JSON file."""
    if every_offset:
        for offset in range(count + PAST_END_MARGIN + 1):
            yield DEFAULT_LIMIT, offset
    else:
        for offset in linked_offsets(DEFAULT_LIMIT, count):
            yield DEFAULT_LIMIT, offset
    for limit in LARGE_LIMITS:
        for offset in linked_offsets(limit, count):
            yield limit, offset


def v4_format_pages(count: int, fmt: str) -> Iterator[tuple[int, int]]:
    """The (limit, offset) pages that get a `?format=json` or `?format=api` file.

    Both exist at the offsets `next` links reach; the browsable HTML only at the default
    size (a 1000-row page pretty-printed as HTML is megabytes that nobody reads).
    """
    for limit in (DEFAULT_LIMIT, *LARGE_LIMITS) if fmt == "json" else (DEFAULT_LIMIT,):
        for offset in linked_offsets(limit, count):
            yield limit, offset
