"""The memory guard reads the process's own cgroup v2 limit too (a container, a systemd
slice with MemoryMax=, a CI runner): free memory is the smaller of /proc/meminfo's
MemAvailable and what ``memory.max`` leaves. Cgroup trees are laid out in tmp_path as the
kernel shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmlab import host
from swarmlab.errors import CapabilityMissing
from swarmlab.providers.common import require_memory

MIB = 1024 * 1024


def tree(tmp_path: Path, own: str, limits: dict[str, tuple[str, int, int]]) -> tuple[str, str]:
    """A /proc/self/cgroup naming ``own`` and a cgroup2 root with, per path, (memory.max,
    memory.current, inactive_file)."""
    proc = tmp_path / "cgroup"
    proc.write_text(f"0::{own}\n")
    root = tmp_path / "fs"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    for rel, (limit, current, inactive) in limits.items():
        d = root / rel.strip("/") if rel.strip("/") else root
        d.mkdir(parents=True, exist_ok=True)
        (d / "memory.max").write_text(f"{limit}\n")
        (d / "memory.current").write_text(f"{current}\n")
        (d / "memory.stat").write_text(f"anon 1000\nfile 5000\ninactive_file {inactive}\n")
    return str(proc), str(root)


def test_the_own_cgroup_limit_minus_its_use_is_what_is_free(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "/system.slice/lab.scope",
                      {"/system.slice/lab.scope": (str(2048 * MIB), 1500 * MIB, 100 * MIB)})
    assert host.cgroup_memory_free_kib(proc, root) == (2048 - 1500 + 100) * 1024


def test_a_parent_s_tighter_limit_counts(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "/user.slice/session.scope", {
        "/user.slice": (str(1024 * MIB), 900 * MIB, 0),  # the slice's MemoryMax=
        "/user.slice/session.scope": ("max", 800 * MIB, 0),
    })
    assert host.cgroup_memory_free_kib(proc, root) == 124 * 1024


def test_no_limit_anywhere_or_cgroup_v1_gives_none(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "/init.scope", {"/init.scope": ("max", 10 * MIB, 0)})
    assert host.cgroup_memory_free_kib(proc, root) is None
    v1 = tmp_path / "v1"
    v1.write_text("4:memory:/docker/abc\n0::/\n")  # a v1 host: no memory.max at the root
    assert host.cgroup_memory_free_kib(str(v1), str(tmp_path / "nothing")) is None


def test_a_private_cgroup_namespace_reads_its_own_root(tmp_path: Path) -> None:
    # In a container with its own cgroup namespace, /proc/self/cgroup says 0::/ and the
    # container's limit is on the mount's root.
    proc, root = tree(tmp_path, "/", {"/": (str(512 * MIB), 200 * MIB, 0)})
    assert host.cgroup_memory_free_kib(proc, root) == 312 * 1024


def test_the_guard_takes_the_smaller_of_meminfo_and_the_cgroup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 24000000 kB\nMemAvailable: 20000000 kB\n")
    real_read = host.read
    monkeypatch.setattr(host, "read", lambda p: real_read(str(meminfo) if p == "/proc/meminfo"
                                                          else p))
    monkeypatch.setattr(host, "cgroup_memory_free_kib", lambda: 300 * 1024)
    assert host.mem_available_kib() == 300 * 1024
    with pytest.raises(CapabilityMissing, match="need about 400 MiB.*300 MiB"):
        require_memory(400, "nodes need about {need} MiB and {free} MiB is free")
    monkeypatch.setattr(host, "cgroup_memory_free_kib", lambda: None)
    assert host.mem_available_kib() == 20000000
    monkeypatch.setattr(host, "cgroup_memory_free_kib", lambda: 30000000 * 1024)
    assert host.mem_available_kib() == 20000000  # a limit above what the host has
