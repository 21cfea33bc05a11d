"""What a ./test.sh run left behind: its labs' containers, networks and volumes, VM lab
folders, and qemu, VDE or libvirt processes. Prints each and exits 1 if there is any.

A run's labs end with ``-<suffix>`` (``-<suffix><worker>`` in a pytest-xdist lane): see
tests/conftest.py. Only those are looked at, so other labs on the same engine are not
counted (nor touched: this only reads).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import docker

from swarmlab.transport.ssh import cache_root

LABEL = "io.swarmlab.lab"


def ours(suffix: str) -> re.Pattern[str]:
    return re.compile(rf"-{re.escape(suffix)}[0-9a-z]?$")


def docker_leftovers(mine: re.Pattern[str]) -> list[str]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        return [f"(the Docker engine does not answer, so its labs could not be listed: {e})"]
    found = []
    for kind, items in (("container", client.containers.list(all=True, ignore_removed=True,
                                                                 filters={"label": LABEL})),
                        ("network", client.networks.list(filters={"label": LABEL})),
                        ("volume", client.volumes.list(filters={"label": LABEL}))):
        for obj in items:
            lab = (obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels")
                   or {}).get(LABEL, "")
            if mine.search(lab):
                found.append(f"{kind} {obj.name} (lab {lab})")
    return found


def machine_leftovers(mine: re.Pattern[str]) -> list[str]:
    found = []
    vm_labs = cache_root() / "vm" / "labs"
    if vm_labs.is_dir():
        found += [f"VM lab folder {p}" for p in vm_labs.iterdir() if mine.search(p.name)]
    ps = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    for line in ps.splitlines():
        pid, stat, args = (line.split(None, 2) + ["", ""])[:3]
        if stat.startswith("Z"):
            continue  # a zombie holds nothing (this sandbox's PID 1 does not reap)
        prog = Path(args.split()[0]).name if args else ""
        if prog.startswith("qemu-system") or prog in ("vde_switch", "libvirtd", "virtlogd"):
            found.append(f"process {pid}: {args[:160]}")
    return found


def main(suffix: str) -> int:
    mine = ours(suffix)
    found = docker_leftovers(mine) + machine_leftovers(mine)
    for f in found:
        print(f"[swarmlab] left behind: {f}")
    if not found:
        print(f"[swarmlab] nothing left behind (labs *-{suffix}*, VMs, qemu, VDE, libvirt)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
