"""Classroom: the board's data from a recorded progress database, its CSV and text."""

from __future__ import annotations

import csv
import io

from swarmlab import records
from swarmlab.classroom import board
from swarmlab.classroom.board import Command
from swarmlab.classroom.config import ClassSettings
from swarmlab.progress_table import exercises


def recorded_class(tmp_path):
    s = ClassSettings("c1", str(tmp_path / "c1"), ["ann", "bob", "cy"], 18000)
    s.path.mkdir()
    db = s.progress_db
    for at, lab, ex, status in [
        (100, "c1-ann", "03.create", "PASS"), (110, "c1-ann", "03.scale", "FAIL"),
        (120, "c1-ann", "03.scale", "PASS"),
        (100, "c1-bob", "03.create", "FAIL"), (200, "c1-bob", "03.create", "FAIL"),
        (500, "c1-bob", "03.create", "FAIL"),
        (100, "other-lab", "03.create", "PASS"),  # not this class
    ]:
        records.record_verdict(lab, "03", ex, status, f"{ex} {status}", at=at, path=db)
    return s


def test_students_by_exercises_with_the_newest_verdict_and_tries(tmp_path):
    rows = board.board_rows(recorded_class(tmp_path), now=600)
    ann, bob, cy = rows
    assert (ann.cells["03.scale"].status, ann.cells["03.scale"].tries) == ("PASS", 2)
    assert bob.cells["03.create"].status == "FAIL" and not cy.cells
    assert board.columns(rows) == [e for e, _ in exercises() if e.startswith("03.")]


def test_failing_the_same_exercise_for_a_while_or_again_and_again_is_stuck(tmp_path):
    s = recorded_class(tmp_path)
    bob = board.board_rows(s, now=600)[1]
    cell = bob.cells["03.create"]
    assert cell.failing_since == 100 and cell.fails_in_a_row == 3 and cell.stuck
    assert bob.stuck_on() == ["03.create"]
    one_fail = board.cells_from([records.Verdict(0, "l", "03", "03.x", "FAIL", "", "")], now=10)
    assert not one_fail["03.x"].stuck  # one recent failure is learning, not stuck
    long_ago = board.cells_from([records.Verdict(0, "l", "03", "03.x", "FAIL", "", "")],
                                now=board.STUCK_AFTER_S + 1)
    assert long_ago["03.x"].stuck
    ann = board.board_rows(s, now=600)[0]
    assert ann.cells["03.scale"].failing_since is None and not ann.stuck_on()


def test_board_data_carries_the_last_commands_of_each_students_nodes(tmp_path):
    s = recorded_class(tmp_path)
    cmds = [Command("manager1", float(i), 0, f"docker service ls # {i}") for i in range(8)]
    data = board.board_data(s, now=600, histories=lambda lab: cmds if lab == "c1-ann" else [])
    ann = data["students"][0]
    assert len(ann["commands"]) == board.LAST_COMMANDS and ann["commands"][-1]["at"] == 7.0
    assert data["students"][1]["stuck"] == ["03.create"]


def test_csv_has_every_student_and_every_exercise(tmp_path):
    rows = board.board_rows(recorded_class(tmp_path), now=600)
    lines = list(csv.DictReader(io.StringIO(board.to_csv(rows))))
    assert len(lines) == 3 * len(exercises())
    got = {(r["student"], r["exercise"]): r for r in lines}
    assert got[("bob", "03.create")]["stuck"] == "yes" and got[("bob", "03.create")]["tries"] == "3"
    assert got[("cy", "03.create")]["status"] == "not tried"


def test_text_board_shows_the_matrix_and_who_is_stuck(tmp_path):
    text = board.to_text(board.board_rows(recorded_class(tmp_path), now=600))
    assert "03.create" in text.splitlines()[0]
    assert "stuck: bob has failed 03.create 3 time(s)" in text
