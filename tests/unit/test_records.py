"""The progress database: verdicts and events, per lab and per session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from swarmlab import records
from swarmlab.checks import run_checks
from tests.fixtures.recorded import fake_lab, snapshot


def test_the_database_is_where_the_environment_says_and_in_wal_mode(_own_progress_db: Path):
    records.record_event("lab-a", "prepared")
    assert records.db_path() == _own_progress_db and _own_progress_db.exists()
    mode = sqlite3.connect(_own_progress_db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_latest_gives_the_newest_verdict_per_exercise_and_history_all_of_them():
    records.record_verdict("lab-a", "01", "01.init", "FAIL", "no swarm", "init it", at=1)
    records.record_verdict("lab-a", "01", "01.init", "PASS", "ok", at=2)
    records.record_verdict("lab-a", "01", "01.join", "FAIL", "none joined", at=3)
    records.record_verdict("lab-b", "01", "01.init", "FAIL", "other lab", at=4)
    latest = records.latest("lab-a")
    assert {k: v.status for k, v in latest.items()} == {("lab-a", "01.init"): "PASS",
                                                       ("lab-a", "01.join"): "FAIL"}
    assert len(records.latest()) == 3
    assert [v.status for v in records.history("lab-a", "01.init")] == ["FAIL", "PASS"]
    assert records.history("lab-a", "01.init")[0].hint == "init it"


def test_a_session_starts_when_the_lab_is_prepared():
    records.record_verdict("lab-a", "02", "02.quorum-lost", "PASS", "lost", at=10)
    records.record_event("lab-a", "prepared", at=20)
    records.record_event("lab-a", "stop", "manager2", at=30)
    since = records.session_start("lab-a")
    assert since == 20 and records.session_start("lab-z") == 0.0
    assert records.passed_since("lab-a", "02.quorum-lost", since) is None
    assert [(e.kind, e.node) for e in records.events("lab-a", since)] == [
        ("prepared", ""), ("stop", "manager2")]


def test_run_checks_records_every_verdict():
    run_checks(fake_lab(), ["01.init", "01.join"], snapshot=snapshot("initialised-1m"))
    got = {k[1]: v.status for k, v in records.latest("t-fake").items()}
    assert got == {"01.init": "PASS", "01.join": "FAIL"}
    assert records.history("t-fake", "01.join")[0].hint  # the hint is kept too


def test_a_database_that_cannot_be_written_does_not_change_a_verdict(monkeypatch, tmp_path):
    monkeypatch.setenv(records.DB_ENV, str(tmp_path))  # a folder, not a file
    res = run_checks(fake_lab(), ["01.init"], snapshot=snapshot("initialised-1m"))
    assert res.passed
