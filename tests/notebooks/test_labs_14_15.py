"""Labs 14 and 15 run top to bottom on one real cluster, one after the other, as a learner
would go through them: as shipped every check FAILs (with a hint), with the reference
solutions every check PASSes (15.encrypted SKIPs, with its reason, where the kernel has no
IPsec), and no cell raises. Lab 15 reshapes the cluster to three managers and a worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swarmlab.capabilities import ipsec_available
from tests.conftest import lab_name as make_lab_name
from tests.notebooks.conftest import notebook_cluster
from tests.notebooks.harness import (
    LABS,
    NotebookRun,
    both_ways,
    capability_problems,
)

pytestmark = pytest.mark.notebooks

LAB = make_lab_name("nb14-15")
NOTEBOOKS = ["14-resources", "15-disaster-recovery"]
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab_name() -> Iterator[str]:
    """One cluster for both notebooks: each one's start_lab reshapes it and clears what the
    one before left (services, labels, autolock, a forced cluster)."""
    yield from notebook_cluster(LAB)
    print("\n[notebooks 14-15] " + ", ".join(f"{k}: {v:.0f}s" for k, v in TIMES.items()))


def _ipsec_here(lab: str) -> bool:
    import swarmlab

    return ipsec_available(swarmlab.Lab.connect(lab).node("manager1"))[0]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(notebook: str, lab_name: str) -> None:
    def encrypted(run: NotebookRun) -> list[str]:
        if run.mode != "solutions" or not notebook.startswith("15"):
            return []
        return capability_problems(run.outcome("15.encrypted"), _ipsec_here(lab_name),
                                   "IPsec", "modprobe esp4")

    found = both_ways(LABS / f"{notebook}.ipynb", lab_name, times=TIMES, also=encrypted)
    assert not found, "\n".join(found)
