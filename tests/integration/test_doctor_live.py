import os

from swarmlab.doctor import run_doctor
from tests.integration.conftest import NOTHING, leftovers


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
