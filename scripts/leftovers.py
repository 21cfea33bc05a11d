"""What a ./test.sh run left behind: its labs' containers, networks and volumes, VM lab
folders, and qemu, VDE or libvirt processes. Prints each and exits 1 if there is any.

    leftovers.py before FILE        note the VM processes that run before the suite
    leftovers.py check SUFFIX FILE  what the run left: labs ending in -SUFFIX (-SUFFIX<lane>
                                    in a pytest-xdist lane, see tests/conftest.py) and VM
                                    processes that were not running before

The dind provider's ``--privileged`` probe containers count too (one lives a second or
two). Otherwise only the run's own labs and processes are looked at, so other labs and VMs
on the same machine are neither counted nor touched (this only reads).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import docker

from swarmlab.paths import cache_root
from swarmlab.providers.labels import LAB as LABEL
from swarmlab.providers.labels import PROBE_LAB


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
            if mine.search(lab) or lab == PROBE_LAB:  # a probe lives a second, never kept
                found.append(f"{kind} {obj.name} (lab {lab})")
    return found


def vm_processes() -> dict[str, str]:
    """pid -> command line of every live qemu, VDE switch, libvirtd and virtlogd."""
    out = {}
    ps = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    for line in ps.splitlines():
        pid, stat, args = (line.split(None, 2) + ["", ""])[:3]
        if stat.startswith("Z"):
            continue  # a zombie holds nothing (this sandbox's PID 1 does not reap)
        prog = Path(args.split()[0]).name if args else ""
        if prog.startswith("qemu-system") or prog in ("vde_switch", "libvirtd", "virtlogd"):
            out[pid] = args
    return out


def machine_leftovers(mine: re.Pattern[str], before: set[str]) -> list[str]:
    found = []
    vm_labs = cache_root() / "vm" / "labs"
    if vm_labs.is_dir():
        found += [f"VM lab folder {p}" for p in vm_labs.iterdir() if mine.search(p.name)]
    for pid, args in vm_processes().items():
        if pid in before:
            continue
        if run_owns(args, mine):
            found.append(f"process {pid}: {args[:160]}")
    return found


_LAB_IN_ARGS = re.compile(r"swarmlab-([a-z0-9-]+)|swarmlab/vm/labs/([a-z0-9-]+)")


def run_owns(args: str, mine: re.Pattern[str]) -> bool:
    """Whether a VM process that appeared during the run is the run's: one that names a
    lab (``-name swarmlab-LAB-NODE``, ``.../vm/labs/LAB/...``) must name one of the run's;
    one that names none (libvirtd, virtlogd) is the run's."""
    labs = [a or b for a, b in _LAB_IN_ARGS.findall(args)]
    return not labs or any(mine.search(lab) or mine.search(lab.rsplit("-", 1)[0])
                           for lab in labs)


def main(suffix: str, before_file: str) -> int:
    mine = ours(suffix)
    before = set(Path(before_file).read_text().split()) if Path(before_file).exists() else set()
    found = docker_leftovers(mine) + machine_leftovers(mine, before)
    for f in found:
        print(f"[swarmlab] left behind: {f}")
    if not found:
        print(f"[swarmlab] nothing left behind (labs *-{suffix}*, VMs, qemu, VDE, libvirt)")
    return 1 if found else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["before"]:
        Path(sys.argv[2]).write_text("\n".join(vm_processes()) + "\n")
        sys.exit(0)
    sys.exit(main(sys.argv[2], sys.argv[3]))
