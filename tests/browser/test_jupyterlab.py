"""What a learner sees: JupyterLab in headless Chromium running labs 00 and 03."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import shot
from tests.browser.jlab import (
    NB,
    errors_shown,
    open_notebook,
    outputs_text,
    run_all,
    wait_until_done,
)

pytestmark = pytest.mark.browser


def _svg_text(page) -> str:
    """The text of every SVG picture on the page: inline, or as JupyterLab's <img> data URI."""
    return str(page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output svg')]"
        ".map(s => s.textContent).concat([...document.querySelectorAll("
        "'.jp-RenderedSVG img')].map(i => decodeURIComponent(i.src))).join(' ')"))


def _cell_with(page, text: str):
    """A stable handle (by position) on the first code cell whose source contains ``text``."""
    cells = page.locator(f"{NB} .jp-CodeCell")
    for i in range(cells.count()):
        if text in cells.nth(i).locator(".jp-InputArea-editor").inner_text():
            return cells.nth(i)
    raise AssertionError(f"no cell containing {text!r}")


def _open_and_run_all(page, jupyter, notebook: str, picture: str) -> None:
    """Open ``notebook``, Run > Run All Cells, keep a picture, and see no error shown."""
    open_notebook(page, jupyter, notebook)
    run_all(page, timeout=420)
    shot(page, f"{picture}-after-run-all")
    assert errors_shown(page) == []


def _replace_and_run(page, cell, source: str) -> None:
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)
    page.keyboard.press("Shift+Enter")
    wait_until_done(page, 120)


def _check_output(cell_locator) -> str:
    return cell_locator.locator(".jp-OutputArea-output").all_inner_texts()


def _status_of_check_after(page, exercise_cell, timeout: float = 60) -> str:
    """The PASS/FAIL/SKIP shown by the check cell that follows an exercise cell."""
    check_cell = exercise_cell.locator(
        "xpath=following-sibling::div[contains(@class,'jp-CodeCell')][1]")
    deadline = time.monotonic() + timeout
    while True:
        text = " ".join(_check_output(check_cell))
        m = re.search(r"\b(PASS|FAIL|SKIP)\b", text)
        if m or time.monotonic() > deadline:
            return m.group(1) if m else f"no status in {text[:200]!r}"
        time.sleep(0.5)


def _run_check_after(page, exercise_cell) -> str:
    """Run the check cell under the exercise (as a learner clicks it and presses Shift+Enter)."""
    check_cell = exercise_cell.locator(
        "xpath=following-sibling::div[contains(@class,'jp-CodeCell')][1]")
    check_cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    wait_until_done(page, 120)
    return _status_of_check_after(page, exercise_cell)


def test_lab00_runs_in_jupyterlab_with_picture_magic_checks_and_live_panel(jupyter, page):
    _open_and_run_all(page, jupyter, "00-welcome.ipynb", "lab00")
    assert "Error displaying widget" not in page.content()
    # The topology picture: an inline SVG naming every node.
    svg_text = _svg_text(page)
    for node in ("manager1", "worker1", "worker2"):
        assert node in svg_text, f"{node} missing from the picture"
    # %%node output streamed into the page.
    assert "Swarm: active" in outputs_text(page)
    # The exercise as shipped FAILs; with the solution typed in it PASSes.
    exercise = _cell_with(page, "Type the command under the first line")
    assert _status_of_check_after(page, exercise) == "FAIL"
    _replace_and_run(page, exercise, "%%node manager1\ndocker version")
    assert _run_check_after(page, exercise) == "PASS"
    exercise.scroll_into_view_if_needed()
    shot(page, "lab00-check-pass")
    # The live panel: run its cell again and watch the status line change.
    panel_cell = _cell_with(page, "panel = lab.watch()")
    panel_cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    status = panel_cell.locator(".widget-html, .jupyter-widgets").first
    status.wait_for(timeout=30_000)
    first = panel_cell.locator(".jp-OutputArea-output").inner_text()
    time.sleep(8)
    second = panel_cell.locator(".jp-OutputArea-output").inner_text()
    panel_cell.scroll_into_view_if_needed()
    shot(page, "lab00-live-panel")
    assert "updated" in second and first != second, (first, second)
    assert panel_cell.locator("svg, img[src^='data:image/svg']").count() >= 1
    # The kernel stays responsive while the panel polls.
    probe = _cell_with(page, "# lab.down()")
    t = time.monotonic()
    _replace_and_run(page, probe, "1 + 1")
    assert time.monotonic() - t < 15


def test_lab03_runs_and_its_check_goes_from_fail_to_pass(jupyter, page):
    _open_and_run_all(page, jupyter, "03-services.ipynb", "lab03")
    exercise = _cell_with(page, "Create the service hello")
    assert _status_of_check_after(page, exercise) == "FAIL"
    _replace_and_run(page, exercise, "%%node manager1\ndocker service create --name hello "
                     "--replicas 3 swarmlab/tools sh -c 'while true; do echo hello world; "
                     "sleep 1; done'")
    assert _run_check_after(page, exercise) == "PASS"
    exercise.scroll_into_view_if_needed()
    shot(page, "lab03-check-pass")
    picture = _cell_with(page, "lab.show()")
    picture.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    wait_until_done(page, 60)
    picture.scroll_into_view_if_needed()
    shot(page, "lab03-picture")
    assert "hello" in _svg_text(page)



KOREAN_BADGE = {"통과": "PASS", "실패": "FAIL", "건너뜀": "SKIP"}


def _korean_badge(cell, timeout: float = 60) -> tuple[str, str]:
    """The Korean badge word a check cell shows first (통과/실패/건너뜀), and its text."""
    deadline = time.monotonic() + timeout
    while True:
        text = " ".join(_check_output(cell)).strip()
        m = re.match(r"(통과|실패|건너뜀)\s", text)
        if m or time.monotonic() > deadline:
            return (m.group(1) if m else f"no Korean badge in {text[:200]!r}"), text
        time.sleep(0.5)


def test_korean_lab03_shows_korean_badges_and_hints(jupyter, page):
    _open_and_run_all(page, jupyter, "ko/03-services.ipynb", "ko-lab03")
    check = _cell_with(page, 'lab.check("03.create")')
    word, text = _korean_badge(check)
    assert word == "실패" and "힌트:" in text, text
    exercise = check.locator("xpath=preceding-sibling::div[contains(@class,'jp-CodeCell')][1]")
    _replace_and_run(page, exercise, "%%node manager1\ndocker service create --name hello "
                     "--replicas 3 swarmlab/tools sh -c 'while true; do echo hello world; "
                     "sleep 1; done'")
    check.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    wait_until_done(page, 120)
    word, text = _korean_badge(check)
    check.scroll_into_view_if_needed()
    shot(page, "ko-lab03-check-pass")
    assert word == "통과" and "hello" in text, text
