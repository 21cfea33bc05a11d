"""Lab 12's set-up: every node's engine may pull service images from the lab's registry.

Two things a real cluster's operator does once per node, done here by the kit:

- the registry's name, ``registry.lab``, resolves on every node to the node that runs
  it (a line in ``/etc/hosts``; a real cluster uses DNS);
- each engine may talk plain HTTP to ``registry.lab:5000`` (``insecure-registries`` in
  ``/etc/docker/daemon.json``, reloaded with SIGHUP; a real registry gets a TLS
  certificate instead).

The kit's nodes never pull (they are offline; it loads its images into them), so their
engines are first restarted with pulls allowed: dind nodes are made again
(``providers/dind/pulls.py``), systemd hosts get a drop-in that lifts the ban.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from swarmlab.parallel import parallel

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.node import Node

REGISTRY_HOST = "registry.lab"
REGISTRY_PORT = 5000
REGISTRY = f"{REGISTRY_HOST}:{REGISTRY_PORT}"

_TRUST = """set -e
# /etc/hosts is mounted by the container engine: rewrite it in place, never rename it
{{ grep -v ' {host}$' /etc/hosts || true; echo '{address} {host}'; }} > /tmp/hosts.swarmlab
cat /tmp/hosts.swarmlab > /etc/hosts; rm -f /tmp/hosts.swarmlab
mkdir -p /etc/docker
if [ ! -s /etc/docker/daemon.json ]; then echo {config} > /etc/docker/daemon.json
elif ! grep -q '"{registry}"' /etc/docker/daemon.json; then
  echo '/etc/docker/daemon.json has settings of its own: add "insecure-registries":' \\
    '["{registry}"] to it by hand, then run prepare_registry(lab) again' >&2; exit 2
fi
kill -HUP $(pidof dockerd)
for i in $(seq 50); do
  docker info --format '{{{{json .RegistryConfig.IndexConfigs}}}}' 2>/dev/null \
    | grep -q '"{registry}","Mirrors":\\[\\],"Secure":false' && exit 0
  sleep 0.2
done
echo "the engine did not take the new settings" >&2; exit 1
"""


def trust_script(address: str) -> str:
    """The shell that makes a node's engine find and trust the registry at ``address``."""
    config = json.dumps({"insecure-registries": [REGISTRY]})
    return _TRUST.format(host=REGISTRY_HOST, address=address, registry=REGISTRY,
                         config=shlex.quote(config))


def prepare_registry(lab: Lab, host: str = "manager1") -> list[str]:
    """Make every node's engine pull from ``registry.lab:5000`` on node ``host``; prints and
    returns what it changed."""
    changes = _allow_pulls(lab)
    address = lab.node(host).address

    def trust(node: Node) -> None:
        node.run(trust_script(address), timeout=30).check(
            hint=f"see `cat /etc/docker/daemon.json` and `docker info` on {node.name}")

    parallel(trust, lab.nodes)
    changes.append(f"every node now finds {REGISTRY_HOST} at {address} ({host}) and may use "
                   f"it over plain HTTP")
    for line in changes:
        print(f"[swarmlab] {line}")
    return changes


def _allow_pulls(lab: Lab) -> list[str]:
    todo = lab.provider.allow_pulls(lab.name, lab.nodes)
    if not todo:
        return []
    lab.wait_ready(timeout=120)
    return [f"restarted the engines of {', '.join(todo)} so that they pull images for their "
            "tasks (the kit's nodes normally never do)"]
