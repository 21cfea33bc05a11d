"""``%%node``, ``%node`` and ``%swarmlab`` through a real IPython shell and a real cluster."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import swarmlab
from tests.conftest import lab_name
from tests.integration.conftest import module_lab, shared_name

LAB, NOWHERE = shared_name(), lab_name("hviz-none")

pytestmark = pytest.mark.integration


lab = module_lab()


@pytest.fixture
def shell(lab: swarmlab.Lab) -> Iterator[InteractiveShell]:
    sh = InteractiveShell.instance()
    sh.run_cell("%reload_ext swarmlab")
    sh.run_cell(f"%swarmlab use {LAB}")
    yield sh
    sh.user_ns.pop("mylab", None)


def run(sh: InteractiveShell, source: str) -> tuple[Any, str, str]:
    with capture_output() as cap:
        result = sh.run_cell(source)
    return result, cap.stdout, cap.stderr


class TimedWrites:
    """A stdout that remembers when each piece of text arrived."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return len(text)

    def flush(self) -> None:
        pass

    def when(self, needle: str) -> float:
        return next(t for t, text in self.writes if needle in text)


def test_cell_output_streams_as_it_comes(shell: InteractiveShell) -> None:
    out = TimedWrites()
    real, sys.stdout = sys.stdout, out
    try:
        result = shell.run_cell("%%node manager1\necho first\nsleep 1.5\necho second")
    finally:
        sys.stdout = real
    assert result.success
    assert out.when("second") - out.when("first") > 1.0


def test_cell_runs_as_a_script_on_that_node(lab: swarmlab.Lab, shell: InteractiveShell) -> None:
    script = "for i in 1 2; do echo n$i; done\ndocker info -f '{{.Swarm.NodeAddr}}'"
    result, out, err = run(shell, f"%%node worker2\n{script}")
    assert result.success, err
    assert out.split() == ["n1", "n2", lab.node("worker2").address]


def test_failing_command_shows_its_exit_code_without_a_traceback(shell: InteractiveShell) -> None:
    result, out, err = run(shell, "%%node manager1\necho before\nexit 3")
    assert result.success
    assert out == "before\n"
    assert "[manager1] exit code 3" in err
    assert "Traceback" not in out + err


def test_cell_source_is_appended_to_the_node_history(
    lab: swarmlab.Lab, shell: InteractiveShell
) -> None:
    marker = f"echo history-{time.time_ns()}"
    run(shell, f"%%node worker1\n{marker}")
    history = lab.node("worker1").run("cat /root/.swarmlab_history").check().stdout
    assert marker in history
    assert marker not in lab.node("worker2").run("cat /root/.swarmlab_history").stdout


def test_line_magic_passes_braces_and_dollars_to_the_node(
    lab: swarmlab.Lab, shell: InteractiveShell
) -> None:
    shell.user_ns["HOME"] = "python-value"
    result, out, err = run(
        shell, "%node manager1 docker info -f '{{.Swarm.NodeAddr}}'; echo $HOME $((1+2))"
    )
    assert result.success, err
    assert out.split() == [lab.node("manager1").address, "/root", "3"]


def test_unknown_node_is_a_clear_message(shell: InteractiveShell) -> None:
    result, out, err = run(shell, "%%node worker9\ntrue")
    assert isinstance(result.error_in_exec, UsageError)
    assert f"Lab '{LAB}' has no node 'worker9'. Its nodes: manager1, worker1, worker2." in err
    assert "Traceback" not in err


def test_unknown_lab_is_a_clear_message_and_not_remembered(shell: InteractiveShell) -> None:
    result, _, err = run(shell, f"%node --lab {NOWHERE} manager1 true")
    assert isinstance(result.error_in_exec, UsageError)
    assert f"No lab named '{NOWHERE}'" in err
    result, out, _ = run(shell, "%node manager1 echo still-here")
    assert result.success and out == "still-here\n"


def test_magics_use_the_lab_the_notebook_made_last(
    lab: swarmlab.Lab, shell: InteractiveShell
) -> None:
    run(shell, "%swarmlab use default")  # even after naming another lab ...
    shell.run_cell(f"import swarmlab\nmylab = swarmlab.Lab.connect({LAB!r})")
    result, out, err = run(shell, "%node worker1 docker info -f '{{.Swarm.NodeAddr}}'")
    assert result.success, err
    assert out.strip() == lab.node("worker1").address  # ... a new Lab object wins


def test_interrupt_stops_the_command_on_the_node(
    lab: swarmlab.Lab, shell: InteractiveShell, sigint_handled: None
) -> None:
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    result, out, err = run(shell, "%%node manager1\necho start\nsleep 47 | cat\necho never")
    assert time.monotonic() - started < 5
    assert out == "start\n" and "interrupted" in err
    left = lab.node("manager1").run("ps -eo args | grep -c '^sleep 4[7]'").stdout.strip()
    assert left == "0"


def test_timeout_option_ends_a_long_cell(shell: InteractiveShell) -> None:
    started = time.monotonic()
    result, _, err = run(shell, "%%node manager1 --timeout 1\nsleep 20")
    assert time.monotonic() - started < 6
    assert "[manager1] timed out after 1s" in err


def test_swarmlab_status_lists_every_node(shell: InteractiveShell) -> None:
    result, out, err = run(shell, "%swarmlab status")
    assert result.success, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NODE", "ROLE"]
    assert [line.split()[0] for line in lines[1:]] == ["manager1", "worker1", "worker2"]
    assert "Leader" in lines[1]


def test_swarmlab_without_a_verb_shows_usage(shell: InteractiveShell) -> None:
    result, _, err = run(shell, "%swarmlab dance")
    assert isinstance(result.error_in_exec, UsageError)
    assert "Usage: %swarmlab" in err


def test_swarmlab_check_passes_00_hello_after_a_node_cell(shell: InteractiveShell) -> None:
    run(shell, "%%node manager1\ndocker version --format '{{.Server.Version}}'")
    result, _, err = run(shell, "%swarmlab check 00.hello")
    assert result.success, err
    assert result.result.id == "00.hello" and result.result.passed, str(result.result)


def test_swarmlab_show_and_timeline_return_pictures(
    lab: swarmlab.Lab, shell: InteractiveShell
) -> None:
    lab.node("manager1").run(
        "docker service create -q --name pic --replicas 2 swarmlab/web:v1", timeout=120
    ).check()
    try:
        result, _, err = run(shell, "%swarmlab show")
        assert result.success, err
        source = result.result.source
        assert all(name in source for name in lab.node_names) and "<b>pic.2</b>" in source
        result, _, err = run(shell, "%swarmlab timeline pic")
        assert result.success, err
        assert result.result.rows == ["pic.1", "pic.2"] and result.result.svg.startswith("<svg")
        result, _, err = run(shell, "%swarmlab timeline nope")
        assert isinstance(result.error_in_exec, UsageError)
        assert "No service 'nope'" in err
    finally:
        lab.node("manager1").run("docker service rm pic")
