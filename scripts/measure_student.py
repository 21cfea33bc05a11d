"""Measure what one classroom student costs on this host: a 1+2 dind cluster (lab 03 with
its solutions' services), a kernel that ran ``start_lab("03")`` and the checks, and a
JupyterLab server that served the lab page. Prints JSON (MiB and CPU %).

    SWARMLAB_TEST_PREFIX=hd .venv/bin/python scripts/measure_student.py hdmeasure
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from jupyter_client.manager import start_new_kernel


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (MiB), from /proc."""
    total = 0
    pids = [pid]
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids += [int(p) for p in out.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_stats(lab: str) -> tuple[float, float]:
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}};{{.CPUPerc}}",
         *[f"swarmlab-{lab}-{n}" for n in ("manager1", "worker1", "worker2")]],
        capture_output=True, text=True, check=True).stdout
    mem = cpu = 0.0
    for line in out.splitlines():
        used, pct = line.split(";")
        val = used.split("/")[0].strip()
        num = float(val.rstrip("KMGiB"))
        mem += num / 1024 if val.endswith("KiB") else num * 1024 if val.endswith("GiB") else num
        cpu += float(pct.rstrip("%"))
    return mem, cpu


def main(lab: str) -> None:
    km, kc = start_new_kernel(kernel_name="python3")
    pid = km.provisioner.process.pid  # type: ignore[union-attr]
    code = (f"import swarmlab\nlab = swarmlab.start_lab('03', name={lab!r}, quiet=True)\n"
            "m = lab.node('manager1')\n"
            "m.run('docker service create -d --name web --replicas 3 swarmlab/web:v1')\n"
            "import time; time.sleep(8)\nprint(lab.check('03'))")
    t0 = cpu_seconds(pid)
    kc.execute_interactive(code, timeout=300)
    kernel_busy_cpu = cpu_seconds(pid) - t0
    kernel = rss_mib(pid)
    time.sleep(20)
    t1 = cpu_seconds(pid)
    time.sleep(30)
    kernel_idle_cpu = (cpu_seconds(pid) - t1) / 30 * 100
    samples = [node_stats(lab) for _ in range(3)]
    nodes_mem = max(s[0] for s in samples)
    nodes_cpu = sum(s[1] for s in samples) / len(samples)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(8)
    work = tempfile.mkdtemp()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         f"--ServerApp.port={port}", f"--ServerApp.root_dir={work}",
         f"--IdentityProvider.token={token}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=2).read()
            break
        except OSError:
            time.sleep(0.5)
    for path in ("/api/kernelspecs", "/api/contents", "/lab/api/settings"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=10).read()
    time.sleep(5)
    s0 = cpu_seconds(server.pid)
    time.sleep(20)
    server_cpu = (cpu_seconds(server.pid) - s0) / 20 * 100
    server_mem = rss_mib(server.pid)
    server.terminate()
    server.wait()
    km.shutdown_kernel(now=True)
    print(json.dumps({"nodes_mib": round(nodes_mem), "nodes_idle_cpu_pct": round(nodes_cpu, 1),
                      "kernel_mib": round(kernel), "kernel_idle_cpu_pct": round(kernel_idle_cpu, 1),
                      "kernel_start_lab_cpu_s": round(kernel_busy_cpu, 1),
                      "server_mib": round(server_mem),
                      "server_idle_cpu_pct": round(server_cpu, 1)}))


if __name__ == "__main__":
    main(sys.argv[1])
