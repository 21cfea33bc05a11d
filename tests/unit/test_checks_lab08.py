"""Lab 08's checks on snapshots recorded from real clusters: the learner's answers (the
addresses lookups gave, the answers per replica) against what the cluster decided."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import judge

SNAP = "appnet-web-api-client"  # web: 4 dnsrr replicas, api: 2 in vip mode, client
LOOKUPS = {"web": ["10.0.1.5", "10.0.1.2", "10.0.1.4", "10.0.1.3"],  # read from the snapshot
           "api": ["10.0.1.11"], "tasks.api": ["10.0.1.12", "10.0.1.13"]}
ANSWERS = {"83fe5d586952": 11, "9a16dfb504f0": 9, "58868280fe6c": 10, "c4f3485b46da": 10}


def check(check_id: str, snap: str = SNAP, **kw: object) -> CheckResult:
    return judge(check_id, snap, settle_s=0, **kw)  # type: ignore[arg-type]


# ----- 08.overlay -------------------------------------------------------------------------
def test_overlay_passes_with_both_services_on_the_attachable_overlay():
    res = check("08.overlay")
    assert res.passed and "appnet is an overlay network" in res.message


def test_overlay_network_made_without_attachable_fails():
    res = check("08.overlay", "appnet-not-attachable")
    assert res.status is Status.FAIL and "not attachable" in res.message
    assert "docker service rm client web" in res.hint and "--attachable" in res.hint


def test_overlay_without_the_client_service_fails():
    res = check("08.overlay", "services")  # web on appnet, no client
    assert res.status is Status.FAIL and "no service named client" in res.message


def test_overlay_made_as_a_local_bridge_network_fails():
    res = check("08.overlay", "appnet-bridge")
    assert res.status is Status.FAIL and "appnet is a bridge network (local scope)" in res.message
    assert "--driver overlay" in res.hint


def test_overlay_with_the_client_left_off_the_network_fails():
    res = check("08.overlay", "client-off-appnet")
    assert res.status is Status.FAIL and "client is not on appnet" in res.message
    assert "--network-add appnet client" in res.hint


# ----- 08.discovery -----------------------------------------------------------------------
def test_discovery_passes_with_the_addresses_the_lookups_gave():
    res = check("08.discovery", answer=LOOKUPS)
    assert res.passed and "one virtual IP, 10.0.1.11" in res.message


def test_discovery_with_api_off_the_network_fails():
    res = check("08.discovery", "api-off-appnet", answer=LOOKUPS)
    assert res.status is Status.FAIL and "api is not on appnet" in res.message
    assert "--network-add appnet api" in res.hint


def test_discovery_with_api_in_dnsrr_mode_fails():
    res = check("08.discovery", "api-dnsrr", answer=LOOKUPS)
    assert res.status is Status.FAIL and "api uses endpoint mode dnsrr" in res.message


def test_discovery_as_shipped_without_an_answer_fails():
    res = check("08.discovery", answer={})
    assert res.status is Status.FAIL and "an empty answer" in res.message
    assert "nslookup tasks.api" in res.hint


def test_discovery_giving_the_task_addresses_for_the_vip_service_fails():
    res = check("08.discovery", answer={**LOOKUPS, "api": LOOKUPS["tasks.api"]})
    assert res.status is Status.FAIL and "api is in vip mode" in res.message


def test_discovery_giving_one_address_for_the_dnsrr_service_fails():
    res = check("08.discovery", answer={**LOOKUPS, "web": ["10.0.1.2"]})
    assert res.status is Status.FAIL and "web is in dnsrr mode" in res.message


def test_discovery_with_made_up_addresses_fails():
    res = check("08.discovery", answer={**LOOKUPS, "tasks.api": ["10.0.1.7", "10.0.1.8"]})
    assert res.status is Status.FAIL and "it resolves to 10.0.1.12, 10.0.1.13" in res.message


# ----- 08.round-robin ---------------------------------------------------------------------
def test_round_robin_passes_when_the_counts_name_every_replica():
    res = check("08.round-robin", answer=ANSWERS)
    assert res.passed and "40 requests you sent were spread over all 4" in res.message


def test_round_robin_as_shipped_without_counts_fails():
    res = check("08.round-robin", answer={})
    assert res.status is Status.FAIL and "an empty answer" in res.message
    assert "Hostname:" in res.hint


def test_round_robin_counts_missing_a_replica_fail():
    res = check("08.round-robin", answer={h: c for h, c in list(ANSWERS.items())[:3]})
    assert res.status is Status.FAIL and "3 of 4 replicas answering" in res.message
    assert "send more requests" in res.hint


def test_round_robin_with_task_ids_instead_of_hostnames_fails():
    res = check("08.round-robin", answer={"5jzreokghm1w": 10, **dict(list(ANSWERS.items())[1:])})
    assert res.status is Status.FAIL and "5jzreokghm1w is not the hostname" in res.message


def test_round_robin_on_a_vip_service_without_answers_names_ipvs_and_dnsrr():
    res = check("08.round-robin", service="api", replicas=2, answer={})
    assert res.status is Status.FAIL and "IPVS" in res.hint and "--endpoint-mode dnsrr" in res.hint


# ----- 08.mesh (a PASS needs IPVS, which the recording host lacks: its SKIP is recorded) ----
def test_mesh_skips_with_the_reason_where_the_kernel_has_no_ipvs():
    from tests.unit.evidence import replay

    res = replay("08.mesh", "mesh-ingress", settle_s=0)
    assert res.status is Status.SKIP and "has no IPVS" in res.message
    assert "modprobe ip_vs" in res.hint


def test_mesh_published_in_host_mode_fails():
    from tests.unit.evidence import replay

    res = replay("08.mesh", "mesh-host-mode", settle_s=0)
    assert res.status is Status.FAIL and "publishes 8080 in host mode" in res.message
    assert "--publish-add 8080:80" in res.hint


def test_mesh_on_another_port_fails():
    res = check("08.mesh", "services", service="web")  # web publishes 8081 in host mode
    assert res.status is Status.FAIL and "publishes 8081->80, not 8080" in res.message


def test_mesh_without_the_service_fails():
    res = check("08.mesh", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named mesh" in res.message


# ----- 08.mesh where the kernel has IPVS: recorded in the hostvm tier's Debian trixie guest
# (tests/fixtures/record_lab08_ipvs.py, on a 1+2 dind lab with the solution's service) ------
def test_mesh_passes_where_the_kernel_has_ipvs():
    from tests.unit.evidence import replay

    res = replay("08.mesh", "lab08-mesh-ipvs", settle_s=0)
    assert res.status is Status.PASS, res
    assert "the routing mesh forwarded it" in res.message and "runs no task of mesh" in res.message


def test_mesh_checked_on_a_port_the_service_does_not_publish_fails():
    from tests.unit.evidence import replay

    res = replay("08.mesh", "lab08-mesh-ipvs", settle_s=0, port=8081)
    assert res.status is Status.FAIL and "mesh publishes 8080->80, not 8081" in res.message
    assert "--publish-add 8081:80 mesh" in res.hint
