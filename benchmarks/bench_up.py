"""Time-to-ready, teardown and node memory of the kit vs a plain shell script.

Run: .venv/bin/python benchmarks/bench_up.py [--repeat 3] [--largest 3:27]
Writes benchmarks/results/up.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import docker

import swarmlab

HERE = Path(__file__).parent


def kit(managers: int, workers: int) -> tuple[float, float, list[float]]:
    t = time.monotonic()
    lab = swarmlab.Lab.up("bench", managers, workers, quiet=True)
    ready = time.monotonic() - t
    time.sleep(3)  # let the engines settle before reading memory
    client = docker.from_env()
    mem = []
    for node in lab.nodes:
        stats = client.containers.get(node.provider_id).stats(stream=False)
        mem.append(stats["memory_stats"].get("usage", 0) / 2**20)
    t = time.monotonic()
    lab.down(quiet=True)
    return ready, time.monotonic() - t, mem


def baseline(managers: int, workers: int) -> tuple[float, float]:
    out = subprocess.run(
        ["bash", str(HERE / "baseline.sh"), str(managers), str(workers)],
        capture_output=True, text=True, check=True,
    ).stdout
    vals = dict(line.split() for line in out.splitlines())
    return float(vals["ready"]), float(vals["down"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--largest", default="", help="MANAGERS:WORKERS to try once, e.g. 3:27")
    args = ap.parse_args()
    results: dict[str, object] = {}
    for shape in ((1, 2), (3, 2)):
        kit_ready, kit_down, base_ready, base_down, mem = [], [], [], [], []
        for _ in range(args.repeat):
            r, d, m = kit(*shape)
            kit_ready.append(r)
            kit_down.append(d)
            mem += m
            br, bd = baseline(*shape)
            base_ready.append(br)
            base_down.append(bd)
        key = f"{shape[0]}+{shape[1]}"
        results[key] = {
            "kit_ready_s": kit_ready, "kit_down_s": kit_down,
            "baseline_ready_s": base_ready, "baseline_down_s": base_down,
            "ratio_median": statistics.median(kit_ready) / statistics.median(base_ready),
            "node_mem_mib_median": statistics.median(mem),
        }
        print(f"{key}: kit ready median {statistics.median(kit_ready):.2f}s "
              f"(all {', '.join(f'{x:.2f}' for x in kit_ready)}), baseline "
              f"{statistics.median(base_ready):.2f}s, ratio "
              f"{results[key]['ratio_median']:.2f}; down {statistics.median(kit_down):.2f}s "
              f"(baseline {statistics.median(base_down):.2f}s); idle node "
              f"{statistics.median(mem):.0f} MiB")
    if args.largest:
        m, w = (int(x) for x in args.largest.split(":"))
        r, d, mem = kit(m, w)
        results["largest"] = {"shape": args.largest, "ready_s": r, "down_s": d,
                              "mem_total_mib": sum(mem)}
        print(f"largest {m}+{w}: ready {r:.1f}s, down {d:.1f}s, nodes use {sum(mem):.0f} MiB")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "up.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
