"""The VM node image: a Debian disk with its own kernel, built offline, cached by recipe.

debootstrap makes the root filesystem (Debian's kernel, systemd, sshd, docker.io), a few
files make it a swarmlab node, ``mkfs.ext4 -d`` turns the folder into a disk without a
loop mount and ``qemu-img`` compacts it. Each VM boots the kernel directly and gets a
copy-on-write overlay of the disk. Per-node settings come from the kernel command line
(see ``GUEST_SETUP``), so one image serves every node of every lab.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from swarmlab.errors import CapabilityMissing, ImageError
from swarmlab.images.build import SUITE
from swarmlab.images.vm_recipe import (
    DEFAULT_FLAVOR,
    ENABLE,
    FILES,
    FLAVORS,
    GENERATORS_OFF,
    GUEST_ADDR,
    GUEST_GW,
    MASK,
    PACKAGES,
    packages,
)
from swarmlab.paths import cache_dir
from swarmlab.progress import Steps

VERSION = "2"  # bump when the steps below change in a way the recipe text does not show
DISK_SIZE = "8G"

@dataclass(frozen=True)
class VmImage:
    """A built image: the kernel, its initrd and the compacted root disk."""

    folder: Path

    @property
    def kernel(self) -> Path:
        return self.folder / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.folder / "initrd.img"

    @property
    def disk(self) -> Path:
        return self.folder / "root.qcow2"

    def complete(self) -> bool:
        return all(p.is_file() for p in (self.kernel, self.initrd, self.disk, self.folder / "ok"))


def recipe_hash(flavor: str = DEFAULT_FLAVOR) -> str:
    """Changes whenever anything that goes into ``flavor``'s image changes (the node
    flavor's hash is the one images had before flavors existed)."""
    h = hashlib.sha256(f"{VERSION} {SUITE} {DISK_SIZE} {packages(flavor)}".encode())
    for path, text in sorted(FILES.items()):
        h.update(f"{path}\0{text}\0".encode())
    h.update(" ".join(ENABLE + MASK + GENERATORS_OFF).encode())
    return h.hexdigest()[:16]


def images_dir() -> Path:
    """Where VM images are kept, one folder per recipe."""
    return cache_dir("vm", "images")


def current(flavor: str = DEFAULT_FLAVOR) -> VmImage:
    """Where ``flavor``'s image of the current recipe is (``trixie-<hash>`` for the node
    flavor, ``trixie-<flavor>-<hash>`` for another)."""
    tag = "" if flavor == DEFAULT_FLAVOR else f"{flavor}-"
    return VmImage(images_dir() / f"{SUITE}-{tag}{recipe_hash(flavor)}")


def tools_missing() -> list[str]:
    """Debian packages whose commands the VM build and boot need, if any are missing."""
    need = {
        "debootstrap": "debootstrap", "mkfs.ext4": "e2fsprogs", "qemu-img": "qemu-utils",
        "qemu-system-x86_64": "qemu-system-x86", "vde_switch": "vde2",
    }
    # /usr/sbin is not on every user's PATH, but the tools run from there all the same.
    return sorted({pkg for cmd, pkg in need.items()
                   if not (shutil.which(cmd) or shutil.which(cmd, path="/usr/sbin:/sbin"))})


def ensure_image(steps: Steps | None = None, force: bool = False,
                 flavor: str = DEFAULT_FLAVOR) -> VmImage:
    """``flavor``'s current image, built first if its recipe changed (minutes, once)."""
    steps = steps or Steps()
    image = current(flavor)
    if image.complete() and not force:
        return image
    missing = tools_missing()
    if missing:
        raise CapabilityMissing(
            f"VM labs need {', '.join(missing)}: `apt-get install {' '.join(missing)}` "
            "(the kit's install step does it), then try again."
        )
    if os.geteuid() != 0:
        raise ImageError(
            "Building the VM image runs debootstrap, which needs root: run "
            "`sudo swarmlab up --provider vm` once (later runs reuse the image)."
        )
    with _build_lock():
        if image.complete() and not force:
            return image  # built by another process while we waited
        what = "" if flavor == DEFAULT_FLAVOR else f"{flavor} "
        with steps.step(f"build the {what}VM image (Debian {SUITE}, recipe "
                        f"{recipe_hash(flavor)})"):
            _build(image, steps, flavor)
    return image


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    with open(images_dir() / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _build(image: VmImage, steps: Steps, flavor: str = DEFAULT_FLAVOR) -> None:
    include = packages(flavor)
    shutil.rmtree(image.folder, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=images_dir()))
    try:
        root = work / "rootfs"
        steps.say(f"    debootstrap {SUITE} with a kernel and docker.io (1-3 minutes) ...")
        _run(["debootstrap", "--variant=minbase", "--include=" + include.replace(" ", ","),
              SUITE, str(root)], "debootstrap", "it needs Debian's package mirror to answer")
        steps.say("    making it a swarmlab node ...")
        _configure(root)
        out = work / "out"
        out.mkdir()
        _copy_boot_files(root, out)
        steps.say(f"    mkfs.ext4 -d ({DISK_SIZE}, sparse) and qemu-img convert ...")
        raw = work / "root.raw"
        _run(["mkfs.ext4", "-q", "-L", "root", "-d", str(root), "-E", "root_owner=0:0",
              str(raw), DISK_SIZE], "mkfs.ext4 -d", "e2fsprogs 1.43 or newer is needed")
        shutil.rmtree(root)
        _run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(out / "root.qcow2")],
             "qemu-img convert", "is the disk full?")
        raw.unlink()
        (out / "recipe.txt").write_text(f"{SUITE}\n{include}\n{recipe_hash(flavor)}\n")
        (out / "ok").write_text("")
        out.rename(image.folder)
        size = (image.folder / "root.qcow2").stat().st_size / 1e6
        steps.say(f"    image ready: {image.folder} ({size:.0f} MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _configure(root: Path) -> None:
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink():
            p.unlink()
        p.write_text(text)
    (root / "usr/local/sbin/swarmlab-guest-setup").chmod(0o755)
    off = root / "etc/systemd/system-generators"
    off.mkdir(parents=True, exist_ok=True)
    for name in GENERATORS_OFF:
        (off / name).unlink(missing_ok=True)
        (off / name).symlink_to("/dev/null")
    # Host keys are made per node at its first boot, never shared through the image.
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for f in (root / junk).glob("*"):
            if f.is_file():
                f.unlink()
    _run(["chroot", str(root), "update-initramfs", "-u", "-k", "all"], "update-initramfs", "")
    _run(["chroot", str(root), "systemctl", "enable", *ENABLE], "systemctl enable", "")
    _run(["chroot", str(root), "systemctl", "mask", *MASK], "systemctl mask", "")
    _run(["chroot", str(root), "systemctl", "set-default", "multi-user.target"],
         "systemctl set-default", "")


def _copy_boot_files(root: Path, out: Path) -> None:
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise ImageError("debootstrap installed no kernel (linux-image-cloud-amd64).")
    version = kernels[-1].name.removeprefix("vmlinuz-")
    initrd = root / "boot" / f"initrd.img-{version}"
    if not initrd.is_file():
        raise ImageError(f"No initrd for kernel {version}: initramfs-tools did not run.")
    shutil.copyfile(kernels[-1], out / "vmlinuz")
    shutil.copyfile(initrd, out / "initrd.img")
    (out / "kernel.txt").write_text(version + "\n")


def _run(cmd: list[str], what: str, hint: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImageError(
            f"{what} failed (exit {proc.returncode}): "
            f"{(proc.stdout[-600:] + proc.stderr[-600:]).strip()}"
            + (f"\nHint: {hint}" if hint else "")
        )


def forget_old_images(in_use: set[Path]) -> int:
    """Remove images of older recipes (about 1 GB each) that no VM's overlay still uses;
    the current image of every flavor stays."""
    keep = {*(current(f).folder for f in FLAVORS), *in_use}
    gone = 0
    for old in images_dir().iterdir():
        if old.is_dir() and old not in keep and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
            gone += 1
    return gone


__all__ = [
    "ENABLE", "FILES", "FLAVORS", "GENERATORS_OFF", "GUEST_ADDR", "GUEST_GW", "MASK", "PACKAGES",
    "VmImage",
    "current", "ensure_image", "forget_old_images", "packages", "recipe_hash", "tools_missing",
]
