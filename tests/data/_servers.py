"""A local HTTP server for the download tests: started on 127.0.0.1 at a free port, served from a
daemon thread, stopped and closed (the mirrors, proxies and slow servers of tests/data)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """Start a server of ``handler`` and return it with its base URL, ``http://127.0.0.1:PORT``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def stop(httpd: ThreadingHTTPServer) -> None:
    """Stop serving and close the listening socket."""
    httpd.shutdown()
    httpd.server_close()
