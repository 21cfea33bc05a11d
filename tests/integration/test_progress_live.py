"""A learner's progress on a real cluster: a check run from Python (as a notebook does) and
one from the `swarmlab check` command both show in `swarmlab progress` and `lab.progress()`."""

import csv
import subprocess
import sys

import swarmlab
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers, typed

PROG = lab_name("t-prog")
CLI = [sys.executable, "-m", "swarmlab.cli"]


def cli(*args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=180)


def test_checks_from_a_notebook_and_the_terminal_show_in_progress(host_engine, tmp_path):
    lab = swarmlab.start_lab("03", name=PROG, quiet=True)
    try:
        assert not lab.check("03.create")  # from Python, like a notebook cell: FAIL
        typed(lab, "manager1", "docker service create -d --name hello --replicas 3 "
              "swarmlab/tools sh -c 'while true; do echo hello world; sleep 1; done'")
        by_cli = cli("check", "--name", PROG, "03.create")  # from the terminal
        assert by_cli.returncode == 0, by_cli.stdout + by_cli.stderr

        out = tmp_path / "progress.csv"
        shown = cli("progress", "--name", PROG, "--csv", str(out))
        assert shown.returncode == 0, shown.stderr
        line = next(ln for ln in shown.stdout.splitlines() if ln.startswith("03.create "))
        assert "PASS" in line and line.split()[-1] != "-" and " 2 " in line  # two tries
        assert "not tried" in shown.stdout  # every other exercise is listed too
        rows = {r["exercise"]: r for r in csv.DictReader(out.open())}
        assert rows["03.create"]["status"] == "PASS" and rows["03.create"]["tries"] == "2"
        assert rows["03.scale"]["status"] == "not tried"

        table = lab.progress()
        assert {r.exercise: r.status for r in table.rows}["03.create"] == "PASS"
        assert "03.create" in table._repr_html_()
    finally:
        swarmlab.Lab.connect(PROG).down(quiet=True)
    assert leftovers(PROG) == NOTHING
