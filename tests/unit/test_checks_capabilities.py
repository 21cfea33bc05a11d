"""IPVS detection on a node, and the SKIP checks give where it is missing."""

from __future__ import annotations

from swarmlab.capabilities import IPVS_HOW, ipvs_available
from swarmlab.checks import Status
from swarmlab.checks.base import CheckContext
from swarmlab.checks.common import needs_ipvs
from tests.fixtures.recorded import answering, fake_lab, fake_node

# The probe's real output on a dind node of this machine (kernel without ip_vs).
NO_IPVS = ("missing\n6.18.44-fc-v669\n"
           "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.18.44-fc-v669\n")


def test_missing_ipvs_is_explained_with_the_kernel_and_modprobe_error():
    ok, why = ipvs_available(fake_node("worker1", "worker", answering(NO_IPVS)))
    assert not ok
    assert "worker1's kernel (6.18.44-fc-v669) has no IPVS" in why
    assert "Module ip_vs not found" in why


def test_present_or_loaded_ipvs_is_available():
    assert ipvs_available(fake_node("w", "worker", answering("present\n")))[0]
    ok, why = ipvs_available(fake_node("w", "worker", answering("loaded\n")))
    assert ok and "modprobe" in why


def test_a_stopped_node_cannot_be_probed_but_does_not_raise():
    ok, why = ipvs_available(fake_node("worker1", "worker", lambda cmd: None))
    assert not ok and "could not probe worker1" in why


def test_checks_skip_with_the_reason_and_how_to_get_ipvs():
    lab = fake_lab(replies={"worker1": answering(NO_IPVS)})
    ctx = CheckContext(lab)
    ctx.check_id = "08.mesh"
    res = needs_ipvs(ctx, "worker1")
    assert res is not None and res.status is Status.SKIP
    assert "has no IPVS" in res.message and res.hint == IPVS_HOW
    assert "modprobe ip_vs" in res.hint
    lab_ok = fake_lab(replies={"worker1": answering("present\n")})
    assert needs_ipvs(CheckContext(lab_ok), "worker1") is None
