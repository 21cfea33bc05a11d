import os

from swarmlab.doctor import run_doctor
from tests.integration.conftest import NOTHING, leftovers, module_lab

lab = module_lab("1+2")


def test_doctor_runs_for_real_here_and_leaves_no_test_node(host_engine):
    lines: list[str] = []
    ok = run_doctor(echo=lines.append)
    text = "\n".join(lines)
    assert ok, text
    for name in ("host", "docker engine", "rootful engine", "cgroup layout", "node privileges",
                 "cgroups", "storage driver", "memory and disk", "IPVS", "graphviz", "images"):
        assert name in text, name
    assert "[PASS] cgroups" in text and "[PASS] host: Linux" in text
    assert leftovers(f"doctor-{os.getpid()}") == NOTHING


def test_doctor_for_a_lab_that_is_up_runs_its_container_in_the_lab_s_node(lab):
    lines: list[str] = []
    ok = run_doctor(lab=lab.name, echo=lines.append)
    text = "\n".join(lines)
    assert ok, text
    assert "[PASS] cgroups" in text, text
    assert f": node manager1 of lab {lab.name} ran a container" in text, text
    assert leftovers(f"doctor-{os.getpid()}") == NOTHING  # no test node was made
