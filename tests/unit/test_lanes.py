"""How ./test.sh splits the suite into lanes, and how it sums up a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import TIER_ORDER, tier_of, unit_of_work

ROOT = Path(__file__).resolve().parents[2]


def test_tiers_are_the_folders_of_tests() -> None:
    assert tier_of("tests/vm/test_vm_cluster.py::test_x") == "vm"
    assert tier_of("tests/notebooks/test_labs_04_07.py::test_y[04-global]") == "notebooks"
    assert tier_of("conftest.py::x") == "other"


def test_vm_tiers_share_one_lane_and_modules_are_units() -> None:
    vm = {unit_of_work(n) for n in ("tests/vm/test_vm_cluster.py::a",
                                    "tests/vagrant/test_vagrant_cluster.py::b",
                                    "tests/hostvm/test_learner_host.py::c")}
    assert vm == {"vm-lane"}
    # In the VM lane the learner's-host guest runs last, after the vm and vagrant VMs.
    assert tier_of("tests/hostvm/test_learner_host.py::a") == "hostvm"
    assert TIER_ORDER.index("vagrant") < TIER_ORDER.index("hostvm") < TIER_ORDER.index(
        "notebooks")
    assert unit_of_work("tests/unit/test_wait.py::t") == unit_of_work("tests/unit/test_x.py::u")
    mod = "tests/integration/test_magics.py"
    assert unit_of_work(f"{mod}::a") == unit_of_work(f"{mod}::b") == mod
    # Each of these notebooks has a cluster of its own: one unit each.
    first = "tests/notebooks/test_first_labs.py::test_checks[00-welcome]"
    assert unit_of_work(first) == first


def test_the_summary_adds_up_phases_and_ends_with_one_count_line(tmp_path: Path) -> None:
    times = tmp_path / "t.jsonl"
    rows = [{"tier": "unit", "wall": 5.0, "busy": 8.0, "passed": 263},
            {"tier": "integration", "wall": 600.0, "busy": 900.0, "passed": 90, "failed": 1},
            {"tier": "integration", "wall": 70.0, "busy": 70.0, "passed": 2, "skipped": 1}]
    times.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "test_summary.py"),
                          str(times), "1234"], capture_output=True, text=True, check=True).stdout
    assert "integration    11:10   16:10  92 passed, 1 failed, 1 skipped" in out
    assert "whole run      20:34" in out
    assert out.splitlines()[-1] == "355 passed, 1 failed, 1 skipped"


def test_the_leftover_report_counts_only_the_run_s_own_vms() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import leftovers
    finally:
        sys.path.pop(0)
    mine = leftovers.ours("rb21")
    ours = "qemu-system-x86_64 -name swarmlab-hvm-rb210-manager1 -kernel /root/.cache/swarmlab/vm/images/t"
    theirs = "qemu-system-x86_64 -name swarmlab-hbhvm-eia-worker1 -kernel /root/.cache/swarmlab/vm/images/t"
    switch = "vde_switch -sock /root/.cache/swarmlab/vm/labs/hvm-rb213/switch -daemon"
    assert leftovers.run_owns(ours, mine) and leftovers.run_owns(switch, mine)
    assert not leftovers.run_owns(theirs, mine)
    assert leftovers.run_owns("/usr/sbin/libvirtd --daemon --config /tmp/x/libvirtd.conf", mine)
    assert mine.search("t-core-rb21") and mine.search("s1x2-rb212") and not mine.search("s1x2-rb2")
