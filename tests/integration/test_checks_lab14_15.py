"""Labs 14 and 15's checks on real clusters: a plausible learner mistake FAILs with a hint
that names it, and the fix, typed as a learner would, PASSes. Each step types the command
on a node (recorded in its history, which some checks read as evidence)."""

from __future__ import annotations

import time

import pytest

import swarmlab
from swarmlab.capabilities import ipsec_available
from swarmlab.checks import Status
from tests.integration.conftest import check, check_fails, check_passes, module_lab, typed

pytestmark = pytest.mark.integration
lab14 = module_lab("1+2", "14")
lab15 = module_lab("3+1", "15")
M = "manager1"


# ----- lab 14 -------------------------------------------------------------------------------
def test_a_cpu_limit_leaves_nothing_pending_and_a_reservation_does(lab14: swarmlab.Lab):
    typed(lab14, M, 'docker service create -d --name hungry --replicas 4 --limit-cpu "$(nproc)"'
          " swarmlab/tools")
    check_fails(lab14, "14.reserve", "a limit (--limit-cpu", "--reserve-cpu")
    typed(lab14, M, 'docker service update -d --limit-cpu 0 --reserve-cpu "$(nproc)" hungry')
    check_passes(lab14, "14.reserve")
    typed(lab14, M, "docker service rm hungry")


def test_a_memory_limit_the_task_fits_under_kills_nothing(lab14: swarmlab.Lab):
    typed(lab14, M, "docker service create -d --name leak --limit-memory 512m swarmlab/tools "
          "sh -c 'head -c 200m /dev/zero | tail'")
    time.sleep(4)
    check_fails(lab14, "14.oom", "limited to 512 MiB", "--limit-memory 32m", settle_s=10)
    typed(lab14, M, "docker service update -d --limit-memory 32m leak")
    # The update restarts the tasks before one is killed: slow when every lane is busy.
    check_passes(lab14, "14.oom", settle_s=90)
    typed(lab14, M, "docker service rm leak")


def test_spread_needs_the_preference_and_max_per_node_the_limit(lab14: swarmlab.Lab):
    typed(lab14, M, "docker node update --label-add zone=east manager1 && docker node update "
          "--label-add zone=west worker1 && docker node update --label-add zone=west worker2")
    typed(lab14, M, "docker service create -d --name zoned --replicas 6 swarmlab/tools")
    typed(lab14, M, "docker service create -d --name one --replicas 4 swarmlab/tools")
    check_fails(lab14, "14.spread", "no placement preference", "--placement-pref-add")
    check_fails(lab14, "14.max-per-node", "no per-node maximum", "--replicas-max-per-node 1")
    typed(lab14, M, "docker service update -d --placement-pref-add spread=node.labels.zone "
          "zoned && docker service update -d --replicas-max-per-node 1 one")
    check_fails(lab14, "14.spread", "not even over the zones", "--force zoned")  # nothing moved yet
    check_fails(lab14, "14.max-per-node", "still run more", "--force one")
    typed(lab14, M, "docker service update -d --force zoned && docker service update -d "
          "--force one")
    check_passes(lab14, "14.spread", settle_s=40)
    check_passes(lab14, "14.max-per-node", settle_s=40)


# ----- lab 15 -------------------------------------------------------------------------------
def test_a_backup_of_the_wrong_folder_is_named(lab15: swarmlab.Lab):
    typed(lab15, M, "mkdir -p /srv/swarmlab && tar czf /srv/swarmlab/swarm-backup.tgz "
          "-C /var/lib/docker/swarm raft")
    check_fails(lab15, "15.backup", "no certificates", "-C /var/lib/docker swarm")
    typed(lab15, M, "tar czf /srv/swarmlab/swarm-backup.tgz -C /var/lib/docker swarm")
    check_passes(lab15, "15.backup")


def test_a_locked_manager_fails_until_it_is_unlocked(lab15: swarmlab.Lab):
    typed(lab15, M, "docker swarm update --autolock=true >/dev/null")
    lab15.stop("manager2")
    lab15.start("manager2")
    check_fails(lab15, "15.autolock", "manager2 is locked", "docker swarm unlock")
    key = lab15.run(M, "docker swarm unlock-key -q").stdout.strip()
    lab15.run("manager2", "docker swarm unlock", stdin=(key + "\n").encode()).check()
    lab15.wait_ready()
    res = check_passes(lab15, "15.autolock")
    assert key not in str(res) + repr(res.details)
    swarmlab.start_lab("15", name=lab15.name, quiet=True)  # the next lab starts unlocked
    check_fails(lab15, "15.autolock", "Autolock is off")


def test_an_overlay_without_encryption_is_named(lab15: swarmlab.Lab):
    typed(lab15, M, "docker network create -d overlay secure && docker service create -d "
          "--name private --replicas 2 --network secure swarmlab/tools")
    check_fails(lab15, "15.encrypted", "without encryption", "--opt encrypted")
    typed(lab15, M, "docker service rm private && sleep 2 && docker network rm secure && "
          "while docker network inspect secure >/dev/null 2>&1; do sleep 0.5; done && "
          "docker network create -d overlay --opt encrypted secure && docker service create "
          "-d --name private --replicas 2 --network secure swarmlab/tools")
    time.sleep(3)
    res = check(lab15, "15.encrypted")
    if ipsec_available(lab15.node(M))[0]:
        assert res.status is Status.PASS, str(res)
    else:
        assert res.status is Status.SKIP and "modprobe esp4" in res.hint, str(res)
