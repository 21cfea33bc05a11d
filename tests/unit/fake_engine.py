"""A Docker engine stand-in on a unix socket for unit tests of the kit's own engine
calls: the test's HTTP handler answers, ``DOCKER_HOST`` points at it."""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler], folder: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``handler`` answers on ``folder/docker.sock``, which ``DOCKER_HOST`` names."""
    sock = folder / "docker.sock"
    server = _Server(str(sock), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
