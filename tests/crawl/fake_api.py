"""A real HTTP server on 127.0.0.1 that answers like Django Packages API v4, with injectable faults.

Two ways to answer:
- `RecordedApi`: the recorded responses of the reference dataset (index.json + bodies),
  byte for byte, hyperlinks still pointing at https://djangopackages.org;
- `DatasetApi`: any dataset of snapshot records, rendered like API v4
  (LimitOffsetPagination, newest id first, compact JSON), mutable mid-crawl.

`FakeApiServer` runs either in a thread (ThreadingHTTPServer, HTTP/1.1 keep-alive),
logs every request, sleeps an optional latency, and plays queued faults. Used by
tests/crawl and bench/bench_crawl.py.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ORIGIN = "https://djangopackages.org"
JSON = "application/json"


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


NOT_FOUND = Answer(404, b'{"detail":"Not found."}')


class RecordedApi:
    """Answers the recorded requests of an index.json (plain GETs only), byte-exact."""

    def __init__(self, folder: Path) -> None:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        self.answers: dict[str, Answer] = {}
        for req in index["requests"]:
            if "accept" in req or req["url"] in self.answers:
                continue
            headers = {"Location": req["location"]} if req.get("location") else {}
            body = (folder / req["file"]).read_bytes()
            self.answers[req["url"]] = Answer(req["status"], body, req["content_type"], headers)

    def answer(self, target: str) -> Answer:
        return self.answers.get(target, NOT_FOUND)


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DatasetApi:
    """API v4 list and detail endpoints over snapshot records (dicts as in docs/snapshot-format.md)."""

    def __init__(self, categories: Iterable[Mapping[str, Any]], grids: Iterable[Mapping[str, Any]],
                 packages: Iterable[Mapping[str, Any]], origin: str = ORIGIN) -> None:
        self.origin = origin
        self._lock = threading.Lock()
        self.replace(categories, grids, packages)

    def replace(self, categories: Iterable[Mapping[str, Any]], grids: Iterable[Mapping[str, Any]],
                packages: Iterable[Mapping[str, Any]]) -> None:
        """Swap the dataset (as a live site changes between two requests of a crawl)."""
        link = f"{self.origin}/api/v4/"
        rendered = {
            "categories": {c["id"]: _compact({k: c[k] for k in (
                "id", "title", "slug", "description", "title_plural", "show_pypi", "created", "modified")})
                for c in categories},
            "grids": {g["id"]: _compact({
                "id": g["id"], "title": g["title"], "slug": g["slug"], "description": g["description"],
                "is_locked": g["is_locked"], "packages": [f"{link}packages/{p}/" for p in g["packages"]],
                "header": g["header"], "created": g["created"], "modified": g["modified"]}) for g in grids},
            "packages": {p["id"]: _compact({
                "category": f"{link}categories/{p['category']}/",
                "grids": [f"{link}grids/{g}/" for g in p["grids"]],
                **{k: p[k] for k in (
                    "id", "title", "slug", "last_updated", "last_fetched", "repo_url", "pypi_version",
                    "created", "modified", "repo_forks", "repo_description", "pypi_url", "documentation_url",
                    "repo_watchers", "commits_over_52", "participants")}}) for p in packages},
        }
        ordered = {kind: [objs[i] for i in sorted(objs, reverse=True)] for kind, objs in rendered.items()}
        with self._lock:
            self.details, self.lists = rendered, ordered

    @classmethod
    def from_snapshot(cls, snapshot: Any, origin: str = ORIGIN) -> DatasetApi:
        """Serve a loaded builder.model.Snapshot."""
        from dataclasses import asdict

        return cls([asdict(c) for c in snapshot.categories.values()],
                   [asdict(g) for g in snapshot.grids.values()],
                   [asdict(p) for p in snapshot.packages.values()], origin)

    def answer(self, target: str) -> Answer:
        parts = urlsplit(target)
        pieces = parts.path.strip("/").split("/")
        if len(pieces) < 3 or pieces[:2] != ["api", "v4"] or pieces[2] not in self.details:
            return NOT_FOUND
        kind = pieces[2]
        with self._lock:
            details, objects = self.details[kind], self.lists[kind]  # one consistent version
        if len(pieces) == 4 and pieces[3].isdigit():
            body = details.get(int(pieces[3]))
            return Answer(200, body) if body is not None else NOT_FOUND
        if len(pieces) != 3:
            return NOT_FOUND
        query = dict(parse_qsl(parts.query))
        limit = _int(query.get("limit"), 20, minimum=1)
        offset = _int(query.get("offset"), 0, minimum=0)
        base = f"{self.origin}/api/v4/{kind}/"
        count = len(objects)
        nxt = f'"{base}?limit={limit}&offset={offset + limit}"' if offset + limit < count else "null"
        if offset <= 0:
            prev = "null"
        elif offset - limit <= 0:
            prev = f'"{base}?limit={limit}"'
        else:
            prev = f'"{base}?limit={limit}&offset={offset - limit}"'
        results = b",".join(objects[offset:offset + limit])
        head = f'{{"count":{count},"next":{nxt},"previous":{prev},"results":['.encode()
        return Answer(200, head + results + b"]}")


def _int(value: str | None, default: int, minimum: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= minimum else default


# ---------------------------------------------------------------------------
# Faults: each is played once, in the order queued, on a matching request.


@dataclass
class Status:
    """Answer with this status (and headers/body) instead of the real answer."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"detail":"fault"}'
    content_type: str = JSON


@dataclass
class Hang:
    """Wait this long before answering (past the client's read timeout), then answer normally."""

    seconds: float


@dataclass
class Truncate:
    """Send only the first `keep` bytes of the real body, with a Content-Length that matches them."""

    keep: int


@dataclass
class CutConnection:
    """Announce the full body, send `keep` bytes of it, then close the connection."""

    keep: int


@dataclass
class Reset:
    """Reset the connection (TCP RST) without answering."""


@dataclass
class Mutate:
    """Answer with the real body passed through a function."""

    change: Callable[[bytes], bytes]


Fault = Status | Hang | Truncate | CutConnection | Reset | Mutate


@dataclass
class Hit:
    """One request as the server saw it."""

    target: str
    at: float
    user_agent: str


class FakeApiServer:
    """A threaded HTTP server on 127.0.0.1 (free port) answering from an API object."""

    def __init__(self, api: RecordedApi | DatasetApi, *, latency: float = 0.0) -> None:
        self.api = api
        self.latency = latency
        self.hits: list[Hit] = []
        self.before_answer: Callable[[str], None] | None = None
        self._faults: list[tuple[str | None, Fault]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def inject(self, target: str | None, *faults: Fault) -> None:
        """Queue faults for the next requests of `target` (path and query), or of any request if None."""
        with self._lock:
            self._faults.extend((target, f) for f in faults)

    def targets(self) -> list[str]:
        with self._lock:
            return [h.target for h in self.hits]

    def _take_fault(self, target: str, user_agent: str) -> Fault | None:
        with self._lock:
            self.hits.append(Hit(target, time.monotonic(), user_agent))
            for i, (want, fault) in enumerate(self._faults):
                if want is None or want == target:
                    del self._faults[i]
                    return fault
        return None


def _handler(server: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm meets the
        # client's delayed ACK and adds ~40 ms to small answers on a kept-alive connection.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            fault = server._take_fault(self.path, self.headers.get("User-Agent", ""))
            if server.before_answer is not None:
                server.before_answer(self.path)
            if server.latency:
                time.sleep(server.latency)
            if isinstance(fault, Reset):
                self._reset()
                return
            if isinstance(fault, Hang):
                server._stopping.wait(fault.seconds)
            if isinstance(fault, Status):
                self._send(Answer(fault.code, fault.body, fault.content_type, fault.headers))
                return
            answer = server.api.answer(self.path)
            if isinstance(fault, Mutate):
                answer = Answer(answer.status, fault.change(answer.body), answer.content_type, answer.headers)
            if isinstance(fault, Truncate):
                answer = Answer(answer.status, answer.body[:fault.keep], answer.content_type, answer.headers)
            if isinstance(fault, CutConnection):
                self._send(answer, keep=fault.keep)
                return
            self._send(answer)

        def _send(self, answer: Answer, keep: int | None = None) -> None:
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if keep is not None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(answer.body if keep is None else answer.body[:keep])
                self.wfile.flush()
            except OSError:
                self.close_connection = True

        def _reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass

    return Handler


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 where nothing listens (a server down for good)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def main() -> None:
    """Serve a snapshot folder as API v4 from a separate process (for benchmarks): prints the URL."""
    import argparse
    import sys

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    from builder.snapshot import load_snapshot

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with FakeApiServer(DatasetApi.from_snapshot(load_snapshot(args.snapshot)), latency=args.latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


if __name__ == "__main__":
    main()
