"""Labs 08-11 run top to bottom on one real cluster, one after the other, as a learner
would go through them: as shipped every check FAILs (with a hint), with the reference
solutions every check PASSes (08.mesh SKIPs, with its reason, where the kernel has no
IPVS), and no cell raises.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swarmlab.capabilities import ipvs_available
from tests.conftest import lab_name as make_lab_name
from tests.notebooks.conftest import notebook_cluster
from tests.notebooks.harness import (
    LABS,
    NotebookRun,
    both_ways,
    capability_problems,
)

pytestmark = pytest.mark.notebooks

LAB = make_lab_name("nb08-11")
NOTEBOOKS = ["08-networks", "09-volumes", "10-nodes", "11-stack"]
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab_name() -> Iterator[str]:
    """One cluster for the four notebooks: each one's start_lab clears what the one
    before left (services, stacks, networks, labels, availability, volumes)."""
    yield from notebook_cluster(LAB)
    print("\n[notebooks 08-11] " + ", ".join(f"{k}: {v:.0f}s" for k, v in TIMES.items()))


def _ipvs_here(lab: str) -> bool:
    import swarmlab

    return ipvs_available(swarmlab.Lab.connect(lab).node("manager1"))[0]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(notebook: str, lab_name: str) -> None:
    def mesh(run: NotebookRun) -> list[str]:
        if run.mode != "solutions" or not notebook.startswith("08"):
            return []
        return capability_problems(run.outcome("08.mesh"), _ipvs_here(lab_name), "IPVS",
                                   "modprobe ip_vs", reason_in_hint=True)

    found = both_ways(LABS / f"{notebook}.ipynb", lab_name, times=TIMES, also=mesh)
    assert not found, "\n".join(found)
