"""The lab's known_hosts file: trust a node's host key on first use, refuse a changed one.

Every node of a lab shares one file (``paths.known_hosts_path(lab)``), so writes are
serialised and atomic.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import paramiko

_FILE_LOCK = threading.Lock()  # known_hosts files are shared by every node of a lab


class RecordFirstKey(paramiko.MissingHostKeyPolicy):
    """Trust on first use: record an unknown host's key; refuse a host known otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        with _FILE_LOCK:
            keys = paramiko.HostKeys()
            if self.path.exists():
                keys.load(str(self.path))
            known = keys.lookup(hostname)
            if known:
                # Known under another key type: as suspicious as a changed key.
                old = next(iter(known.values()))
                raise paramiko.BadHostKeyException(hostname, key, old)
            keys.add(hostname, key.get_name(), key)
            _save_keys(keys, self.path)


def _save_keys(keys: paramiko.HostKeys, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    keys.save(str(tmp))
    os.replace(tmp, path)


def forget_host_key(known_hosts: Path, host: str, port: int = 22) -> bool:
    """Drop the recorded key of ``host:port`` (a machine the kit has just made anew)."""
    name = host if port == 22 else f"[{host}]:{port}"
    with _FILE_LOCK:
        if not known_hosts.exists():
            return False
        keys = paramiko.HostKeys()
        keys.load(str(known_hosts))
        if name not in keys:
            return False
        del keys[name]
        _save_keys(keys, known_hosts)
        return True


__all__ = ["RecordFirstKey", "forget_host_key"]
