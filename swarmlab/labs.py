"""``start_lab("NN")``: bring the cluster to a lab's starting state, from any prior state."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmlab import pipeline, swarm
from swarmlab.checks import CheckResult, Report, run_checks
from swarmlab.errors import ClusterNotFound, SpecError
from swarmlab.history import HISTORY_FILE
from swarmlab.i18n import set_language
from swarmlab.images.build import lab_image_tags
from swarmlab.lab import Lab
from swarmlab.node import Node
from swarmlab.parallel import parallel
from swarmlab.progress import Steps
from swarmlab.spec import ClusterSpec


@dataclass(frozen=True)
class LabShape:
    title: str
    managers: int = 1
    workers: int = 2
    swarm: bool = True


LABS: dict[str, LabShape] = {
    "00": LabShape("Welcome"),
    "01": LabShape("Building a cluster", swarm=False),
    "02": LabShape("Raft and quorum", managers=3, workers=1),
    "03": LabShape("Services"),
    "04": LabShape("Replicated and global services"),
    "05": LabShape("Recovery"),
    "06": LabShape("Rolling updates and rollback"),
    "07": LabShape("Configs and secrets"),
    "08": LabShape("Networks and discovery"),
    "09": LabShape("Volumes"),
    "10": LabShape("Node management"),
    "11": LabShape("A stack"),
    "12": LabShape("A registry and your own images"),
    "13": LabShape("Health checks and updates that do not drop requests"),
    "14": LabShape("Resources and placement"),
    "15": LabShape("Disaster recovery and the swarm's secrets", managers=3, workers=1),
}
PARAMS_ENV = "SWARMLAB_LAB_PARAMS"  # JSON, used by the notebook tests to shorten waits


def start_lab(lab_id: str, name: str | None = None, quiet: bool = False,
              lang: str | None = None, **params: Any) -> Lab:
    """The lab cluster in the state lab ``lab_id`` starts from; prints what it changed.

    ``name`` defaults to $SWARMLAB_LAB, else "default". ``params`` tune the exercises'
    checks (for example ``update_delay="2s"``); $SWARMLAB_LAB_PARAMS (JSON) adds more.
    ``lang`` (``"ko"``) chooses the language of the checks' messages from now on (else
    $SWARMLAB_LANG, or the notebook's folder: ``labs/ko/``; see ``swarmlab.i18n``).
    """
    if lang is not None:
        set_language(lang)
    name = name or os.environ.get("SWARMLAB_LAB") or "default"
    key = str(lab_id).zfill(2)[:2]
    if key not in LABS:
        raise SpecError(f"No lab {lab_id!r}: labs are {', '.join(LABS)}.")
    shape = LABS[key]
    steps = Steps(quiet=quiet)
    steps.say(f"[swarmlab] preparing lab {key} ({shape.title}) on cluster {name!r} ...")
    prov_lab = _existing(name)
    if prov_lab is None:
        lab = Lab.up(name, shape.managers, shape.workers, form_swarm=shape.swarm, quiet=quiet)
        changes = ["created the cluster"]
        lab.lab_id = key
        if set(lab_image_tags(key)) - set(lab_image_tags()):  # images only this lab uses
            pipeline.load_images(lab, steps)
    else:
        lab = prov_lab
        lab.lab_id = key
        spec = ClusterSpec(lab.name, shape.managers, shape.workers)
        pipeline.prepare_images(lab, steps)
        changes = pipeline.ensure_machines(lab, spec, steps, exact=True)
        changes += pipeline.start_stopped(lab, steps)
        changes += _reset_swarm(lab, shape, steps)
        # New nodes, a cluster made before a kit update, and the images only this lab uses.
        pipeline.load_images(lab, steps)
    lab.params = {**json.loads(os.environ.get(PARAMS_ENV) or "{}"), **params}
    lab._note("prepared")  # the lab's session starts: checks look for evidence from here on
    steps.say("[swarmlab] " + ("; ".join(changes) if changes else "nothing to change")
              + f". Ready in {steps.elapsed:.1f}s: {', '.join(lab.node_names)}")
    return lab


def _existing(name: str) -> Lab | None:
    try:
        return Lab.connect(name)
    except ClusterNotFound:
        return None


def _reset_swarm(lab: Lab, shape: LabShape, steps: Steps) -> list[str]:
    if not shape.swarm:
        active = [n for n in lab.nodes if swarm.swarm_state(n) != "inactive"]
        if not active:
            return []
        with steps.step("leave the swarm on every node (this lab starts without one)"):
            swarm.leave_all(active)
            parallel(_clean_node, lab.nodes)
        return ["removed the swarm"]
    changes = []
    if not _swarm_fits(lab):
        with steps.step("re-form the swarm"):
            swarm.leave_all(lab.nodes)
            pipeline.form_swarm(lab, Steps(quiet=True))
        changes.append("re-formed the swarm")
    with steps.step("clear services, secrets, configs, networks, labels"):
        changes += _clear_objects(lab)
    return changes


def _swarm_fits(lab: Lab) -> bool:
    """Every node in the swarm with its intended role, Ready, nothing else listed."""
    try:
        rows = swarm.node_rows(lab.managers[0], timeout=10)
    except Exception:
        return False
    by_name = {r.hostname: r for r in rows}
    if sorted(by_name) != sorted(lab.node_names) or len(rows) != len(lab.nodes):
        return False
    for n in lab.nodes:
        r = by_name[n.name]
        is_mgr = r.manager_status in ("Leader", "Reachable")
        if r.status != "Ready" or is_mgr != (n.role == "manager"):
            return False
    return any(r.is_leader for r in rows)


CLEAR_SCRIPT = (Path(__file__).parent / "shell" / "reset-swarm.sh").read_text()


def _clear_objects(lab: Lab) -> list[str]:
    res = lab.managers[0].run(CLEAR_SCRIPT, timeout=120)
    removed = [line for line in res.stdout.splitlines() if line.strip()]
    parallel(_clean_node, lab.nodes)
    if removed:
        time.sleep(0.5)
    return [f"cleared {', '.join(removed)}"] if removed else []


def _clean_node(node: Node) -> None:
    """Plain containers, volumes, bind folders and the command history (00.hello reads it)."""
    node.run(
        "docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1; "
        "docker volume prune -f >/dev/null 2>&1; docker volume ls -q | xargs -r docker volume rm "
        f">/dev/null 2>&1; rm -rf /srv/swarmlab {HISTORY_FILE}; true",
        timeout=60,
    )


def check(*ids: str, lab: str | Lab | None = None, **params: Any) -> CheckResult | Report:
    """Check exercises on a lab: by default $SWARMLAB_LAB, else the lab called "default"
    (with $SWARMLAB_LAB_PARAMS as parameters, like ``start_lab``)."""
    if isinstance(lab, Lab):
        return run_checks(lab, ids, **params)
    target = Lab.connect(lab or os.environ.get("SWARMLAB_LAB") or "default")
    env = json.loads(os.environ.get("SWARMLAB_LAB_PARAMS") or "{}")
    target.params = {**env, **target.params}
    return run_checks(target, ids, **params)
