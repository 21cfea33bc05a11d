"""The Docker SDK client's timeout: a short one for the first ping (an absent engine is
found out fast), then 120 s per call (``$SWARMLAB_DOCKER_TIMEOUT``), because an engine on a
slow machine (the hostvm tier's emulated VM) took longer than 60 s to answer some calls.

An engine stand-in answers on a unix socket: ``/_ping`` and ``/version`` at once,
``/containers/json`` after ``SLOW_S`` seconds."""

from __future__ import annotations

import http.server
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmlab import engine
from swarmlab.errors import EngineUnavailable
from tests.unit.fake_engine import serve

SLOW_S = 2.0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:  # a unix socket has no client address
        return "unix"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body, kind = b"OK", "text/plain"
        elif path.endswith("/version"):
            body, kind = json.dumps({"ApiVersion": "1.41", "Version": "26.1.5"}).encode(), \
                "application/json"
        else:  # /containers/json: a slow answer
            time.sleep(SLOW_S)
            body, kind = b"[]", "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


@pytest.fixture
def slow_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(engine.TIMEOUT_ENV, raising=False)
    with serve(_Handler, tmp_path, monkeypatch):
        yield


def test_after_the_first_ping_calls_get_120_seconds(slow_engine: None) -> None:
    client = engine.connect(timeout=1)
    assert client.api.timeout == 120
    t = time.monotonic()
    assert client.containers.list() == []  # slower than the ping's 1 s: still answered
    assert time.monotonic() - t >= SLOW_S


def test_the_timeout_can_be_set_and_a_slower_answer_then_fails(
        slow_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    monkeypatch.setenv(engine.TIMEOUT_ENV, "0.5")
    client = engine.connect(timeout=5)
    assert client.api.timeout == 0.5
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.containers.list()


def test_a_bad_timeout_setting_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv(engine.TIMEOUT_ENV, bad)
        with pytest.raises(EngineUnavailable, match=engine.TIMEOUT_ENV):
            engine.work_timeout()
    monkeypatch.setenv(engine.TIMEOUT_ENV, "300")
    assert engine.work_timeout() == 300
