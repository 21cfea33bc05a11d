"""JupyterLab on localhost, driven by Debian's Chromium through Playwright (no download)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.jlab import KERNEL_WAIT_S
from tests.conftest import free_ports, lab_name

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAB_NAME = lab_name("t-browser")


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """JupyterLab serving a copy of labs/ (runs must not write outputs into the repo)."""
    workdir = tmp_path_factory.mktemp("labs")
    shutil.copytree(ROOT / "labs", workdir / "labs")
    port, token = free_ports(), secrets.token_hex(16)
    settings = workdir / "settings"
    # Render every cell (JupyterLab 4 otherwise leaves off-screen cells out of the page)
    # and do not ask about news.
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}')
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
     ).write_text('{"fetchNews": "false"}')
    env = {**os.environ, "SWARMLAB_LAB": LAB_NAME, "JUPYTER_TOKEN": token,
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces")}
    log = open(workdir / "jupyter.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--ServerApp.root_dir={workdir / 'labs'}", "--ServerApp.open_browser=False",
         # A kernel's first answer on this 2-core machine, beside the other lanes and the
         # VMs, can take over the server's 60 s: the server then gives the kernel up and
         # the page never gets one (full run C of session 13, "last status: None").
         f"--MappingKernelManager.kernel_info_timeout={KERNEL_WAIT_S}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((workdir / "jupyter.log").read_text()[-2000:]) from None
            time.sleep(0.5)
    yield {"base": base, "token": token, "dir": str(workdir / "labs"),
           "log": str(workdir / "jupyter.log")}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    from swarmlab.errors import ClusterNotFound
    from swarmlab.lab import Lab

    with contextlib.suppress(ClusterNotFound):
        Lab.connect(LAB_NAME).down(quiet=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM:
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """A failed browser test shows what the server said (its log's last lines) and keeps
    a picture of the page: pytest's temporary folders are gone a few runs later."""
    outcome = yield
    report = outcome.get_result()
    if not (report.failed and report.when == "call"):
        return
    funcargs = getattr(item, "funcargs", {})
    jupyter, pg = funcargs.get("jupyter"), funcargs.get("page")
    if jupyter and jupyter.get("log"):
        text = Path(jupyter["log"]).read_text(errors="replace").splitlines()
        report.sections.append(("JupyterLab server log (last lines)", "\n".join(text[-40:])))
    if pg is not None:
        with contextlib.suppress(Exception):  # the page may be gone with the browser
            report.sections.append(("page picture", str(shot(pg, f"failed-{item.name}"))))
