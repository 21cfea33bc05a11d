"""Labs 07, 09 and 11's checks on snapshots recorded from real clusters, their probes
inside the tasks answered as the real nodes answered them (tests/fixtures/probes)."""

from __future__ import annotations

from swarmlab.checks import Status
from swarmlab.transport.base import CommandResult
from tests.fixtures.recorded import Reply, replayed, snapshot
from tests.unit.evidence import judge, on_snapshot, replay


# ----- 07.secret --------------------------------------------------------------------------
def test_secret_passes_for_a_secret_read_from_a_tmpfs():
    res = replay("07.secret", "db-with-secret")
    assert res.passed and "on a read-only tmpfs" in res.message


def test_secret_passing_the_password_with_e_and_no_secret_fails():
    res = replay("07.secret", "db-password-in-env")
    assert res.status is Status.FAIL and "no secret named db_password" in res.message
    assert "docker secret create db_password" in res.hint


def test_secret_also_passed_with_e_is_found_in_the_environment():
    res = replay("07.secret", "db-secret-and-env")
    assert res.status is Status.FAIL and "container env DB_PASSWORD" in res.message
    assert "service env DB_PASSWORD" in res.message and "--env-rm DB_PASSWORD" in res.hint
    assert "hl5-Test-Value" not in str(res) + repr(res.details)  # the value is never shown


# ----- 07.config --------------------------------------------------------------------------
def test_config_passes_at_the_asked_target():
    res = replay("07.config", "site-config")
    assert res.passed and "reads web_conf at /etc/httpd.conf" in res.message


def test_config_mounted_at_a_wrong_target_fails():
    res = replay("07.config", "site-config-wrong-target")
    assert res.status is Status.FAIL and "mounted at /etc/httpd.cfg, not /etc/httpd.conf" \
        in res.message
    assert "target=/etc/httpd.conf" in res.hint


def test_config_not_created_fails():
    res = judge("07.config", "healthy-1m2w")
    assert res.status is Status.FAIL and "no config named web_conf" in res.message


# ----- 09 ---------------------------------------------------------------------------------
def test_volume_passes_when_a_new_task_sees_the_old_ones_data():
    res = replay("09.volume", "db-volume-restarted")
    assert res.passed and "keeps the start log of 2 containers" in res.message


def test_volume_never_restarted_fails():
    res = replay("09.volume", "db-volume-never-restarted")
    assert res.status is Status.FAIL and "one start only" in res.message
    assert "docker service update --force db" in res.hint


def test_volume_without_the_service_fails():
    res = judge("09.volume", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named db" in res.message


def test_nocopy_passes_for_a_fresh_volume_with_volume_nocopy():
    res = replay("09.nocopy", "db-empty-nocopy")
    assert res.passed and "was not copied" in res.message


def test_nocopy_on_another_volume_without_the_option_fails():
    res = replay("09.nocopy", "db-empty-without-nocopy")
    assert res.status is Status.FAIL and "mounts dbdata2 at /data, not emptydata" in res.message
    assert "volume-nocopy" in res.hint


def test_nocopy_without_the_service_fails():
    res = judge("09.nocopy", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named db-empty" in res.message


def test_bind_passes_when_every_node_has_the_folder():
    res = replay("09.bind", "site-bind-everywhere", settle_s=0)
    assert res.passed and "each task seeing its own node's" in res.message


def test_bind_with_the_folder_only_on_manager1_fails_naming_the_nodes():
    res = replay("09.bind", "site-bind-only-on-manager1", settle_s=0)
    assert res.status is Status.FAIL and "worker1, worker2 cannot start site's task" \
        in res.message
    assert "mkdir -p /srv/swarmlab/site" in res.hint


def test_bind_without_the_service_fails():
    res = judge("09.bind", "healthy-1m2w", settle_s=0)
    assert res.status is Status.FAIL and "no service named site" in res.message


def test_per_node_passes_for_a_global_service_with_one_volume_per_node():
    res = replay("09.per-node", "notes-global")
    assert res.passed and "Same name, different data" in res.message


def test_per_node_with_a_single_replica_fails():
    res = replay("09.per-node", "notes-replicated")
    assert res.status is Status.FAIL and "only one node has a notes volume" in res.message
    assert "--mode global" in res.hint


def test_per_node_without_the_service_fails():
    res = judge("09.per-node", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named notes" in res.message


# ----- 11.stack ---------------------------------------------------------------------------
def test_stack_passes_with_the_secret_the_label_and_a_working_app():
    res = replay("11.stack", "stack-with-secret")
    assert res.passed and "with its password from the secret db_password" in res.message


def test_stack_with_the_password_still_in_the_environment_fails():
    res = replay("11.stack", "stack-password-in-env")
    assert res.status is Status.FAIL and "from the environment variable DB_PASSWORD" \
        in res.message
    assert "secrets: [db_password]" in res.hint


def _api_says_502(times: int) -> dict[str, Reply]:
    """The recorded probes, except that the api (on worker1) answers 502 ``times`` times
    first, as it does while the db's new task is not in its DNS answers yet."""
    replies = replayed("stack-with-secret")
    recorded, left = replies["worker1"], [times]

    def api(cmd: str) -> CommandResult | None:
        if "wget" in cmd and left[0] > 0:
            left[0] -= 1
            return CommandResult(cmd, 1, "wget: server returned error: HTTP/1.1 502 Bad "
                                 "Gateway", "")
        return recorded(cmd)
    return {**replies, "worker1": api}


def test_stack_right_after_a_redeploy_waits_for_the_api_to_reach_the_db():
    snap = snapshot("stack-with-secret")
    res = on_snapshot("11.stack", snap, _api_says_502(1), answer_s=10)
    assert res.passed and "with its password from the secret db_password" in res.message


def test_stack_whose_api_never_reaches_the_db_fails_naming_the_502():
    snap = snapshot("stack-with-secret")
    res = on_snapshot("11.stack", snap, _api_says_502(99), answer_s=0)
    assert res.status is Status.FAIL
    assert "did not get an answer from the db" in res.message and "502 Bad Gateway" \
        in res.message
    assert "shared network, the same secret" in res.hint


def test_stack_not_deployed_fails():
    res = judge("11.stack", "healthy-1m2w")
    assert res.status is Status.FAIL and "no stack named app" in res.message
