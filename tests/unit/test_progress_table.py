"""A learner's progress table: every exercise of every lab, from the recorded verdicts."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from swarmlab import records
from swarmlab.cli import main
from swarmlab.progress_table import NOT_TRIED, exercises, progress


def test_every_exercise_of_every_lab_is_a_row_with_its_newest_verdict():
    records.record_verdict("lab-a", "03", "03.scale", "FAIL", "2 replicas", "scale to 5", at=10)
    records.record_verdict("lab-a", "03", "03.scale", "PASS", "5 replicas", at=20)
    records.record_verdict("lab-b", "03", "03.create", "PASS", "other learner", at=30)
    table = progress("lab-a")
    assert [r.exercise for r in table.rows] == [e for e, _ in exercises()]
    by_id = {r.exercise: r for r in table.rows}
    assert (by_id["03.scale"].status, by_id["03.scale"].at, by_id["03.scale"].tries) == (
        "PASS", 20, 2)
    assert by_id["03.create"].status == NOT_TRIED and by_id["03.create"].when == ""
    assert "1/" in table.summary()


def test_the_table_renders_as_text_html_and_csv():
    records.record_verdict("lab-a", "01", "01.init", "FAIL", "no <swarm>", "init it", at=5)
    table = progress("lab-a")
    text = str(table)
    assert "01.init" in text and "FAIL" in text and "not tried" in text
    page = table._repr_html_()
    assert "no &lt;swarm&gt;" in page and "<table" in page
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert rows[0]["exercise"] == exercises()[0][0]
    assert {r["exercise"]: r["status"] for r in rows}["01.init"] == "FAIL"


def test_swarmlab_progress_prints_the_table_and_writes_csv(tmp_path):
    records.record_verdict("lab-a", "03", "03.create", "PASS", "hello runs", at=5)
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(main, ["progress", "--name", "lab-a", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    assert "03.create" in res.output and "PASS" in res.output
    assert "03.create,Create a service" in out.read_text() or "03.create" in out.read_text()


def test_records_verdicts_reads_some_labs_or_all_oldest_first():
    records.record_verdict("a", "01", "01.init", "FAIL", "", at=2)
    records.record_verdict("b", "01", "01.init", "PASS", "", at=1)
    assert [v.lab for v in records.verdicts()] == ["b", "a"]
    assert [v.lab for v in records.verdicts(["a"])] == ["a"]
    assert records.verdicts([]) == []


def test_swarmlab_progress_defaults_to_the_lab_of_swarmlab_lab(monkeypatch):
    records.record_verdict("c1-ann", "03", "03.scale", "FAIL", "2 of 5", at=5)
    monkeypatch.setenv("SWARMLAB_LAB", "c1-ann")
    res = CliRunner().invoke(main, ["progress"])
    assert res.exit_code == 0 and "lab 'c1-ann'" in res.output and "FAIL" in res.output
