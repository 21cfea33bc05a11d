"""Classroom: the class folder's settings, passwords, ports, the hub's config, cards."""

from __future__ import annotations

import json
import socket
import stat
from types import SimpleNamespace

import pytest

from swarmlab.classroom import cards, config
from swarmlab.classroom.config import ClassSettings
from swarmlab.errors import SpecError
from swarmlab.jupyter_defaults import write_quiet_settings


def settings(tmp_path, **kw):
    base = {"name": "c1", "folder": str(tmp_path / "c1"), "students": ["ann", "bob"],
            "port": 18000}
    return ClassSettings(**{**base, **kw})


def test_each_student_gets_their_own_cluster_home_and_the_class_database(tmp_path):
    s = settings(tmp_path)
    env = config.student_environment(s, "ann")
    assert env["SWARMLAB_LAB"] == "c1-ann"
    assert env["SWARMLAB_PROGRESS_DB"] == str(tmp_path / "c1" / "progress.sqlite")
    assert env["JUPYTERLAB_SETTINGS_DIR"].startswith(str(tmp_path / "c1" / "students" / "ann"))


def test_the_hub_config_binds_localhost_with_shared_passwords_and_an_admin_only_board(tmp_path):
    s = settings(tmp_path)
    hub = config.hub_settings(s, "x" * 10, "y" * 40)
    assert hub["JupyterHub"]["bind_url"] == "http://127.0.0.1:18000"
    assert hub["JupyterHub"]["hub_bind_url"] == "http://127.0.0.1:18001"
    assert hub["ConfigurableHTTPProxy"]["api_url"] == "http://127.0.0.1:18002"
    assert hub["JupyterHub"]["authenticator_class"] == "shared-password"
    assert hub["JupyterHub"]["spawner_class"] == "simple"
    assert hub["Authenticator"]["admin_users"] == ["instructor"]
    assert hub["Authenticator"]["allowed_users"] == ["ann", "bob"]
    board = hub["JupyterHub"]["services"][0]
    assert board["name"] == "board" and board["url"] == "http://127.0.0.1:18003"
    role = hub["JupyterHub"]["load_roles"][0]
    assert role["users"] == ["instructor"] and "access:services!service=board" in role["scopes"]
    for path in (hub["JupyterHub"]["db_url"], hub["JupyterHub"]["cookie_secret_file"]):
        assert str(tmp_path / "c1") in path  # all state under the class folder
    assert "0.0.0.0" in config.hub_settings(settings(tmp_path, ip="0.0.0.0"), "a", "b")[
        "JupyterHub"]["bind_url"]


def test_apply_fills_jupyterhubs_config_from_the_class_folder(tmp_path):
    s = settings(tmp_path)
    s.path.mkdir()
    s.save()
    config.write_passwords(s.path, "classpass1", "z" * 32)
    c = SimpleNamespace(**{k: SimpleNamespace() for k in (
        "JupyterHub", "ConfigurableHTTPProxy", "Authenticator", "SharedPasswordAuthenticator",
        "Spawner", "SimpleLocalProcessSpawner")})
    config.apply(c, str(s.path))
    assert c.SharedPasswordAuthenticator.user_password == "classpass1"
    assert c.SharedPasswordAuthenticator.admin_password == "z" * 32
    assert c.SimpleLocalProcessSpawner.home_dir_template.endswith("students/{username}")
    assert callable(c.Spawner.pre_spawn_hook)
    assert "apply(c, " in config.config_file_text(s)


def test_passwords_are_made_long_enough_and_kept_only_for_the_instructor(tmp_path):
    pw = config.new_password(12)
    assert len(pw) == 12 and pw.isalnum()
    path = config.write_passwords(tmp_path, "classpass1", "z" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.read_passwords(tmp_path) == ("classpass1", "z" * 32)


@pytest.mark.parametrize(("student", "admin", "said"), [
    ("short", "z" * 32, "at least 8"),
    ("classpass1", "tooshort", "at least 32"),
    ("z" * 32, "z" * 32, "must differ"),
])
def test_a_password_too_short_is_refused_naming_the_fix(student, admin, said):
    with pytest.raises(SpecError, match=said):
        config.check_passwords(student, admin)


def test_a_taken_port_is_named_with_its_role_and_another_to_try(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        s = settings(tmp_path, port=port - 2)  # the proxy API's port is taken
        with pytest.raises(SpecError, match=rf"{port} \(proxy API\).*--port"):
            config.check_ports(s)
    with pytest.raises(SpecError, match="not a port"):
        config.check_ports(settings(tmp_path, port=80))


def test_settings_round_trip_through_class_json(tmp_path):
    s = settings(tmp_path, eager=True)
    s.path.mkdir()
    s.save()
    assert ClassSettings.load(s.path) == s
    assert "password" not in json.dumps(json.loads((s.path / "class.json").read_text()))


def test_login_cards_name_each_student_the_address_and_the_password(tmp_path):
    page = cards.cards_html(settings(tmp_path), "classpass1")
    assert page.count("class='card'") == 2
    assert "ann" in page and "bob" in page and "classpass1" in page
    assert "http://127.0.0.1:18000/" in page


def test_jupyterlab_settings_turn_news_off_and_keep_other_settings(tmp_path):
    path = tmp_path / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True)
    path.write_text('{"doNotDisturbMode": true}')
    write_quiet_settings(tmp_path)
    got = json.loads(path.read_text())
    assert got["fetchNews"] == "false" and got["doNotDisturbMode"] is True


def test_a_news_choice_the_user_made_is_kept(tmp_path):
    path = tmp_path / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True)
    path.write_text('{"fetchNews": "true"}')
    write_quiet_settings(tmp_path)
    assert '"fetchNews": "true"' in path.read_text()
