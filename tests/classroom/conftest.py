"""A real class on this host: `swarmlab class up --students 2` in its own class folder,
always taken down after (its clusters, hub, proxy and servers)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmlab.classroom.config import ROOT_ENV, ClassSettings, read_passwords
from tests.browser.conftest import browser  # noqa: F401 - the shared Chromium fixture
from tests.conftest import free_ports, lab_name

CLASS = lab_name("hc")
CLI = [sys.executable, "-m", "swarmlab.cli"]


def swarmlab_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("classes")
    os.environ[ROOT_ENV] = str(root)
    port = free_ports(4)
    up = swarmlab_cli("class", "up", "--name", CLASS, "--students", "2", "--port", str(port))
    assert up.returncode == 0, up.stdout + up.stderr
    folder = root / CLASS
    student_pw, admin_pw = read_passwords(folder)
    try:
        yield {"settings": ClassSettings.load(folder), "folder": folder, "up": up.stdout,
               "student_pw": student_pw, "admin_pw": admin_pw,
               "url": f"http://127.0.0.1:{port}"}
    finally:
        if (folder / "class.json").exists():
            swarmlab_cli("class", "down", "--name", CLASS, "--purge")


def folder_processes(folder: Path) -> list[str]:
    from swarmlab.classroom import processes

    return list(processes.under(folder).values()) if folder.exists() else []
