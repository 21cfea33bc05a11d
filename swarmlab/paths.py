"""Where the kit keeps what it makes on the host: one cache root, private folders below it.

::

    ~/.cache/swarmlab/          cache_root()  ($SWARMLAB_CACHE, else $XDG_CACHE_HOME/swarmlab)
      ssh/<lab>/                lab_ssh_dir(): the lab's key and known_hosts (ssh, vm, vagrant)
      ssh/<lab>/inventory.yaml  the ssh provider's record of a lab
      vagrant/<lab>/            the vagrant provider's record and Vagrant state
      vagrant/box/              the offline Vagrant box
      vm/images/, vm/labs/<lab> the VM image, and each VM lab's folder
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$SWARMLAB_CACHE``, else ``$XDG_CACHE_HOME/swarmlab``, else ``~/.cache/swarmlab``."""
    if os.environ.get("SWARMLAB_CACHE"):
        return Path(os.environ["SWARMLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "swarmlab"


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can read."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def cache_dir(*parts: str) -> Path:
    """``cache_root()/part/...``, every level made private (0700)."""
    path = cache_root()
    for part in parts:
        path = private_dir(path / part)
    return path


def lab_ssh_dir(lab: str) -> Path:
    """The folder with the lab's SSH key and known_hosts (created, 0700)."""
    return cache_dir("ssh", lab)


def known_hosts_path(lab: str) -> Path:
    """The lab's own known_hosts file (every node's host key, recorded on first contact)."""
    return lab_ssh_dir(lab) / "known_hosts"


__all__ = ["cache_dir", "cache_root", "known_hosts_path", "lab_ssh_dir", "private_dir"]
