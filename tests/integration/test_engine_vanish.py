"""The host engine vanishing in the middle of a command: a clear error naming the fix,
then the lab comes back. Kills the host's dockerd: run it alone (CI runs tests serially)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import swarmlab
from swarmlab import engine
from swarmlab.errors import ConnectError, EngineUnavailable
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, host_dockerd_pid, leftovers

VANISH = lab_name("t-enginegone")

pytestmark = [pytest.mark.host_engine, pytest.mark.skipif(
    os.path.exists("/run/systemd/system"),
    reason="kills dockerd by signal; on a systemd host systemd would restart it at once",
)]


def test_engine_killed_mid_command_is_a_clear_error_and_the_lab_recovers(host_engine):
    lab = swarmlab.Lab.up(VANISH, managers=1, workers=1, quiet=True)
    try:
        node = lab.node("worker1")
        outcome: dict[str, object] = {}

        def long_command() -> None:
            try:
                outcome["result"] = node.run("echo started; sleep 30; echo finished", timeout=90)
            except Exception as e:  # the assertion below says which one was expected
                outcome["error"] = e

        worker = threading.Thread(target=long_command)
        worker.start()
        time.sleep(3)  # the command is running inside the node
        pid = host_dockerd_pid()
        assert pid, "no host dockerd found"
        os.kill(pid, signal.SIGKILL)  # a crash: no shutdown, no goodbye
        worker.join(60)
        assert not worker.is_alive(), "the command hung after the engine vanished"
        err = outcome.get("error")
        assert isinstance(err, ConnectError), outcome
        text = str(err)
        assert "Lost the Docker engine" in text and "swarmlab setup" in text, text
        assert "Traceback" not in text
        # Finding the lab again fails at once, naming the fix, instead of hanging.
        t = time.monotonic()
        with pytest.raises(EngineUnavailable, match="Start it"):
            swarmlab.Lab.connect(VANISH).node("manager1").run("true")
        assert time.monotonic() - t < 20

        engine.ensure(log=lambda _msg: None)
        back = swarmlab.Lab.up(VANISH, managers=1, workers=1, quiet=True)
        rows = {r["node"]: r for r in back.status()}
        assert all(r["status"] == "Ready" for r in rows.values()), rows
        assert back.node("worker1").run("echo again").check().stdout.strip() == "again"
    finally:
        engine.ensure(log=lambda _msg: None)
        swarmlab.Lab.connect(VANISH).down(quiet=True)
    assert leftovers(VANISH) == NOTHING
