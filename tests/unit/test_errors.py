import pytest

from swarmlab import engine
from swarmlab.errors import CommandError, EngineUnavailable, WaitTimeout
from swarmlab.transport.base import CommandResult
from swarmlab.transport.exec import _demux


def test_command_result_check_raises_command_error_carrying_the_result():
    res = CommandResult("docker node ls", 1, "", "Error: not a swarm manager", node="worker1")
    with pytest.raises(CommandError) as info:
        res.check(hint="run it on a manager")
    assert info.value.result is res
    msg = str(info.value)
    assert "worker1" in msg and "exited 1" in msg and "not a swarm manager" in msg
    assert "Hint: run it on a manager" in msg


def test_successful_result_check_returns_itself():
    res = CommandResult("true", 0, "", "")
    assert res.check() is res and res.ok


def test_wait_timeout_says_what_was_awaited_what_was_seen_and_a_hint():
    e = WaitTimeout("every node Ready", 30, "worker1=Down", "start worker1")
    assert str(e).splitlines() == [
        "Timed out after 30s waiting for every node Ready.",
        "Last seen: worker1=Down",
        "Hint: start worker1",
    ]


def test_engine_not_running_is_engine_unavailable_naming_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(EngineUnavailable) as info:
        engine.connect(timeout=2)
    assert "Start it" in str(info.value) and "lab.sh" in str(info.value)


def test_docker_stream_frames_are_split_into_stdout_and_stderr():
    frame = lambda kind, text: bytes([kind, 0, 0, 0]) + len(text).to_bytes(4, "big") + text
    out, err = _demux(frame(1, b"hello ") + frame(2, b"oops") + frame(1, b"world"))
    assert (out, err) == ("hello world", "oops")
