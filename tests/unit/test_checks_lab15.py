"""Lab 15's checks on snapshots recorded from real clusters (tests/fixtures/
record_labs_14_15.py, lab15-flow) with recorded evidence; the IPsec probe's reading and the
doctor's item."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from swarmlab import doctor
from swarmlab.capabilities import ipsec_why
from swarmlab.checks import CheckResult, Status
from tests.fixtures.recorded import by_command, snapshot
from tests.unit.evidence import edited, entry, judge, on_snapshot

FORCED = entry("docker swarm init --force-new-cluster")
AUTOLOCK_AT = "2026-12-02T14:40:00"
AUTOLOCKED = entry("docker swarm update --autolock=true >/dev/null", at=AUTOLOCK_AT)
LATER = datetime(2026, 12, 2, 14, 41, tzinfo=timezone.utc).timestamp()
EARLIER = datetime(2026, 12, 2, 14, 39, tzinfo=timezone.utc).timestamp()
LISTING = ("swarm/\nswarm/certificates/\nswarm/certificates/swarm-node.key\n"
           "swarm/certificates/swarm-root-ca.crt\nswarm/state.json\nswarm/raft/\n"
           "swarm/raft/wal-v3-encrypted/\nswarm/docker-state.json\n")
NO_ESP = "Error: Requested AEAD algorithm not found.\nmissing\n6.18.44\n"


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, managers=3, workers=1, **kw)  # type: ignore[arg-type]


# ----- 15.backup ----------------------------------------------------------------------------
def test_backup_passes_with_the_raft_log_and_the_certificates():
    res = check("15.backup", "dr-healthy-keep", replies={"manager1": {"tar tzf": LISTING}})
    assert res.passed and "the Raft log (swarm/raft)" in res.message


def test_a_backup_of_the_raft_folder_alone_is_named():
    res = check("15.backup", "dr-healthy-keep",
                replies={"manager1": {"tar tzf": "raft/\nraft/wal-v3-encrypted/\n"}})
    assert res.status is Status.FAIL and "no raft and no certificates" in res.message
    assert "-C /var/lib/docker swarm" in res.hint


def test_a_backup_on_another_node_is_named():
    res = check("15.backup", "dr-healthy-keep", replies={"manager2": {"tar tzf": LISTING}})
    assert res.status is Status.FAIL and "no archive" in res.message
    assert "there is one on manager2" in res.message


# ----- 15.force-new -------------------------------------------------------------------------
def test_force_new_passes_with_manager1_alone_and_keep_kept():
    res = check("15.force-new", "dr-forced-new", history={"manager1": FORCED},
                stopped=("manager2", "manager3"))
    assert res.passed and "manager1 is the only manager" in res.message and "keep" in res.message


def test_init_without_force_new_cluster_lost_the_services():
    res = check("15.force-new", "dr-init-without-force",
                history={"manager1": entry("docker swarm init")})
    assert res.status is Status.FAIL and "made a new, empty swarm" in res.message


def test_force_new_with_the_quorum_still_lost_fails():
    res = check("15.force-new", "quorum-lost-3m", stopped=("manager2", "manager3"))
    assert res.status is Status.FAIL and "no leader" in res.message


def test_force_new_on_the_healthy_start_fails():
    res = check("15.force-new", "dr-healthy-keep")
    assert res.status is Status.FAIL and "No `docker swarm init --force-new-cluster`" in res.message


# ----- 15.restored --------------------------------------------------------------------------
def test_restored_passes_with_three_managers_and_keep_running():
    res = check("15.restored", "dr-restored", passed=("15.force-new",))
    assert res.passed and "3 managers again" in res.message


def test_restored_with_the_lost_managers_still_listed_is_named():
    res = check("15.restored", "dr-forced-new", history={"manager1": FORCED})
    assert res.status is Status.FAIL and "listed but not Ready" in res.message
    assert "docker node rm --force" in res.hint


def test_a_manager_joined_with_the_worker_token_is_named():
    res = check("15.restored", "dr-manager3-worker", passed=("15.force-new",))
    assert res.status is Status.FAIL and "manager3 came back as worker(s)" in res.message
    assert "docker node promote manager3" in res.hint


def test_restored_without_losing_anything_fails():
    res = check("15.restored", "dr-healthy-keep")
    assert res.status is Status.FAIL and "never lost" in res.message


# ----- 15.autolock --------------------------------------------------------------------------
def test_autolock_passes_after_a_restart_and_an_unlock():
    res = check("15.autolock", "dr-autolocked", history={"manager1": AUTOLOCKED},
                events=(("start", "manager2", LATER),),
                replies={"manager2": {"docker info": "active\n"}})
    assert res.passed and "unlocked with the key" in res.message


def test_autolock_off_is_named():
    res = check("15.autolock", "dr-restored")
    assert res.status is Status.FAIL and "Autolock is off" in res.message
    assert "--autolock=true" in res.hint


def test_a_manager_still_locked_is_named():
    res = check("15.autolock", "dr-autolocked", history={"manager1": AUTOLOCKED},
                events=(("start", "manager2", LATER),),
                replies={"manager2": {"docker info": "locked\n"}})
    assert res.status is Status.FAIL and "manager2 is locked" in res.message
    assert "docker swarm unlock" in res.hint


def test_a_restart_before_autolock_was_on_does_not_count():
    res = check("15.autolock", "dr-autolocked", history={"manager1": AUTOLOCKED},
                events=(("start", "manager2", EARLIER),),
                replies={"manager2": {"docker info": "active\n"}})
    assert res.status is Status.FAIL and "was not restarted since" in res.message


# ----- 15.rotate ----------------------------------------------------------------------------
def test_rotate_passes_with_tokens_and_ca_rotated():
    res = check("15.rotate", "dr-plain-secure", history={"manager1": entry(
        "docker swarm join-token --rotate -q worker\ndocker swarm ca --rotate -q")})
    assert res.passed and "CA rotation #1" in res.message


def test_rotating_only_the_tokens_is_named():
    res = check("15.rotate", "dr-plain-secure", history={"manager1": entry(
        "docker swarm join-token --rotate worker")})
    assert res.status is Status.FAIL and "not the CA" in res.message
    assert "docker swarm ca --rotate" in res.hint


def test_rotating_only_the_ca_is_named():
    res = check("15.rotate", "dr-plain-secure",
                history={"manager1": entry("docker swarm ca --rotate")})
    assert res.status is Status.FAIL and "No join token was rotated" in res.message
    assert "(the CA was)" in res.message


def test_a_rotation_command_that_failed_does_not_count():
    res = check("15.rotate", "dr-restored", history={"manager1": entry(
        "docker swarm join-token --rotate worker\ndocker swarm ca --rotate", 1)})
    assert res.status is Status.FAIL and "No join token was rotated" in res.message


# ----- 15.encrypted -------------------------------------------------------------------------
def test_encrypted_skips_with_the_reason_where_the_kernel_has_no_esp():
    res = check("15.encrypted", "dr-encrypted", replies={"manager1": {"xfrm": NO_ESP}})
    assert res.status is Status.SKIP and "no IPsec" in res.message
    assert "modprobe esp4" in res.hint


def test_encrypted_passes_where_the_kernel_has_esp():
    res = check("15.encrypted", "dr-encrypted", replies={"manager1": {"xfrm": "present\n"}})
    assert res.passed and "secure is an encrypted overlay" in res.message


def test_an_overlay_without_the_encrypted_option_is_named():
    res = check("15.encrypted", "dr-plain-secure", replies={"manager1": {"xfrm": "present\n"}})
    assert res.status is Status.FAIL and "without encryption" in res.message
    assert "--opt encrypted" in res.hint


def test_encrypted_without_the_network_fails():
    res = check("15.encrypted", "dr-restored")
    assert res.status is Status.FAIL and "no network secure" in res.message


# ----- the IPsec probe and doctor -----------------------------------------------------------
def test_ipsec_probe_reads_present_and_missing():
    assert ipsec_why("present\n", "node1")[0]
    ok, why = ipsec_why(NO_ESP, "node1")
    assert not ok and "6.18.44" in why and "AEAD algorithm not found" in why


def test_doctor_warns_without_ipsec_and_names_the_fix():
    item = doctor.ipsec_item(False, "no ESP")
    assert item.status == "WARN" and "lab 15 skips" in item.detail and "esp4" in item.fix
    assert doctor.ipsec_item(True, "ok").status == "PASS"


def test_an_unlock_key_typed_into_a_command_is_named_and_not_repeated():
    key = "SWMKEY-1-fakefakefakefakefakefakefakefakefake1234"
    res = check("15.autolock", "dr-autolocked", events=(("start", "manager2", LATER),),
                history={"manager1": AUTOLOCKED,
                         "manager2": entry(f"echo {key} | docker swarm unlock", at=AUTOLOCK_AT)},
                replies={"manager2": {"docker info": "active\n"}})
    assert res.status is Status.FAIL and "typed into a command on manager2" in res.message
    assert "unlock-key --rotate" in res.hint
    assert key not in str(res) + repr(res.details) + repr(res.as_dict())


def test_a_network_list_that_missed_the_swarm_s_networks_is_read_again():
    """A busy manager's ``GET /networks`` can leave out the swarm's networks without an
    error: the check reads the cluster again before saying there is no network secure."""
    def local_only(raw: dict[str, Any]) -> None:
        raw["networks"]["body"] = [n for n in raw["networks"]["body"] if n["Scope"] == "local"]

    short = edited("dr-encrypted", local_only)
    assert short.network("secure") is None
    res = on_snapshot("15.encrypted", short, {"manager1": by_command({"xfrm": "present\n"})},
                      managers=3, workers=1, read_again=snapshot("dr-encrypted"))
    assert res.passed and "secure is an encrypted overlay" in res.message
