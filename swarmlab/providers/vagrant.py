"""vagrant: the VMs of the kit's Vagrantfile (``vagrant/``), reached over SSH.

``create`` runs ``vagrant up`` (its lines are the progress), reads ``vagrant ssh-config``
into SSH hosts and hands them to the ssh provider's machinery; the swarm is formed on
the private network's addresses (managers SUBNET.10+N, workers SUBNET.100+N, as in the
Vagrantfile). Each lab has its own Vagrant state folder (``VAGRANT_DOTFILE_PATH``) under
``~/.cache/swarmlab/vagrant/<lab>``, so several labs can share one Vagrantfile. ``stop``
and ``start`` are ``vagrant halt/up NODE``; ``delete`` is ``vagrant destroy -f``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from swarmlab.errors import ProviderError, SpecError
from swarmlab.images import box as offline
from swarmlab.images.box import require_vagrant, vagrant_env
from swarmlab.node import Node
from swarmlab.paths import cache_root, known_hosts_path
from swarmlab.progress import Steps
from swarmlab.providers.common import node_address, parallel
from swarmlab.providers.ssh import Host, SshProvider
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.known_hosts import forget_host_key

DEFAULTS: dict[str, Any] = {
    "lab": "vagrant", "managers": 1, "workers": 2, "memory": 1024, "cpus": 1,
    "box": "debian/bookworm64", "subnet": "192.168.56",
}
# What `vagrant status` calls a machine that is there but not running, per provider.
_STEP_LINE = re.compile(r"^==> [\w.-]+: \S")  # not the indented detail lines under a step
STOPPED = {"shutoff", "poweroff", "saved", "aborted", "paused", "shutdown", "stopped"}


def default_dir() -> Path:
    """The kit's ``vagrant/`` folder (or ``$SWARMLAB_VAGRANT_DIR``)."""
    env = os.environ.get("SWARMLAB_VAGRANT_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "vagrant"


def settings(folder: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The Vagrantfile's settings as it reads them: env, then swarmlab.yml, then defaults."""
    env = dict(os.environ if env is None else env)
    cfg = dict(DEFAULTS)
    path = Path(env.get("SWARMLAB_VAGRANT_CONFIG") or folder / "swarmlab.yml")
    if path.is_file():
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise SpecError(f"{path} must be a mapping of settings.")
        unknown = set(data) - set(DEFAULTS)
        if unknown:
            raise SpecError(f"Unknown setting(s) {', '.join(sorted(unknown))} in {path}.")
        cfg.update(data)
    for key in DEFAULTS:
        if env.get(f"SWARMLAB_{key.upper()}"):
            cfg[key] = env[f"SWARMLAB_{key.upper()}"]
    octets = str(cfg["subnet"]).split(".")
    if len(octets) != 3 or not all(o.isdigit() and int(o) < 256 for o in octets):
        raise SpecError(f"subnet must be three octets like 192.168.56, not {cfg['subnet']!r}.")
    return cfg


def parse_ssh_config(text: str) -> dict[str, dict[str, str]]:
    """``vagrant ssh-config`` output -> {machine: {hostname, port, user, identityfile}}."""
    hosts: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            continue
        key, value = parts[0].lower(), parts[1].strip().strip('"')
        if key == "host":
            current = hosts.setdefault(value, {})
        elif current is not None and key not in current:
            current[key] = value  # the first IdentityFile is the one Vagrant uses
    return hosts


def parse_status(text: str) -> dict[str, str]:
    """``vagrant status --machine-readable`` -> {machine: state}."""
    states = {}
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) >= 4 and parts[2] == "state" and parts[1]:
            states[parts[1]] = parts[3]
    return states


class VagrantProvider(SshProvider):
    """The kit's Vagrantfile, one Vagrant state folder per lab."""

    name = "vagrant"
    folder = "vagrant"

    def __init__(self, vagrant_dir: str | Path | None = None, client: Any = None,
                 vagrant_provider: str | None = None) -> None:
        super().__init__(None, client)
        self.vagrant_dir = Path(vagrant_dir) if vagrant_dir else default_dir()
        self.vagrant_provider = vagrant_provider or os.environ.get("VAGRANT_DEFAULT_PROVIDER")

    # ----- running vagrant ------------------------------------------------------------------
    def _env(self, lab: str, rec: dict[str, Any]) -> dict[str, str]:
        env = {
            **vagrant_env(),
            "VAGRANT_CWD": rec.get("vagrant_dir", str(self.vagrant_dir)),
            "VAGRANT_DOTFILE_PATH": str(self._lab_dir(lab) / "state"),
            "SWARMLAB_LAB": lab,
        }
        for key in ("managers", "workers", "subnet", "box", "memory", "cpus"):
            if key in rec:
                env[f"SWARMLAB_{key.upper()}"] = str(rec[key])
        return env

    def _vagrant(self, lab: str, args: list[str], steps: Steps | None = None,
                 timeout: float = 1800, check: bool = True) -> str:
        """Run vagrant for the lab; with ``steps``, its ``==>`` lines are the progress."""
        require_vagrant()
        rec = self._read(lab)
        proc = subprocess.Popen(["vagrant", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=self._env(lab, rec))
        lines: list[str] = []
        watchdog = threading.Timer(timeout, proc.kill)  # also when vagrant goes silent
        watchdog.start()
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line.rstrip())
                if steps is not None and _worth_showing(line):
                    steps.say("    " + line.strip())
            proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            watchdog.cancel()
        last = "\n".join(without_backtrace(lines)[-15:])  # what an error shows of vagrant
        if proc.returncode == -signal.SIGKILL:
            raise ProviderError(
                f"`vagrant {' '.join(args)}` took over {timeout:.0f}s and was stopped; its "
                f"last lines:\n{last}\n`vagrant status` in vagrant/ shows where each machine "
                "was.")
        out = "\n".join(lines)
        if check and proc.returncode != 0:
            raise ProviderError(
                f"`vagrant {' '.join(args)}` failed (exit {proc.returncode}):\n{last}"
                + "\nHint: see vagrant/README.md, Troubleshooting; `swarmlab doctor` checks "
                "the host."
            )
        return out

    # ----- creating -------------------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """``vagrant up`` the spec's machines in the lab's own Vagrant state folder."""
        if not (self.vagrant_dir / "Vagrantfile").is_file():
            raise SpecError(f"No Vagrantfile in {self.vagrant_dir}: set SWARMLAB_VAGRANT_DIR "
                            "to the kit's vagrant/ folder.")
        cfg = settings(self.vagrant_dir)
        rec = {
            "vagrant_dir": str(self.vagrant_dir.resolve()), "subnet": str(cfg["subnet"]),
            "managers": spec.managers, "workers": spec.workers, "hosts": [], "used": [],
        }
        if os.environ.get("SWARMLAB_BOX"):
            rec["box"] = os.environ["SWARMLAB_BOX"]
        self._save(spec.name, rec)
        self._maybe_offline_box(str(rec.get("box", cfg["box"])), steps)
        names = [n.name for n in spec.nodes]
        extra = ["--provider", self.vagrant_provider] if self.vagrant_provider else []
        with steps.step(f"vagrant up {' '.join(names)} (boot and provision the VMs)"):
            self._vagrant(spec.name, ["up", *extra, *names], steps)
        return self._attach(spec.name, spec.nodes, steps)

    def _maybe_offline_box(self, box: str, steps: Steps) -> None:
        if box == offline.BOX_NAME:
            offline.ensure_box(steps)

    def _attach(self, lab: str, wanted: list[NodeSpec], steps: Steps,
                new: bool = False) -> list[Node]:
        """Read ``vagrant ssh-config`` for ``wanted`` and reach their Docker engines.

        ``new``: the VMs were just created, so any host key recorded for their SSH address
        belonged to an earlier VM there and is forgotten."""
        rec = self._read(lab)
        config = parse_ssh_config(self._vagrant(lab, ["ssh-config", *(n.name for n in wanted)]))
        hosts = {h["name"]: h for h in rec.get("hosts", [])}
        for n in wanted:
            c = config.get(n.name)
            if not c:
                raise ProviderError(f"`vagrant ssh-config` says nothing of {n.name}.")
            user = c.get("user", "vagrant")
            hosts[n.name] = asdict(Host(
                name=n.name, role=n.role, address=c.get("hostname", "127.0.0.1"),
                user=user, port=int(c.get("port", 22)), key=c.get("identityfile", ""),
                advertise=node_address(str(rec["subnet"]), n), sudo=user != "root",
            ))
        rec["hosts"] = list(hosts.values())
        self._save(lab, rec)
        if new:
            for n in wanted:
                h = hosts[n.name]
                forget_host_key(known_hosts_path(lab), h["address"], int(h["port"]))
        with steps.step(f"reach {len(wanted)} VMs over SSH and their Docker engines"):
            nodes = [self._prepare(lab, Host(**hosts[n.name])) for n in wanted]
        self._save_used(lab, nodes)
        return nodes

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """``vagrant up`` one more machine (the lab's counts grow to include it)."""
        rec = self._read(lab)
        role = "managers" if node.role == "manager" else "workers"
        rec[role] = max(int(rec.get(role, 0)), node.index)
        self._save(lab, rec)
        with steps.step(f"vagrant up {node.name}"):
            self._vagrant(lab, ["up", node.name], steps)
        return self._attach(lab, [node], steps, new=True)[0]

    def wait_engine(self, node: Node, timeout: float = 180) -> None:
        """As the ssh provider's, with time for a VM that has just booted."""
        super().wait_engine(node, timeout=timeout)

    # ----- power ------------------------------------------------------------------------------
    def states(self, lab: str) -> dict[str, str]:
        """Node -> running / exited, from ``vagrant status``."""
        known = {n.name for n in self.find(lab)}
        out = self._vagrant(lab, ["status", "--machine-readable"], check=False)
        states = {}
        for name, state in parse_status(out).items():
            if name in known:
                states[name] = ("running" if state == "running"
                                else "exited" if state in STOPPED else state)
        return states

    def stop(self, lab: str, node: str) -> None:
        """``vagrant halt NODE``."""
        self._find_one(lab, node)
        self._vagrant(lab, ["halt", node], timeout=300)

    def start(self, lab: str, node: str) -> None:
        """``vagrant up NODE`` (re-attached if it was destroyed by hand), then its engine."""
        self.start_many(lab, [node])

    def start_many(self, lab: str, nodes: list[str]) -> None:
        """One ``vagrant up NODE...`` (vagrant-libvirt boots them together); machines
        destroyed by hand are attached anew (new host keys), the others' engines awaited."""
        found = {name: self._find_one(lab, name) for name in nodes}
        states = self.states(lab)
        recreated = [name for name in nodes if states.get(name) == "not_created"]
        self._vagrant(lab, ["up", *nodes], timeout=900)
        if recreated:
            self._attach(lab, [NodeSpec.parse(n) for n in recreated], Steps(quiet=True),
                         new=True)
        parallel(lambda n: self.wait_engine(found[n]), [n for n in nodes if n not in recreated])

    # ----- removing ---------------------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        """``vagrant destroy -f NODE`` and forget it."""
        self._find_one(lab, node)
        self._vagrant(lab, ["destroy", "-f", node], timeout=300)
        rec = self._read(lab)
        rec["used"] = [u for u in rec.get("used", []) if u != node]
        self._save(lab, rec)

    def delete(self, lab: str) -> int:
        """``vagrant destroy -f`` every VM of the lab, then forget the lab."""
        rec = self._read(lab)
        gone = 0
        if rec and (cache_root() / self.folder / lab / "state").is_dir():
            # Every machine the Vagrantfile defines for the lab's counts: also those whose
            # `up` failed before the kit recorded them. A failure keeps the lab's record, so
            # that `swarmlab down` can try again.
            out = self._vagrant(lab, ["destroy", "-f"], timeout=600)
            gone += out.count("Removing domain") + out.count("Destroying VM")
        return gone + self._forget(lab)


_FRAME = re.compile(r"^\s*(from )?/\S+\.rb:\d+:in `[^']*'(: (?P<message>.*))?$")


def without_backtrace(lines: list[str]) -> list[str]:
    """Vagrant's output minus Ruby stack frames, keeping the error message a frame carries."""
    kept = []
    for line in lines:
        m = _FRAME.match(line)
        if m is None:
            kept.append(line)
        elif m.group("message"):
            kept.append(m.group("message"))
    return kept


def _worth_showing(line: str) -> bool:
    """Vagrant's step lines, not the detail it prints for each domain setting."""
    return bool(_STEP_LINE.match(line)) and " -- " not in line


__all__ = ["VagrantProvider", "default_dir", "node_address", "parse_ssh_config",
           "parse_status", "settings", "without_backtrace"]
