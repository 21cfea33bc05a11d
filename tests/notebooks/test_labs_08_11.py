"""Labs 08-11 run top to bottom on one real cluster, one after the other, as a learner
would go through them: as shipped every check FAILs (with a hint), with the reference
solutions every check PASSes (08.mesh SKIPs, with its reason, where the kernel has no
IPVS), and no cell raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import nbformat
import pytest

from swarmlab.capabilities import ipvs_available
from tests.conftest import PREFIX
from tests.conftest import lab_name as make_lab_name
from tests.integration.conftest import NOTHING, leftovers
from tests.notebooks.harness import LABS, execute_notebook, exercise_cells, problems

pytestmark = pytest.mark.notebooks

LAB = make_lab_name("nb08-11")
NOTEBOOKS = ["08-networks", "09-volumes", "10-nodes", "11-stack"]
TIMES: dict[str, float] = {}


def _delete(name: str) -> None:
    from swarmlab.providers import get_provider

    assert name.startswith(PREFIX + "nb"), name
    get_provider("dind").delete(name)


@pytest.fixture(scope="module")
def lab_name() -> Iterator[str]:
    """One cluster for the four notebooks: each one's start_lab clears what the one
    before left (services, stacks, networks, labels, availability, volumes)."""
    _delete(LAB)
    yield LAB
    _delete(LAB)
    assert leftovers(LAB) == NOTHING
    print("\n[notebooks 08-11] " + ", ".join(f"{k}: {v:.0f}s" for k, v in TIMES.items()))


def _ipvs_here(lab: str) -> bool:
    import swarmlab

    return ipvs_available(swarmlab.Lab.connect(lab).node("manager1"))[0]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(notebook: str, lab_name: str) -> None:
    path = LABS / f"{notebook}.ipynb"
    expected = sorted(exercise_cells(nbformat.read(str(path), as_version=4)))
    found = []
    for mode in ("shipped", "solutions"):
        t = time.monotonic()
        run = execute_notebook(path, lab=lab_name, mode=mode)
        TIMES[f"{notebook} {mode}"] = time.monotonic() - t
        print(f"\n[notebook] {run.describe()}")
        for c in run.checks:
            print(f"  {c}")
        found += [f"{mode}: {p}" for p in problems(run, expected)]
        if mode == "solutions" and notebook.startswith("08"):
            mesh = run.outcome("08.mesh")
            want = "PASS" if _ipvs_here(lab_name) else "SKIP"
            if mesh.status != want:
                found.append(f"08.mesh should {want} here: {mesh}")
            if want == "SKIP" and ("IPVS" not in mesh.message + mesh.hint
                                   or "modprobe ip_vs" not in mesh.hint):
                found.append(f"08.mesh SKIPs without the reason and the fix: {mesh}")
    assert not found, "\n".join(found)
