"""Small helpers to drive JupyterLab 4 from Playwright, as a learner would."""

from __future__ import annotations

import time
from typing import Any


def open_notebook(page: Any, jupyter: dict[str, str], name: str) -> None:
    page.goto(f"{jupyter['base']}/lab/tree/{name}?token={jupyter['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_kernel_idle(page, 60)


def wait_kernel_idle(page: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = page.evaluate(
            "() => { const el = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            " return el ? el.getAttribute('data-status') : null; }"
        )
        if status in ("idle", None) and _busy_cells(page) == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"kernel still busy after {timeout}s")


def _busy_cells(page: Any) -> int:
    return int(page.evaluate(
        "() => [...document.querySelectorAll('.jp-InputArea-prompt')]"
        ".filter(p => p.textContent.includes('[*]')).length"
    ))


def command(page: Any, command_id: str) -> None:
    """Run a JupyterLab command the way its menus do."""
    page.evaluate(
        "(id) => window.jupyterapp ? window.jupyterapp.commands.execute(id) : null", command_id
    )


def run_all(page: Any, timeout: float = 600) -> None:
    """Run > Run All Cells, then wait until no cell is running."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='notebook:run-all-cells']").click()
    time.sleep(2)
    wait_until_done(page, timeout)


def wait_until_done(page: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(1)
    while time.monotonic() < deadline:
        if _busy_cells(page) == 0:
            return
        time.sleep(1)
    raise AssertionError(f"cells still running after {timeout}s")


def outputs_text(page: Any) -> str:
    return str(page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
        ".map(o => o.innerText).join('\\n')"
    ))


def errors_shown(page: Any) -> list[str]:
    return list(page.evaluate(
        "() => [...document.querySelectorAll("
        "'.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
        ".map(o => o.innerText).filter(t => t.includes('Traceback') || t.includes('Error'))"
    ))
