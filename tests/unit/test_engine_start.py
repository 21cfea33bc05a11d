"""Starting dockerd by hand after a crash: a stale containerd pid file is cleared."""

from __future__ import annotations

import os

from swarmlab import engine


def test_a_pid_file_naming_another_process_is_removed(tmp_path, monkeypatch):
    pidfile = tmp_path / "containerd.pid"
    monkeypatch.setattr(engine, "CONTAINERD_PID", pidfile)
    pidfile.write_text(str(os.getpid()))  # alive, but this test, not containerd
    engine._forget_dead_containerd()
    assert not pidfile.exists()


def test_a_pid_file_of_a_dead_process_is_removed(tmp_path, monkeypatch):
    pidfile = tmp_path / "containerd.pid"
    monkeypatch.setattr(engine, "CONTAINERD_PID", pidfile)
    pidfile.write_text("4194304")  # above any pid_max: no such process
    engine._forget_dead_containerd()
    assert not pidfile.exists()


def test_no_or_unreadable_pid_file_is_left_alone(tmp_path, monkeypatch):
    pidfile = tmp_path / "containerd.pid"
    monkeypatch.setattr(engine, "CONTAINERD_PID", pidfile)
    engine._forget_dead_containerd()  # no file: nothing to do
    pidfile.write_text("not a pid")
    engine._forget_dead_containerd()
    assert pidfile.read_text() == "not a pid"
