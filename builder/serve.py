"""`python build.py serve`: preview the built site on 127.0.0.1 with netlify.toml's rewrites and
headers applied by `builder.api.resolver`, so what a maintainer sees is what the CDN serves."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .api.resolver import Resolver
from .api.rules import NETLIFY_TOML
from .errors import BuildError


class PreviewServer(ThreadingHTTPServer):
    """Answers from a site folder through a `Resolver` of its rules."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], site_dir: Path,
                 config: Path) -> None:
        self.site_dir, self.config = Path(site_dir), Path(config)
        self.resolver = Resolver(self.site_dir, self.config)
        super().__init__(address, handler)

    def reload(self) -> None:
        """Read the rules again (the site's `_redirects` may have changed with a rebuild)."""
        self.resolver = Resolver(self.site_dir, self.config)


def make_server(site_dir: Path, port: int = 8000, config: Path = NETLIFY_TOML) -> PreviewServer:
    """An HTTP server on 127.0.0.1:port (0 picks a free port) answering from site_dir."""
    if not Path(site_dir).is_dir():
        raise BuildError(f"{site_dir}: no built site here (run: python build.py build)")

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # else a small answer waits ~40 ms for the client's delayed ACK

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away: nobody is left to answer

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

        def _answer(self, head: bool) -> None:
            assert isinstance(self.server, PreviewServer)
            response = self.server.resolver.get(self.path)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not head:
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    try:
        return PreviewServer(("127.0.0.1", port), Handler, site_dir, config)
    except OSError as exc:
        raise BuildError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc


def serve_in_thread(site_dir: Path, config: Path = NETLIFY_TOML) -> tuple[PreviewServer, str]:
    """Start a server on a free port in a daemon thread; returns it and its base URL."""
    server = make_server(site_dir, 0, config)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
