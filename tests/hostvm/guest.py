"""A learner's Linux host in a VM: the kit's own VM image (flavor ``host``: Debian trixie,
cgroup v2, systemd, Docker 26, Python 3.13) with this checkout set up inside it the way
the README says, offline.

What reaches the guest, all over the VM's SSH (``swarmlab.transport.ssh``):

- the checkout: the worktree's files (tracked and new, as ``git ls-files`` lists them),
- a wheelhouse: every wheel the kit and its tests need for the guest's Python, made by
  ``pip download`` from the package index this machine uses (cached per dependency set),
  so ``scripts/bootstrap.sh`` runs inside with ``PIP_NO_INDEX=1``,
- the node image, ``docker save`` here into ``docker load`` there; the lab images are built
  inside by ``swarmlab setup`` (busybox-static, no registry).

The set-up guest disk is kept after a green run (``~/.cache/swarmlab/hostvm/``, keyed on
the host image's recipe and the dependency set) so the next run skips the set-up;
``SWARMLAB_HOSTVM_FRESH=1`` sets one up afresh.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmlab.images import vm as vmimage
from swarmlab.paths import cache_root, private_dir
from swarmlab.transport.base import CommandResult

ROOT = Path(__file__).resolve().parents[2]
GUEST_PYTHON = "3.13"  # Debian trixie's python3
CHECKOUT, WHEELS = "/root/swarmlab", "/root/wheels"
FLAVOR = "host"
FRESH_ENV = "SWARMLAB_HOSTVM_FRESH"


def cache() -> Path:
    return private_dir(cache_root() / "hostvm")


def requirements() -> list[str]:
    """What bootstrap.sh installs (the kit, its test extra) and builds it with."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    return ["pip", *data["build-system"]["requires"], *project["dependencies"],
            *project["optional-dependencies"]["test"]]


def key() -> str:
    """The set-up guest's key: the host image's recipe and the checkout's dependency set
    (only that part of pyproject.toml: a changed marker text sets up no new guest)."""
    h = hashlib.sha256(f"{vmimage.recipe_hash(FLAVOR)} {GUEST_PYTHON}\n".encode())
    h.update("\n".join(requirements()).encode())
    return h.hexdigest()[:16]


def wheelhouse() -> Path:
    """Wheels for the guest's Python, downloaded once per dependency set (``pip download``
    through this machine's own pip configuration: the same index its venvs come from)."""
    folder = cache() / f"wheels-{key()}"
    if (folder / ".ok").exists():
        return folder
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "-d", str(tmp),
           "--python-version", GUEST_PYTHON, "--only-binary=:all:", *requirements()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"pip download for Python {GUEST_PYTHON} failed:\n{proc.stderr[-2000:]}")
    (tmp / ".ok").write_text("")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    for old in cache().glob("wheels-*"):  # other dependency sets' wheels
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def tar_of(files: list[tuple[Path, str]]) -> bytes:
    """An uncompressed tar (an emulated CPU is slow to decompress) of (path, name in tar)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, name in files:
            tar.add(str(path), arcname=name, recursive=False)
    return buf.getvalue()


def checkout_tar() -> bytes:
    """This worktree as it is now (uncommitted edits and new files too, nothing ignored)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "-c", "-o",
                          "--exclude-standard"], capture_output=True, check=True).stdout
    names = sorted({n for n in out.decode().split("\0") if n and (ROOT / n).is_file()})
    return tar_of([(ROOT / n, n) for n in names])


def wheels_tar(folder: Path) -> bytes:
    return tar_of([(p, p.name) for p in sorted(folder.glob("*.whl"))])


def kept_disk() -> Path:
    return cache() / f"guest-{key()}.qcow2"


def want_fresh() -> bool:
    return os.environ.get(FRESH_ENV, "").strip().lower() in ("1", "yes", "true")


def keep(overlay: Path) -> Path:
    """Keep a set-up guest's disk (its qemu stopped) for the next run; drop older ones."""
    target = kept_disk()
    part = target.with_name(target.name + ".part")
    shutil.move(str(overlay), part)
    part.rename(target)
    for old in cache().glob("guest-*.qcow2"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


class Guest:
    """The booted guest: run commands in it (``sh -c``, as root) and note figures."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self.figures: dict[str, float | str] = {}

    def run(self, cmd: str, timeout: float = 600, stdin: bytes | None = None,
            echo: bool = True) -> CommandResult:
        sink: Callable[[str, str], None] | None = None
        if echo:
            def sink(stream: str, text: str) -> None:
                sys.stdout.write(text)
        print(f"\n[guest] $ {cmd[:200]}")
        return self.node.run(cmd, timeout=timeout, stdin=stdin, on_output=sink)  # type: ignore[no-any-return]

    def timed(self, name: str, cmd: str, timeout: float = 1200) -> CommandResult:
        t = time.monotonic()
        res = self.run(cmd, timeout=timeout)
        self.figures[name] = round(time.monotonic() - t, 1)
        return res

    def kit(self, args: str, timeout: float = 900, name: str = "") -> CommandResult:
        """``swarmlab ARGS`` in the checkout, as a learner types it."""
        cmd = f"cd {CHECKOUT} && .venv/bin/swarmlab {args}"
        return self.timed(name, cmd, timeout) if name else self.run(cmd, timeout=timeout)


__all__ = ["CHECKOUT", "FLAVOR", "Guest", "WHEELS", "checkout_tar", "keep", "kept_disk",
           "key", "want_fresh", "wheelhouse", "wheels_tar"]
