"""Classroom: `class up` refuses bad input with the fix, before it makes anything."""

from __future__ import annotations

import os
import socket

import pytest
from click.testing import CliRunner

from swarmlab.classroom import hub
from swarmlab.classroom.config import ROOT_ENV, ClassSettings
from swarmlab.cli import main
from swarmlab.errors import EngineUnavailable


@pytest.fixture(autouse=True)
def class_root(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "classes"))
    monkeypatch.setattr(hub, "_check_docker", lambda: None)
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 20000)
    return tmp_path / "classes"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1] - 10  # a range of four likely free near it


def up(*args):
    return CliRunner().invoke(main, ["class", "up", "--name", "c1", *args])


def nothing_made(root):
    assert not (root / "c1").exists()


def test_a_roster_with_duplicates_is_refused_naming_the_lines(tmp_path, class_root):
    roster = tmp_path / "roster.txt"
    roster.write_text("ann\nbob\nann\nbad name\n")
    res = up("--roster", str(roster))
    assert res.exit_code == 1
    assert "line 3: 'ann' is already on line 1" in res.output and "line 4" in res.output
    nothing_made(class_root)


def test_students_or_a_roster_must_be_given_and_not_both(tmp_path, class_root):
    assert "--students N or --roster FILE" in up().output
    roster = tmp_path / "r.txt"
    roster.write_text("ann\n")
    assert "--students N or --roster FILE" in up("-s", "2", "--roster", str(roster)).output
    nothing_made(class_root)


def test_a_taken_port_is_refused_naming_another(class_root):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = up("-s", "2", "--port", str(port))
    assert res.exit_code == 1 and f"port {port}" in res.output and "--port" in res.output
    nothing_made(class_root)


def test_a_password_too_short_is_refused(class_root):
    res = up("-s", "2", "--password", "abc", "--port", str(free_port()))
    assert res.exit_code == 1 and "at least 8" in res.output and "--password" in res.output
    res = up("-s", "2", "--instructor-password", "abcdefghij", "--port", str(free_port()))
    assert "at least 32" in res.output
    nothing_made(class_root)


def test_no_docker_is_refused_with_how_to_start_it(class_root, monkeypatch):
    def no_engine():
        raise EngineUnavailable("Docker is not running: start it (`dockerd &` or "
                                "`systemctl start docker`).")
    monkeypatch.setattr(hub, "_check_docker", no_engine)
    res = up("-s", "2", "--port", str(free_port()))
    assert res.exit_code == 1 and "start it" in res.output
    nothing_made(class_root)


def test_a_class_too_big_for_the_host_is_refused_naming_the_largest(class_root, monkeypatch):
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 3000)
    res = up("-s", "30", "--port", str(free_port()))
    assert res.exit_code == 1 and "holds at most" in res.output and "--students" in res.output
    nothing_made(class_root)


def test_a_class_already_up_is_refused(class_root):
    folder = class_root / "c1"
    (folder / "hub").mkdir(parents=True)
    ClassSettings("c1", str(folder), ["ann"], 18000).save()
    (folder / "hub" / "jupyterhub.pid").write_text(str(os.getpid()))  # a live hub
    res = up("-s", "2", "--port", str(free_port()))
    assert res.exit_code == 1 and "already up" in res.output and "class down" in res.output


def test_commands_on_a_class_that_does_not_exist_say_how_to_make_one(class_root):
    res = CliRunner().invoke(main, ["class", "status", "--name", "nope"])
    assert res.exit_code == 1 and "class up --name nope" in res.output


def test_class_plan_prints_the_largest_class_and_fails_when_it_does_not_fit(monkeypatch):
    ok = CliRunner().invoke(main, ["class", "plan", "--students", "2"])
    assert ok.exit_code == 0 and "largest class this host holds" in ok.output
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 1000)
    assert CliRunner().invoke(main, ["class", "plan", "--students", "2"]).exit_code == 1
