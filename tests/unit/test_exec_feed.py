"""Feeding stdin to a dind node's command (``docker load`` of the lab images) closes the
HTTP response under the exec's socket, not only the socket: on Python 3.13 (Debian
trixie, the hostvm tier) the response left behind printed "Exception ignored ... I/O
operation on closed file" once per node when ``swarmlab up`` ended.

(The leftover shows under Python 3.13, where this test failed before the fix; Python
3.11 finalizes it silently.) An engine stand-in answers on a unix socket: exec create, the hijacked exec start (reads
stdin to its end, answers with one stdout frame) and exec inspect."""

from __future__ import annotations

import gc
import http.server
import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swarmlab import engine
from swarmlab.transport.exec import ExecTransport
from tests.unit.fake_engine import serve


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "unix"

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body = b"OK"
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(body)
        elif path.endswith("/version"):
            self._json({"ApiVersion": "1.41", "Version": "26.1.5"})
        else:  # /exec/<id>/json
            self._json({"Running": False, "ExitCode": 0})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if not self.path.split("?")[0].endswith("/start"):
            self._json({"Id": "e1"})  # exec create
            return
        self.send_response(200)  # exec start: the connection becomes the raw stream
        self.send_header("Content-Type", "application/vnd.docker.raw-stream")
        self.end_headers()
        self.wfile.flush()
        got = b""
        while chunk := self.connection.recv(65536):
            got += chunk
        out = f"read {len(got)} bytes\n".encode()
        self.wfile.write(struct.pack(">BxxxL", 1, len(out)) + out)
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def fake_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with serve(_Handler, tmp_path, monkeypatch):
        yield


def test_stdin_reaches_the_command_and_nothing_is_left_to_finalize(
        fake_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ignored: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: ignored.append(repr(u.exc_value)))
    node = ExecTransport(engine.connect(timeout=5), "swarmlab-t-worker1", "worker1")
    res = node.run("docker load -q", stdin=b"x" * 300_000, timeout=30)
    assert res.ok and res.stdout == "read 300000 bytes\n"
    del node, res
    gc.collect()
    assert ignored == []
