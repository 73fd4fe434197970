"""Hyperlinks of API v4: where they may point, how they map onto the source, which id they name.

The API builds absolute hyperlinks from the host it was asked for (on the live site
`https://djangopackages.org/api/v4/...`). A copy of the API served elsewhere (a
mirror, our own static output on 127.0.0.1) still shows the original host, so the
crawler treats the part before `/api/v4/` as the *origin* and maps it onto the
source it was told to crawl. Every request goes to the source; a hyperlink with
another origin than the first one seen is refused rather than followed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import CrawlError

API_PATH = "/api/v4/"
_LINK_RE = re.compile(r"^(?P<origin>https?://[^/?#]+(?:/[^?#]*?)?)/api/v4/(?P<rest>[^#]*)\Z")
_ENTITY_RE = re.compile(r"^(?P<kind>packages|grids|categories)/(?P<id>[1-9][0-9]*)/\Z")


def source_base(source_url: str) -> str:
    """The base URL of a source, without a trailing slash or `/api/v4/`.

    Accepts `https://djangopackages.org`, `https://djangopackages.org/` and
    `https://djangopackages.org/api/v4/` alike.
    """
    parts = urlsplit(source_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise CrawlError(f"the source must be an http(s) URL with no query, got {source_url!r}")
    base = source_url.rstrip("/")
    if base.endswith("/api/v4"):
        base = base[: -len("/api/v4")]
    return base


class LinkMap:
    """Maps the API's hyperlinks onto the source and turns relation links into ids."""

    def __init__(self, source_url: str) -> None:
        self.base = source_base(source_url)
        self.origin: str | None = None

    def url(self, rest: str) -> str:
        """The source URL of an API path such as `packages/?limit=100`."""
        return f"{self.base}{API_PATH}{rest}"

    def _split(self, link: object) -> str:
        """Check a hyperlink's origin (learning it from the first link) and return what follows /api/v4/."""
        match = _LINK_RE.match(link) if isinstance(link, str) else None
        if match is None:
            raise CrawlError(f"not an API v4 hyperlink: {link!r}")
        origin = match["origin"]
        if self.origin is None:
            self.origin = origin
        elif origin != self.origin:
            raise CrawlError(f"refusing a hyperlink to another host: {link!r} (the API's links "
                             f"point to {self.origin})")
        return match["rest"]

    def follow(self, link: object) -> str:
        """The source URL to request for a `next` link found in a response."""
        return self.url(self._split(link))

    def entity_id(self, link: object, kind: str) -> int:
        """The id named by a relation link such as `.../api/v4/categories/1/`."""
        if self.origin is not None and isinstance(link, str):  # the fast path, for most links
            prefix = f"{self.origin}{API_PATH}{kind}/"
            digits = link[len(prefix):-1]
            if link.startswith(prefix) and link.endswith("/") and digits.isascii() and digits.isdigit() \
                    and digits[0] != "0":
                return int(digits)
        rest = self._split(link)
        match = _ENTITY_RE.match(rest)
        if match is None or match["kind"] != kind:
            raise CrawlError(f"expected a link to one of the {kind}, got {link!r}")
        return int(match["id"])
