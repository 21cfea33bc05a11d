"""Checks of labs 04-07 on a real cluster: each PASSes on the right state, and plausible
learner mistakes FAIL with a hint that names them. Secret values never show up in what
the kit prints, returns or draws."""

from __future__ import annotations

import json
import logging
import time

import pytest

import swarmlab
from swarmlab.checks import CheckResult
from tests.integration.conftest import check, fails, module_lab, passes, shared_name, typed

LAB = shared_name()
DELAY = "2s"

pytestmark = pytest.mark.integration


lab = module_lab(lab_id="04")


def fresh(lab_id: str) -> swarmlab.Lab:
    """The test lab reset to lab ``lab_id``'s starting state (short update delay)."""
    return swarmlab.start_lab(lab_id, name=LAB, quiet=True, update_delay=DELAY)


def sh(lab: swarmlab.Lab, script: str, node: str = "manager1", timeout: float = 180) -> str:
    res = lab.node(node).run(script, timeout=timeout)
    assert res.ok, f"{script}\n{res.stdout}\n{res.stderr}"
    return res.stdout


# ----- 04 --------------------------------------------------------------------------------
def test_global_agent_one_task_per_node_also_on_a_node_that_joins(lab: swarmlab.Lab) -> None:
    lab = fresh("04")
    sh(lab, "docker service create -q --name agent --replicas 3 swarmlab/tools")
    fails(check(lab, "04.global"), "replicated with 3 replica(s), not global",
          "docker service rm agent", "--mode global")
    sh(lab, "docker service rm agent && "
            "docker service create -q --name agent --mode global swarmlab/tools")
    passes(check(lab, "04.global"))
    lab.add_worker(quiet=True)
    try:
        result = check(lab, "04.global")
        passes(result)
        assert "4 Ready nodes" in result.message and "worker3 got its task" in result.message
    finally:
        sh(lab, "docker swarm leave", node="worker3")
        sh(lab, "docker node rm --force worker3")


# ----- 05 --------------------------------------------------------------------------------
def test_recovery_checks_follow_a_real_outage_and_fail_for_a_drain(lab: swarmlab.Lab) -> None:
    lab = fresh("05")
    sh(lab, "docker service create -q --name app --replicas 6 swarmlab/tools")
    sh(lab, "docker node update --availability drain worker1")  # the mistake: no outage
    fails(check(lab, "05.rescheduled"), "worker1 is Drain, not stopped", "lab.stop('worker1')")
    fails(check(lab, "05.no-rebalance"), "worker1 is Drain, not stopped")
    sh(lab, "docker node update --availability active worker1 && "
            "docker service update -q --force app")
    lab.stop("worker1")
    t = time.monotonic()
    passes(check(lab, "05.rescheduled"))  # waits for the swarm to move the tasks
    print(f"rescheduled after {time.monotonic() - t:.0f}s of waiting in the check")
    lab.start("worker1")
    passes(check(lab, "05.no-rebalance"))
    fails(check(lab, "05.rebalanced"), "worker1 still runs none", "update --force app")
    sh(lab, "docker service update -q --force app")
    passes(check(lab, "05.rebalanced"))


# ----- 06 --------------------------------------------------------------------------------
CREATE = "docker service create -q --name web --replicas {n} {opts} swarmlab/web:v1"


def test_update_policy_with_three_replicas_fails_then_passes(lab: swarmlab.Lab) -> None:
    lab = fresh("06")
    sh(lab, CREATE.format(n=3, opts="--update-delay 2s --update-parallelism 2"))
    fails(check(lab, "06.configured"), "3 replicas instead of 4", "--replicas 4")
    sh(lab, "docker service update -q --replicas 4 web")
    passes(check(lab, "06.configured"))
    passes(check(lab, "06.configured", update_delay="2000ms"))


def test_a_real_rolling_update_then_rollback_then_paused_and_continued_failures(
        lab: swarmlab.Lab) -> None:
    lab = fresh("06")
    sh(lab, CREATE.format(n=4, opts="--update-delay 2s --update-parallelism 2"))
    passes(check(lab, "06.configured"))
    sh(lab, "docker service update -q --image swarmlab/web:v2 web")
    result = check(lab, "06.updated")
    passes(result)
    assert "replaced 2 at a time" in result.message
    tl = lab.timeline("web")
    assert [w.label for w in tl.waves][0] == "4\u00d7v1"
    fails(check(lab, "06.rollback"), "runs swarmlab/web:v2, not swarmlab/web:v1",
          "docker service rollback web")
    sh(lab, "docker service rollback -q web")
    passes(check(lab, "06.rollback"))
    sh(lab, "docker service update -q --image swarmlab/web:broken web || true")  # default
    fails(check(lab, "06.failure-action"), "only because pause is the default",
          "--update-failure-action pause")
    sh(lab, "docker service rollback -q web")
    typed(lab, "manager1", "docker service update -q --update-failure-action pause "
                           "--image swarmlab/web:broken web || true")
    result = check(lab, "06.failure-action")
    passes(result)
    assert "paused" in result.message
    fails(check(lab, "06.continue"), "The failure action is pause, not continue",
          "--update-failure-action continue")
    sh(lab, "docker service rollback -q web")
    typed(lab, "manager1", "docker service update -d -q --update-failure-action continue "
                           "--image swarmlab/web:broken web")
    result = check(lab, "06.continue")
    passes(result)
    assert "went on past failed tasks" in result.message


def test_an_update_without_delay_or_undone_by_a_new_update_fails(lab: swarmlab.Lab) -> None:
    lab = fresh("06")
    sh(lab, CREATE.format(n=4, opts="--update-delay 0s --update-parallelism 2"))
    sh(lab, "docker service update -q --image swarmlab/web:v2 web")
    fails(check(lab, "06.updated"), "update delay was shorter than 2s", "--update-delay 2s")
    sh(lab, "docker service update -q --image swarmlab/web:v1 web")
    fails(check(lab, "06.rollback"), "through a new update, not a rollback",
          "docker service rollback web")


def test_failure_action_rollback_is_named(lab: swarmlab.Lab) -> None:
    lab = fresh("06")
    sh(lab, CREATE.format(n=4, opts="--update-delay 2s --update-parallelism 2"))
    sh(lab, "docker service update -q --update-failure-action rollback "
            "--image swarmlab/web:broken web || true")
    fails(check(lab, "06.failure-action"), "failure action is rollback",
          "--update-failure-action pause")


# ----- 07 --------------------------------------------------------------------------------
VALUE = "hl5-Zebra-Quartz-7781"


def shown(result: CheckResult) -> str:
    """Everything a result can show: text, repr, HTML, JSON, details."""
    return "\n".join([str(result), repr(result), result._repr_html_(),
                      json.dumps(result._repr_mimebundle_()),
                      json.dumps(result.details, default=str)])


def test_secret_check_finds_leaks_without_ever_showing_the_value(
    lab: swarmlab.Lab, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from swarmlab.viz import topology, watch

    caplog.set_level(logging.DEBUG)
    lab = fresh("07")
    seen = []
    fails(r := check(lab, "07.secret"), "no secret named db_password", "docker secret create")
    seen.append(r)
    sh(lab, f"printf '{VALUE}' | docker secret create db_password - >/dev/null")
    sh(lab, f"docker service create -q --name db -e DB_PASSWORD={VALUE} swarmlab/tools")
    fails(r := check(lab, "07.secret"), "DB_PASSWORD from its environment (-e)",
          "--env-rm DB_PASSWORD --secret-add db_password")
    seen.append(r)
    sh(lab, f"docker service update -q --secret-add db_password --env-rm DB_PASSWORD "
            f"--label-add note={VALUE}x db")
    fails(r := check(lab, "07.secret"), "spec.Labels.note")
    seen.append(r)
    # From here on the value is only in the secret and, as the learner's mistake, in the
    # environment: the kit must never show it.
    sh(lab, "docker service rm db")
    sh(lab, f"docker service create -q --name db -e DB_PASSWORD={VALUE} "
            "--secret db_password swarmlab/tools")
    fails(r := check(lab, "07.secret"), "service env DB_PASSWORD", "container env DB_PASSWORD",
          "--env-rm DB_PASSWORD")
    seen.append(r)
    sh(lab, "docker service update -q --env-rm DB_PASSWORD db")
    passes(r := check(lab, "07.secret"))
    seen.append(r)
    assert "/run/secrets/db_password" in r.message and "read-only tmpfs" in r.message
    snap = lab.snapshot()
    panel = watch(lab, interval=0.5)
    try:
        deadline = time.monotonic() + 30
        while panel.refreshes < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        drawn = panel.picture.value + panel.status.value
    finally:
        panel.close()
    everything = "\n".join([*(shown(x) for x in seen), snap.to_json(), snap.summary(),
                            topology(snap).source, str(lab.timeline("db")), drawn,
                            caplog.text, capsys.readouterr().out])
    assert VALUE not in everything


def test_config_check_names_a_wrong_target_and_missing_lines(lab: swarmlab.Lab) -> None:
    lab = fresh("07")
    fails(check(lab, "07.config"), "no config named web_conf", "docker config create web_conf")
    sh(lab, "printf 'A:127.0.0.1\\n' > /tmp/one.conf && docker config create web_conf "
            "/tmp/one.conf >/dev/null")
    fails(check(lab, "07.config"), "does not hold the line D:*", "docker config rm web_conf")
    sh(lab, "docker config rm web_conf >/dev/null && printf 'A:127.0.0.1\\nD:*\\n' > "
            "/tmp/httpd.conf && docker config create web_conf /tmp/httpd.conf >/dev/null")
    fails(check(lab, "07.config"), "no service named site", "target=/etc/httpd.conf")
    sh(lab, "docker service create -q --name site --config web_conf swarmlab/web:v1")
    fails(check(lab, "07.config"), "mounted at /web_conf (the default without target=)",
          "--config-add source=web_conf,target=/etc/httpd.conf")
    sh(lab, "docker service update -q --config-rm web_conf "
            "--config-add source=web_conf,target=/etc/httpd.conf site")
    result = check(lab, "07.config")
    passes(result)
    assert "/etc/httpd.conf" in result.message
