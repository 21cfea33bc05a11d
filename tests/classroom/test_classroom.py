"""A real class, end to end: `swarmlab class up --students 2`, both students log in from
Chromium and run lab 03 with its solutions in their own JupyterLab, the instructor's board
and `class progress --csv` show both, neither touched the other's cluster, `class down`
leaves nothing."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from swarmlab import records
from tests.browser.conftest import CHROMIUM, shot
from tests.browser.jlab import errors_shown, run_all
from tests.classroom.conftest import CLASS, folder_processes, swarmlab_cli
from tests.integration.conftest import NOTHING, leftovers
from tests.notebooks.harness import LABS, load_solutions, with_solutions

pytestmark = [pytest.mark.classroom, pytest.mark.skipif(not CHROMIUM, reason="needs chromium")]
EXERCISES = ("03.create", "03.scale", "03.where")
SOLVED = "03-solved.ipynb"


def login(browser: Any, url: str, user: str, password: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{url}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    return page


def solve_in_browser(page: Any, url: str, student: str, folder: Path) -> None:
    """Open the student's own copy of lab 03 (with the reference solutions) in their
    JupyterLab and Run All, as the student would."""
    nb = nbformat.read(str(LABS / "03-services.ipynb"), as_version=4)
    nbformat.write(with_solutions(nb, load_solutions(LABS / "03-services.ipynb")),
                   str(folder / "students" / student / "labs" / SOLVED))
    page.locator(".jp-LabShell, #jp-main-dock-panel").first.wait_for(timeout=120_000)
    page.goto(f"{url}/user/{student}/lab/tree/labs/{SOLVED}?reset")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=90_000)
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)
    assert page.locator("text=official Jupyter news").count() == 0, "the news pop-up showed"
    run_all(page, timeout=300)
    shot(page, f"classroom-{student}-lab03")
    assert errors_shown(page) == []


def cluster_fingerprint(lab: str) -> tuple[str, str]:
    """The swarm's node ids and manager1's command history: another notebook's start_lab
    (which re-forms or clears) or its commands would change them."""
    from swarmlab.lab import Lab

    m = Lab.connect(lab).node("manager1")
    return (m.run("docker node ls -q").stdout.strip(),
            m.run("cat /root/.swarmlab_history").stdout)


def test_two_students_work_in_their_own_clusters_and_the_board_shows_both(
        classroom: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    t0 = time.monotonic()
    settings, folder, url = classroom["settings"], classroom["folder"], classroom["url"]
    s1, s2 = settings.students
    assert "Trust model" in classroom["up"] and classroom["student_pw"] in classroom["up"]
    assert oct((folder / "passwords.txt").stat().st_mode)[-3:] == "600"

    pages = {s: login(browser, url, s, classroom["student_pw"]) for s in (s1, s2)}
    solve_in_browser(pages[s1], url, s1, folder)
    before = cluster_fingerprint(settings.lab_of(s1))
    assert "docker service scale hello=5" in before[1]  # s1's notebook ran on s1's cluster
    solve_in_browser(pages[s2], url, s2, folder)
    assert cluster_fingerprint(settings.lab_of(s1)) == before  # s2's notebook did not touch it
    for s in (s1, s2):  # each kernel prepared its own cluster, once
        events = records.events(settings.lab_of(s), path=settings.progress_db)
        assert [e.kind for e in events].count("prepared") == 1, (s, events)

    # A student cannot open the board.
    refused = pages[s1].goto(f"{url}/services/board/")
    assert refused is not None and refused.status == 403
    assert not any("Class" in h for h in pages[s1].locator("h1").all_inner_texts())

    board = login(browser, url, "instructor", classroom["admin_pw"])
    board.wait_for_url(re.compile(r"/services/board/"), timeout=60_000)  # lands on the board
    for s in (s1, s2):
        for ex in EXERCISES:
            board.locator(f"tr[data-student='{s}'] td[data-ex='{ex}'].PASS").wait_for(
                timeout=30_000)
    board.locator("#commands pre", has_text="docker service scale hello=5").first.wait_for(
        timeout=30_000)
    shot(board, "classroom-board")
    with board.expect_download() as got:
        board.click("#export")
    exported = list(csv.DictReader(Path(got.value.path()).read_text().splitlines()))
    assert {(r["student"], r["exercise"]) for r in exported if r["status"] == "PASS"} >= {
        (s, ex) for s in (s1, s2) for ex in EXERCISES}

    out = tmp_path / "progress.csv"
    res = swarmlab_cli("class", "progress", "--name", CLASS, "--csv", str(out))
    assert res.returncode == 0, res.stderr
    rows = {(r["student"], r["exercise"]): r["status"] for r in csv.DictReader(out.open())}
    assert all(rows[(s, ex)] == "PASS" for s in (s1, s2) for ex in EXERCISES), rows
    status = swarmlab_cli("class", "status", "--name", CLASS)
    assert status.stdout.count("3/3 nodes running") == 2 and "running" in status.stdout

    # The instructor resets one student's cluster; the other's stays as it was.
    kept = cluster_fingerprint(settings.lab_of(s1))
    reset = swarmlab_cli("class", "reset", "--name", CLASS, s2)
    assert reset.returncode == 0 and "removed" in reset.stdout, reset.stderr
    assert leftovers(settings.lab_of(s2)) == NOTHING
    assert cluster_fingerprint(settings.lab_of(s1)) == kept

    for p in pages.values():
        p.context.close()
    board.context.close()
    down = swarmlab_cli("class", "down", "--name", CLASS)
    assert down.returncode == 0, down.stdout + down.stderr
    for s in (s1, s2):
        assert leftovers(settings.lab_of(s)) == NOTHING
    assert folder_processes(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["class.json", "progress.sqlite"]
    assert json.loads((folder / "class.json").read_text())["students"] == [s1, s2]
    print(f"class end to end: {time.monotonic() - t0:.0f}s")
