"""Measure how many students' clusters this host holds (the clusters' part of a class,
with no hub): N default 1+2 dind clusters made one after the other, then every node
Ready and a check answered on every cluster, timed, and the nodes' own CPU time while idle
(their cgroups' usage over a minute: the rest of the host does not count). Prints JSON;
removes every cluster.

    .venv/bin/python scripts/measure_class_capacity.py 34 [--name-prefix cap]

Compare with ``swarmlab class plan --students N`` (swarmlab/classroom/plan.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import swarmlab
from swarmlab import host
from swarmlab.engine import connect
from swarmlab.providers import get_provider, labels


def cpu_usage_ns(container_id: str) -> int | None:
    """A container's CPU time so far: cgroup v1 cpuacct, or v2 cpu.stat (systemd driver)."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage")
    if v1.exists():
        return int(v1.read_text())
    v2 = Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat")
    if v2.exists():
        usec = dict(line.split() for line in v2.read_text().splitlines())["usage_usec"]
        return int(usec) * 1000
    return None


def idle_cores(lab_names: list[str], seconds: float = 60) -> float | None:
    """Cores the labs' node containers use, idle, averaged over ``seconds``."""
    ids = [c.id for c in connect().containers.list(filters={"label": labels.LAB})
           if c.labels.get(labels.LAB) in lab_names]
    before = [cpu_usage_ns(i) for i in ids]
    t = time.monotonic()
    time.sleep(seconds)
    after = [cpu_usage_ns(i) for i in ids]
    if not ids or None in before or None in after:
        return None
    used = sum(a - b for a, b in zip(after, before, strict=True))  # type: ignore[operator]
    return used / 1e9 / (time.monotonic() - t)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("students", type=int)
    ap.add_argument("--name-prefix", default="cap")
    args = ap.parse_args()
    names = [f"{args.name_prefix}{i:02d}" for i in range(1, args.students + 1)]
    before = host.mem_available_mib()
    t0 = time.monotonic()
    made: list[str] = []
    try:
        for name in names:
            swarmlab.start_lab("03", name=name, quiet=True)
            made.append(name)
            print(f"[capacity] {name} ready after {time.monotonic() - t0:.0f}s", flush=True)
        up_s = time.monotonic() - t0
        time.sleep(20)  # let every engine settle before reading
        cores = idle_cores(names)
        not_ready = []
        answers = []
        for name in names:
            lab = swarmlab.Lab.connect(name)
            rows = lab.status()
            not_ready += [f"{name}/{r['node']}" for r in rows if r["status"] != "Ready"]
            t = time.monotonic()
            lab.check("03.create")  # FAILs (no service yet): what is timed is the answer
            answers.append(time.monotonic() - t)
        result = {
            "students": args.students, "nodes": 3 * args.students,
            "all_ready": not not_ready, "not_ready": not_ready,
            "made_in_s": round(up_s), "check_answer_s": {
                "median": round(statistics.median(answers), 3),
                "max": round(max(answers), 3)},
            "memory_used_mib": before - host.mem_available_mib(),
            "idle_cores_of_nodes": None if cores is None else round(cores, 3),
            "idle_pct_of_one_core_per_student": None if cores is None else
            round(100 * cores / args.students, 2),
            "load_1min": os.getloadavg()[0],
        }
        print(json.dumps(result))
    finally:
        for name in made:
            get_provider("dind").delete(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
