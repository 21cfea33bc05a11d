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
from swarmlab.paths import cache_dir
from swarmlab.progress import Steps

VERSION = "2"  # bump when the steps below change in a way the recipe text does not show
DISK_SIZE = "8G"
PACKAGES = (
    "systemd-sysv udev dbus kmod procps iproute2 iptables netbase openssh-server "
    "docker.io docker-cli curl ca-certificates linux-image-cloud-amd64 "
    # For Vagrant boxes: the address query of vagrant-libvirt, and the network
    # configuration Vagrant writes for private networks on Debian guests.
    "qemu-guest-agent ifupdown isc-dhcp-client"
)
GUEST_ADDR = "10.0.2.15"  # the guest side of qemu's user-mode NIC (its default)
GUEST_GW = "10.0.2.2"

# Runs at every boot before sshd and dockerd. Addresses come from the kernel command line
# (``swarmlab.addr=IFACE:CIDR``, repeatable, and ``swarmlab.gw=IP``): the vm provider and
# the CI Vagrant override give static ones. With none for eth0 (a Vagrant box booted by a
# plain libvirt or another hypervisor), eth0 asks DHCP through ifupdown, which is also
# what Vagrant uses to configure its private networks. ``swarmlab.key=`` authorizes an SSH
# key at the first boot only, so a key Vagrant inserts later is kept. The host key is made
# once per node (first boot of its overlay) and kept, so a node that restarts keeps the key
# the lab recorded. Only ed25519: making RSA keys takes many seconds on an emulated CPU.
GUEST_SETUP = """#!/bin/sh
set -u
gw=""; key=""; eth0=""
ip link set lo up
for w in $(cat /proc/cmdline); do
  case "$w" in
    swarmlab.addr=*:*)
      v=${w#*=}; dev=${v%%:*}; cidr=${v#*:}
      [ "$dev" = eth0 ] && eth0=static
      i=0; while ! ip link show "$dev" >/dev/null 2>&1 && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i+1)); done
      ip link set "$dev" up && ip addr replace "$cidr" dev "$dev" ;;
    swarmlab.gw=*) gw=${w#*=} ;;
    swarmlab.key=*) key=${w#*=} ;;
  esac
done
[ -n "$gw" ] && ip route replace default via "$gw"
dhcp=/etc/network/interfaces.d/swarmlab-eth0
if [ -z "$eth0" ]; then
  printf 'auto eth0\\niface eth0 inet dhcp\\n' > "$dhcp"
else
  rm -f "$dhcp"
fi
mkdir -p /root/.ssh && chmod 700 /root/.ssh
if [ -n "$key" ] && [ ! -s /root/.ssh/authorized_keys ]; then
  printf '%s\\n' "$key" | sed 's/:/ /' > /root/.ssh/authorized_keys
fi
chmod 600 /root/.ssh/authorized_keys 2>/dev/null
k=/etc/ssh/ssh_host_ed25519_key
[ -s "$k" ] || ssh-keygen -q -t ed25519 -N '' -f "$k"
exit 0
"""

GUEST_UNIT = """[Unit]
Description=swarmlab node setup (addresses, lab key, host keys)
DefaultDependencies=no
After=systemd-udev-settle.service local-fs.target sys-subsystem-net-devices-eth0.device
Wants=sys-subsystem-net-devices-eth0.device
Before=network.target networking.service ssh.service docker.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/swarmlab-guest-setup

[Install]
WantedBy=multi-user.target
"""

FILES: dict[str, str] = {
    "usr/local/sbin/swarmlab-guest-setup": GUEST_SETUP,
    "etc/systemd/system/swarmlab-guest.service": GUEST_UNIT,
    # Lab images are loaded, never pulled: don't ask a registry before every task.
    "etc/systemd/system/docker.service.d/swarmlab.conf":
        "[Service]\nEnvironment=DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n",
    "etc/ssh/sshd_config.d/swarmlab.conf":
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n",
    # The root disk is named on the kernel command line, so systemd waits for no device.
    "etc/fstab": "# / comes from root= on the kernel command line\n",
    "etc/systemd/journald.conf.d/swarmlab.conf": "[Journal]\nStorage=volatile\n",
    # A small initrd with only what finds the root disk: it is unpacked at every boot.
    "etc/initramfs-tools/conf.d/swarmlab.conf": "MODULES=list\n",
    "etc/initramfs-tools/modules": "virtio_pci\nvirtio_blk\next4\n",
    "etc/hosts": "127.0.0.1 localhost\n",
    # ifupdown: the DHCP of eth0 (see GUEST_SETUP) and Vagrant's private networks.
    "etc/network/interfaces":
        "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n",
    # No DNS in an offline lab: fail fast instead of waiting for a resolver.
    "etc/resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
}
ENABLE = ("swarmlab-guest.service", "ssh.service", "docker.service")
# Timers and gettys that cost CPU at boot and are useless in a lab VM.
MASK = (
    "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer",
    "fstrim.timer", "getty@tty1.service", "systemd-networkd-wait-online.service",
    "modprobe@drm.service", "modprobe@efi_pstore.service", "modprobe@fuse.service",
)


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


def recipe_hash() -> str:
    """Changes whenever anything that goes into the image changes."""
    h = hashlib.sha256(f"{VERSION} {SUITE} {DISK_SIZE} {PACKAGES}".encode())
    for path, text in sorted(FILES.items()):
        h.update(f"{path}\0{text}\0".encode())
    h.update(" ".join(ENABLE + MASK).encode())
    return h.hexdigest()[:16]


def images_dir() -> Path:
    """Where VM images are kept, one folder per recipe."""
    return cache_dir("vm", "images")


def current() -> VmImage:
    return VmImage(images_dir() / f"{SUITE}-{recipe_hash()}")


def tools_missing() -> list[str]:
    """Debian packages whose commands the VM build and boot need, if any are missing."""
    need = {
        "debootstrap": "debootstrap", "mkfs.ext4": "e2fsprogs", "qemu-img": "qemu-utils",
        "qemu-system-x86_64": "qemu-system-x86", "vde_switch": "vde2",
    }
    # /usr/sbin is not on every user's PATH, but the tools run from there all the same.
    return sorted({pkg for cmd, pkg in need.items()
                   if not (shutil.which(cmd) or shutil.which(cmd, path="/usr/sbin:/sbin"))})


def ensure_image(steps: Steps | None = None, force: bool = False) -> VmImage:
    """The current image, built first if its recipe changed (a few minutes, once)."""
    steps = steps or Steps()
    image = current()
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
        with steps.step(f"build the VM image (Debian {SUITE}, recipe {recipe_hash()})"):
            _build(image, steps)
    return image


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    with open(images_dir() / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _build(image: VmImage, steps: Steps) -> None:
    shutil.rmtree(image.folder, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=images_dir()))
    try:
        root = work / "rootfs"
        steps.say(f"    debootstrap {SUITE} with a kernel and docker.io (1-3 minutes) ...")
        _run(["debootstrap", "--variant=minbase", "--include=" + PACKAGES.replace(" ", ","),
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
        (out / "recipe.txt").write_text(f"{SUITE}\n{PACKAGES}\n{recipe_hash()}\n")
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
    """Remove images of older recipes (about 1 GB each) that no VM's overlay still uses."""
    keep = {current().folder, *in_use}
    gone = 0
    for old in images_dir().iterdir():
        if old.is_dir() and old not in keep and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
            gone += 1
    return gone


__all__ = [
    "VmImage", "current", "ensure_image", "forget_old_images", "recipe_hash", "tools_missing",
]
