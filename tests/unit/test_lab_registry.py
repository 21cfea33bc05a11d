"""Lab 12's set-up script, run by sh on this machine with its files moved to a temp dir."""

from __future__ import annotations

import subprocess
from pathlib import Path

from swarmlab.lab_registry import REGISTRY, trust_script


def _run(tmp: Path, daemon_json: str | None) -> subprocess.CompletedProcess[str]:
    (tmp / "hosts").write_text("127.0.0.1 localhost\n10.0.0.9 registry.lab\n")
    if daemon_json is not None:
        (tmp / "daemon.json").write_text(daemon_json)
    script = (trust_script("172.29.1.11").replace("/etc/docker/daemon.json", f"{tmp}/daemon.json")
              .replace("/etc/hosts", f"{tmp}/hosts").replace("mkdir -p /etc/docker", "true")
              .replace("kill -HUP $(pidof dockerd)", "exit 0"))
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=10)


def test_the_set_up_points_registry_lab_at_the_node_and_trusts_it(tmp_path: Path) -> None:
    res = _run(tmp_path, None)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "hosts").read_text() == "127.0.0.1 localhost\n172.29.1.11 registry.lab\n"
    assert f'"insecure-registries": ["{REGISTRY}"]' in (tmp_path / "daemon.json").read_text()


def test_the_set_up_never_overwrites_a_daemon_json_of_the_host_s_own(tmp_path: Path) -> None:
    res = _run(tmp_path, '{"log-driver": "journald"}')
    assert res.returncode == 2 and "add \"insecure-registries\"" in res.stderr
    assert (tmp_path / "daemon.json").read_text() == '{"log-driver": "journald"}'
