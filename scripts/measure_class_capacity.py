"""Measure how many students' clusters this host holds (the clusters' part of a class,
with no hub): N default 1+2 dind clusters made one after the other, then every node
Ready and a check answered on every cluster, timed. Prints JSON; removes every cluster.

    .venv/bin/python scripts/measure_class_capacity.py 34 [--name-prefix cap]

Compare with ``swarmlab class plan --students N`` (swarmlab/classroom/plan.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import swarmlab
from swarmlab import host
from swarmlab.providers import get_provider


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
            "load_1min": os.getloadavg()[0],
        }
        print(json.dumps(result))
    finally:
        for name in made:
            get_provider("dind").delete(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
