"""Lab 15's repair after a forced new cluster: a restart only for Docker's "no VNI provided"
(the engine's network part forgot the swarm), never for a working engine or another error."""

from __future__ import annotations

import pytest

from swarmlab.lab_recovery import NO_VNI, repair_overlay
from swarmlab.transport.base import CommandResult


class StuckEngine:
    """A node whose overlay networks fail with ``error`` until it is restarted."""

    def __init__(self, error: str, mended_by_restart: bool = True) -> None:
        self.error, self.mended = error, mended_by_restart
        self.calls: list[str] = []

    def node(self, name: str) -> StuckEngine:
        return self

    def run(self, cmd: str, timeout: float = 0) -> CommandResult:
        self.calls.append("try")
        assert cmd.startswith("docker network create -d overlay swarmlab-probe")
        return CommandResult(cmd, 1 if self.error else 0, "", self.error)

    def stop(self, name: str) -> None:
        self.calls.append(f"stop {name}")

    def start(self, name: str) -> None:
        self.calls.append(f"start {name}")
        if self.mended:
            self.error = ""


def test_a_working_engine_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    lab = StuckEngine("")
    assert repair_overlay(lab, "manager1") is False  # type: ignore[arg-type]
    assert lab.calls == ["try"] and "nothing to repair" in capsys.readouterr().out


def test_no_vni_restarts_the_node_once_and_says_it_works_again(
        capsys: pytest.CaptureFixture[str]) -> None:
    lab = StuckEngine(f"Error response from daemon: {NO_VNI}")
    assert repair_overlay(lab, "manager1") is True  # type: ignore[arg-type]
    assert lab.calls == ["try", "stop manager1", "start manager1", "try"]
    out = capsys.readouterr().out
    assert "a Docker bug" in out and "creates overlay networks again" in out


def test_a_restart_that_does_not_mend_it_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    lab = StuckEngine(f"Error response from daemon: {NO_VNI}", mended_by_restart=False)
    assert repair_overlay(lab, "manager1") is True  # type: ignore[arg-type]
    assert "still cannot create an overlay network" in capsys.readouterr().out


def test_another_error_is_shown_and_restarts_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    lab = StuckEngine("Error response from daemon: This node is not a swarm manager.")
    assert repair_overlay(lab, "manager1") is False  # type: ignore[arg-type]
    assert lab.calls == ["try"] and "not a swarm manager" in capsys.readouterr().out
