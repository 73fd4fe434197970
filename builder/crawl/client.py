"""Polite fetching of JSON documents: concurrency and rate caps, timeouts, retries with backoff.

One `PoliteClient` talks to one host (the source), so its rate cap is the per-host
cap. Failures that may pass (connection errors, timeouts, 5xx gateway errors, 429,
truncated or non-JSON bodies) are retried with exponential backoff and jitter;
`Retry-After` on 429/503 pauses every request to the host, not only the one that
got it. After `max_tries` the request fails with a `CrawlError` naming the URL and
the last status or error.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ..errors import CrawlError

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_ERRORS = (httpx.TransportError, httpx.DecodingError)


@dataclass
class ClientSettings:
    """How hard and how long the client may try; every delay is configurable for tests."""

    concurrency: int = 4
    rate: float = 10.0  # requests per second to the host; 0 means no cap
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_tries: int = 6
    backoff_base: float = 0.5  # first retry waits about this long, doubling each time
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0  # a longer Retry-After is not waited for: the crawl fails
    user_agent: str = "djangopackages-static-crawler/0.1 (+https://github.com/djangopackages)"


@dataclass
class ClientStats:
    """What the client did: HTTP requests sent (retries included), retries, body bytes received."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0


@dataclass
class Fetched:
    """A JSON document: parsed, and the bytes it was parsed from."""

    data: Any
    raw: bytes


class _Retry(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, reason: str, wait: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _Pacer:
    """Spaces request starts at least 1/rate apart and holds every request during a host-wide pause."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_start = 0.0
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def wait_turn(self) -> None:
        while True:
            now = time.monotonic()
            start = max(now, self.next_start, self.paused_until)
            if start <= now:
                self.next_start = now + self.interval
                return
            await asyncio.sleep(start - now)


class PoliteClient:
    """Fetches JSON documents from one host within the caps; use as an async context manager."""

    def __init__(self, settings: ClientSettings | None = None, *, tls: bool = True,
                 transport: httpx.AsyncBaseTransport | None = None, rng: random.Random | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.stats = ClientStats()
        self._rng = rng or random.Random()
        self._pacer = _Pacer(self.settings.rate)
        self._slots = asyncio.Semaphore(max(1, self.settings.concurrency))
        s = self.settings
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=None),
            limits=httpx.Limits(max_connections=max(1, s.concurrency),
                                max_keepalive_connections=max(1, s.concurrency)),
            headers={"User-Agent": s.user_agent, "Accept": "application/json"},
            follow_redirects=False,
            transport=transport,
            # Every request goes to the source, so TLS is only ever used for an https source;
            # loading the CA bundle for an http one (a local mirror) would cost tens of ms for nothing.
            verify=tls,
        )

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def get_json(self, url: str) -> Any:
        """GET a URL and return its parsed JSON body, retrying what may pass; CrawlError when it will not."""
        return (await self.fetch_json(url)).data

    async def fetch_json(self, url: str) -> Fetched:
        """Like get_json, keeping the raw body too."""
        last = "no attempt"
        for attempt in range(1, self.settings.max_tries + 1):
            try:
                return await self._attempt(url)
            except _Retry as retry:
                last = retry.reason
                if attempt == self.settings.max_tries:
                    break
                self.stats.retries += 1
                await asyncio.sleep(max(retry.wait, self._backoff(attempt)))
        raise CrawlError(f"gave up on {url} after {self.settings.max_tries} tries: {last}")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with 'equal jitter': between half and all of base * 2^(attempt-1)."""
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def _attempt(self, url: str) -> Fetched:
        async with self._slots:
            await self._pacer.wait_turn()
            self.stats.requests += 1
            try:
                response = await self._http.get(url)
            except RETRY_ERRORS as exc:
                raise _Retry(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc
        self.stats.bytes += len(response.content)
        status = response.status_code
        if status in (429, 503):
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                if wait > self.settings.max_retry_after:
                    raise CrawlError(f"{url}: the server asks to retry after {wait:.0f} s (status {status}), "
                                     f"longer than the {self.settings.max_retry_after:.0f} s we wait")
                self._pacer.pause(wait)
                raise _Retry(f"last status {status} (Retry-After {wait:g} s)", wait)
        if status in RETRY_STATUSES:
            raise _Retry(f"last status {status}")
        if status != 200:
            raise CrawlError(f"{url}: unexpected status {status}")
        try:
            return Fetched(orjson.loads(response.content), response.content)
        except orjson.JSONDecodeError as exc:
            raise _Retry(f"last status 200 with a truncated or non-JSON body ({exc})") from exc
