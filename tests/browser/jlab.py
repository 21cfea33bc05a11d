"""Small helpers to drive JupyterLab 4 from Playwright, as a learner would."""

from __future__ import annotations

import time
from typing import Any

NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the visible tab
KERNEL_WAIT_S = 240  # for a notebook's kernel to be Idle (the server allows it as long)


def open_notebook(page: Any, jupyter: dict[str, str], name: str) -> None:
    page.goto(f"{jupyter['base']}/lab/tree/{name}?reset&token={jupyter['token']}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=120_000)
    wait_kernel_idle(page, KERNEL_WAIT_S)


def wait_kernel_idle(page: Any, timeout: float) -> None:
    """Until the status bar says the notebook's kernel is Idle.

    A kernel's first start on a loaded 2-core machine (three test lanes and Chromium)
    took over 60 s once: the wait is generous, and it says what it saw when it gives up
    (the status bar, and any dialog such as a kernel error). JupyterLab 4 does not put its
    application object on ``window``, so the page itself is what there is to read.
    """
    bar = page.locator(".jp-StatusBar-TextItem")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bar.filter(has_text="Idle").count():
            return
        time.sleep(0.5)
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    raise AssertionError(f"the kernel was not idle within {timeout}s (status bar: "
                         f"{bar.all_inner_texts()}; dialogs: {dialogs or 'none'})")


def _busy_cells(page: Any) -> int:
    return int(page.evaluate(
        "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt')]"
        ".filter(p => p.textContent.includes('[*]')).length"
    ))


def run_all(page: Any, timeout: float = 600) -> None:
    """Run > Run All Cells, then wait until every code cell has run."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        prompts = page.evaluate(
            "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]"
            ".map(p => p.textContent.trim())"
        )
        if prompts and all(p[1:-2].strip().isdigit() for p in prompts):
            return
        # Run All stops at a cell that raised: nothing runs, some cells never ran.
        if any("*" in p for p in prompts):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 10:
            raise AssertionError(f"Run All stopped early: {errors_shown(page) or prompts}")
        time.sleep(1)
    raise AssertionError(f"not every cell ran within {timeout}s")


def wait_until_done(page: Any, timeout: float) -> None:
    """Until no cell shows [*]."""
    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    while time.monotonic() < deadline:
        if _busy_cells(page) == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"cells still running after {timeout}s")


def outputs_text(page: Any) -> str:
    return str(page.evaluate(
        "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]"
        ".map(o => o.innerText).join('\\n')"
    ))


def errors_shown(page: Any) -> list[str]:
    return list(page.evaluate(
        "() => [...document.querySelectorAll("
        "'.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
        ".map(o => o.innerText).filter(t => t.includes('Traceback') || t.startsWith('UsageError'))"
    ))
