"""The kind of host the kit runs on, from recorded facts: plain Linux (cgroup v1 or v2),
rootless Docker, Docker Desktop on macOS or Windows, WSL2 with or without systemd, and a
Docker too old for the kit. Each item is PASS / WARN / FAIL with the fix.

Facts are a small dict (``gather``): ``host`` from ``swarmlab.host.facts()`` and
``docker`` from ``docker info`` / ``docker version``, plus whether ``--privileged`` runs.
Recorded examples per host kind live in ``tests/fixtures/hosts/``.
"""

from __future__ import annotations

import re
from typing import Any

from swarmlab.doctor.items import Item

# The oldest host engine the kit supports, and why: nodes are started with a private
# cgroup namespace (``cgroupns="private"``, Engine API 1.41, new in Docker 20.10), and
# 20.10 is the first Docker that runs containers at all on a cgroup v2 host (the default
# of every current Linux). Swarm itself runs on the nodes' own engines (the node image's).
MIN_DOCKER = (20, 10)
MIN_API = (1, 41)
WHY_MIN = ("nodes start with a private cgroup namespace (--cgroupns, Engine API 1.41, new "
           "in 20.10), and 20.10 is the first Docker that runs containers on cgroup v2 hosts")
WSL_SYSTEMD = ("add `[boot]` and `systemd=true` to /etc/wsl.conf, run `wsl --shutdown` in "
               "Windows, then open the distribution again")
DESKTOP_LIMITS = ("nodes run in Desktop's Linux VM (privileged, cgroup v2, IPVS: the routing "
                  "mesh works); node addresses are reachable only inside that VM, so use "
                  "`swarmlab exec` or %%node, not the host's shell or browser")


def docker_facts(info: dict[str, Any], version: dict[str, Any],
                 privileged: bool | None) -> dict[str, Any]:
    """The Docker part of the facts, from ``docker info``, ``docker version`` and the
    ``--privileged`` probe (None: not tried)."""
    return {"version": str(version.get("Version", "")), "api": str(version.get("ApiVersion", "")),
            "os": str(info.get("OperatingSystem", "")), "os_type": str(info.get("OSType", "")),
            "kernel": str(info.get("KernelVersion", "")),
            "cgroup_version": str(info.get("CgroupVersion") or "1"),
            "cgroup_driver": str(info.get("CgroupDriver", "")),
            "security": list(info.get("SecurityOptions") or []),
            "mem_total": int(info.get("MemTotal") or 0), "privileged": privileged}


def kind(facts: dict[str, Any]) -> str:
    """``linux``, ``desktop-mac``, ``desktop-win`` (used from WSL2), ``desktop-linux``,
    ``windows`` (Python on Windows itself), ``wsl2`` (Docker Engine in the distribution,
    with systemd) or ``wsl2-no-systemd``."""
    h, d = facts["host"], facts.get("docker") or {}
    desktop = "docker desktop" in str(d.get("os", "")).lower()
    if h.get("platform") == "darwin":
        return "desktop-mac"
    if h.get("platform") == "win32":
        return "windows"
    if h.get("wsl"):
        return "desktop-win" if desktop else "wsl2" if h.get("systemd") else "wsl2-no-systemd"
    return "desktop-linux" if desktop else "linux"


def is_desktop(facts: dict[str, Any]) -> bool:
    return kind(facts).startswith("desktop")


def host_item(facts: dict[str, Any], need_mib: int = 0) -> Item:
    """What kind of host this is, what works there and what the learner sets up."""
    h, d = facts["host"], facts.get("docker") or {}
    k, memory = kind(facts), f" at least {max(need_mib // 1024 + 1, 4)} GB of memory"
    if k == "windows":
        return Item("host", "FAIL", "Python on Windows itself: the kit runs inside Linux",
                    "install WSL2 (`wsl --install -d Ubuntu`), turn on Docker Desktop's WSL "
                    "integration for it, and run ./lab.sh inside the distribution")
    if k == "desktop-mac":
        return Item("host", "WARN", f"Docker Desktop on macOS: {DESKTOP_LIMITS}; the vm and "
                    "vagrant providers are not supported here",
                    f"Docker Desktop > Settings > Resources: give it{memory}; run the kit "
                    "from a Python 3.11+ venv on the Mac (bash scripts/bootstrap.sh)")
    if k == "desktop-win":
        return Item("host", "WARN", f"Docker Desktop on Windows, used from WSL2: "
                    f"{DESKTOP_LIMITS}; Jupyter runs in the distribution and the Windows "
                    "browser opens it at localhost",
                    f"Docker Desktop > Settings > Resources: give it{memory}, and turn on "
                    "WSL integration for this distribution")
    if k == "desktop-linux":
        return Item("host", "WARN", f"Docker Desktop on Linux: {DESKTOP_LIMITS}",
                    f"Docker Desktop > Settings > Resources: give it{memory} (or use the "
                    "Docker Engine of the distribution, which needs no VM)")
    if k == "wsl2-no-systemd":
        return Item("host", "WARN", "WSL2 without systemd: Docker does not start by itself "
                    "and the engines inside nodes may miss the name=systemd cgroup",
                    f"turn on systemd: {WSL_SYSTEMD} (or start Docker by hand each time: "
                    "`sudo service docker start`)")
    what = "WSL2 with systemd" if k == "wsl2" else f"Linux ({d.get('os') or 'unknown'})"
    init = "systemd" if h.get("systemd") else (h.get("init") or "no init")
    return Item("host", "PASS", f"{what}, kernel {h.get('kernel', '?')}, init {init}")


def _numbers(text: str, n: int) -> tuple[int, ...] | None:
    m = re.match(r"v?(\d+)\.(\d+)" + (r"\.?(\d*)" if n > 2 else ""), text.strip())
    return tuple(int(x or 0) for x in m.groups()) if m else None


def engine_item(version: dict[str, Any] | None, error: str = "") -> Item:
    """The host engine answers, and is not older than the kit supports."""
    if version is None:
        return Item("docker engine", "FAIL", error or "no engine answers",
                    "run ./lab.sh (installs and starts Docker on Debian/Ubuntu), or start Docker")
    text, api = str(version.get("Version", "")), str(version.get("ApiVersion", ""))
    got, got_api = _numbers(text, 2), _numbers(api, 2)
    detail = f"{text} (API {api})"
    if got is None:
        return Item("docker engine", "WARN", f"{detail}: cannot tell the version",
                    f"make sure it is Docker {MIN_DOCKER[0]}.{MIN_DOCKER[1]} or newer")
    if got < MIN_DOCKER or (got_api is not None and got_api < MIN_API):
        return Item("docker engine", "FAIL",
                    f"{detail} is older than {MIN_DOCKER[0]}.{MIN_DOCKER[1]} (API "
                    f"{MIN_API[0]}.{MIN_API[1]}), the oldest the kit supports: {WHY_MIN}",
                    "install a newer Docker: ./lab.sh on Debian/Ubuntu, or "
                    "https://docs.docker.com/engine/install/ (on Docker Desktop: update it)")
    return Item("docker engine", "PASS", detail)


def rootless_item(info: dict[str, Any]) -> Item:
    """A rootless engine is refused: the nodes' own engines need real root."""
    opts = " ".join(info.get("SecurityOptions") or info.get("security") or [])
    if "rootless" in opts:
        return Item("rootful engine", "FAIL", "the engine runs rootless: the Docker engines "
                    "inside the nodes need real root (mounts, cgroups, iptables), which a "
                    "rootless engine cannot give, so the kit refuses it",
                    "use a rootful Docker engine (`sudo systemctl enable --now docker`, then "
                    "unset DOCKER_HOST / `docker context use default`), or the vm provider "
                    "(`swarmlab up --provider vm`), whose nodes are VMs")
    return Item("rootful engine", "PASS", "the engine runs as root")


def desktop_item(info: dict[str, Any]) -> Item | None:
    """The Desktop line of older callers (``host_item`` says more)."""
    os_name = str(info.get("OperatingSystem", ""))
    if "Docker Desktop" not in os_name:
        return None
    return Item("Docker Desktop", "PASS", f"{os_name}: {DESKTOP_LIMITS}")


def privilege_item(privileged: bool | None) -> Item:
    """Nodes run ``--privileged`` where the host allows it, else with capabilities."""
    if privileged is None:
        return Item("node privileges", "WARN", "not tried: no node image",
                    "swarmlab images build, then swarmlab doctor")
    if privileged:
        return Item("node privileges", "PASS", "nodes run with --privileged")
    return Item("node privileges", "PASS", "nodes run with --cap-add ALL --cap-drop "
                "SYS_RESOURCE and a private cgroup namespace (this host refuses --privileged): "
                "the labs work; devices and kernel settings stay the host's")


def cgroup_layout_item(facts: dict[str, Any]) -> Item:
    """The cgroup version and layout the nodes' engines will find."""
    h, d = facts["host"], facts.get("docker") or {}
    driver = d.get("cgroup_driver") or "?"
    if is_desktop(facts) or h.get("platform") != "linux":
        return Item("cgroup layout", "PASS", f"v{d.get('cgroup_version', '?')} in Docker "
                    f"Desktop's VM (driver {driver})")
    layout = h.get("cgroup", "none")
    if layout == "none":
        return Item("cgroup layout", "FAIL", "no cgroup hierarchy is mounted: no container "
                    "can start", f"turn on systemd ({WSL_SYSTEMD})" if h.get("wsl") else
                    "mount cgroups (`sudo cgroupfs-mount`) or boot with systemd")
    if layout == "v2":
        return Item("cgroup layout", "PASS", f"v2 (unified, driver {driver}): each node gets "
                    "its own cgroup namespace and nests its containers below it")
    if not h.get("cgroup_v1_systemd"):
        return Item("cgroup layout", "WARN", f"v1 ({layout}) without the name=systemd "
                    "hierarchy: engines inside nodes fail with 'cannot find cgroup mount "
                    "destination'",
                    "`sudo mkdir -p /sys/fs/cgroup/systemd && sudo mount -t cgroup -o "
                    "none,name=systemd cgroup /sys/fs/cgroup/systemd`"
                    + (f", or turn on systemd: {WSL_SYSTEMD}" if h.get("wsl") else ""))
    return Item("cgroup layout", "PASS", f"v1 ({layout}, driver {driver}): nodes mount the "
                "v1 controllers")


def host_items(facts: dict[str, Any], need_mib: int = 0) -> list[Item]:
    """Every host-kind item, in the order doctor prints them."""
    d = facts.get("docker") or {}
    return [host_item(facts, need_mib),
            engine_item({"Version": d.get("version"), "ApiVersion": d.get("api")}),
            rootless_item({"SecurityOptions": d.get("security") or []}),
            cgroup_layout_item(facts), privilege_item(d.get("privileged"))]
