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
from tests.conftest import free_ports


@pytest.fixture(autouse=True)
def class_root(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "classes"))
    monkeypatch.setattr(hub, "_check_docker", lambda: None)
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 20000)
    return tmp_path / "classes"


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
    res = up("-s", "2", "--password", "abc", "--port", str(free_ports(4)))
    assert res.exit_code == 1 and "at least 8" in res.output and "--password" in res.output
    res = up("-s", "2", "--instructor-password", "abcdefghij", "--port", str(free_ports(4)))
    assert "at least 32" in res.output
    nothing_made(class_root)


def test_no_docker_is_refused_with_how_to_start_it(class_root, monkeypatch):
    def no_engine():
        raise EngineUnavailable("Docker is not running: start it (`dockerd &` or "
                                "`systemctl start docker`).")
    monkeypatch.setattr(hub, "_check_docker", no_engine)
    res = up("-s", "2", "--port", str(free_ports(4)))
    assert res.exit_code == 1 and "start it" in res.output
    nothing_made(class_root)


def test_a_class_too_big_for_the_host_is_refused_naming_the_largest(class_root, monkeypatch):
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 3000)
    res = up("-s", "30", "--port", str(free_ports(4)))
    assert res.exit_code == 1 and "holds at most" in res.output and "--students" in res.output
    nothing_made(class_root)


def test_a_class_already_up_is_refused(class_root):
    folder = class_root / "c1"
    (folder / "hub").mkdir(parents=True)
    ClassSettings("c1", str(folder), ["ann"], 18000).save()
    (folder / "hub" / "jupyterhub.pid").write_text(str(os.getpid()))  # a live hub
    res = up("-s", "2", "--port", str(free_ports(4)))
    assert res.exit_code == 1 and "already up" in res.output and "class down" in res.output


def test_commands_on_a_class_that_does_not_exist_say_how_to_make_one(class_root):
    res = CliRunner().invoke(main, ["class", "status", "--name", "nope"])
    assert res.exit_code == 1 and "class up --name nope" in res.output


def test_class_plan_prints_the_largest_class_and_fails_when_it_does_not_fit(monkeypatch):
    ok = CliRunner().invoke(main, ["class", "plan", "--students", "2"])
    assert ok.exit_code == 0 and "largest class this host holds" in ok.output
    monkeypatch.setattr("swarmlab.classroom.plan.available_mib", lambda: 1000)
    assert CliRunner().invoke(main, ["class", "plan", "--students", "2"]).exit_code == 1


def test_a_hub_that_fails_to_start_leaves_nothing_half_made(class_root, monkeypatch):
    made, removed = [], []

    class FakeLab:
        def __init__(self, name):
            self.name = name

        @classmethod
        def up(cls, name, **kw):
            made.append(name)
            return cls(name)

        @classmethod
        def connect(cls, name):
            return cls(name)

        def down(self, quiet=False):
            removed.append(self.name)

    def hub_fails(settings):
        assert (settings.path / "passwords.txt").exists()  # it got that far
        raise hub.SpecError("JupyterHub did not answer")

    monkeypatch.setattr("swarmlab.lab.Lab", FakeLab)
    monkeypatch.setattr(hub, "ensure_hub", lambda echo: None)
    monkeypatch.setattr(hub, "ensure_proxy", lambda echo: "/bin/false")
    monkeypatch.setattr(hub, "_start_hub", hub_fails)
    res = up("-s", "2", "--eager", "--port", str(free_ports(4)))
    assert res.exit_code == 1 and "did not answer" in res.output
    assert made == ["c1-student01", "c1-student02"] and sorted(removed) == made
    nothing_made(class_root)


@pytest.mark.parametrize("purge", [False, True])
def test_down_keeps_the_progress_database_unless_purged(class_root, monkeypatch, purge):
    from swarmlab.errors import ClusterNotFound

    def no_cluster(name):
        raise ClusterNotFound(name)

    monkeypatch.setattr("swarmlab.lab.Lab.connect", no_cluster)
    folder = class_root / "c1"
    (folder / "hub").mkdir(parents=True)
    (folder / "students" / "ann" / "labs").mkdir(parents=True)
    ClassSettings("c1", str(folder), ["ann"], 18000).save()
    (folder / "progress.sqlite").write_text("")
    (folder / "passwords.txt").write_text("x")
    res = CliRunner().invoke(main, ["class", "down", "--name", "c1", *(["--purge"] if purge else [])])
    assert res.exit_code == 0, res.output
    if purge:
        assert not folder.exists()
    else:
        assert sorted(p.name for p in folder.iterdir()) == ["class.json", "progress.sqlite"]
        assert "--purge" in res.output
