"""The kit's VM image as a Vagrant box for libvirt, so a class without internet can `vagrant up`.

A libvirt box is a tar of ``metadata.json`` and ``box.img`` (the qcow2 disk). Ours also
carries the kernel and initrd, since the image boots its kernel directly (it has no boot
loader), and a small Vagrantfile that says so and logs in as root with Vagrant's
well-known key, which Vagrant replaces with a key of its own at the first ``vagrant up``.

The box is added through a one-entry catalog whose version comes from the image recipe,
so a new recipe is a new box version and vagrant-libvirt uploads a new disk instead of
reusing the old one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from swarmlab.errors import CapabilityMissing, ImageError
from swarmlab.images import vm as vmimage
from swarmlab.paths import cache_dir
from swarmlab.progress import Steps

BOX_NAME = "swarmlab/trixie"

BOX_VAGRANTFILE = """# The swarmlab offline box: Debian trixie, docker.io, booted by its own kernel.
Vagrant.configure("2") do |config|
  config.ssh.username = "root"
  config.ssh.sudo_command = "%c"      # the image has no sudo; root needs none
  config.vm.provider :libvirt do |lv|
    key = File.read(File.join(Vagrant.source_root, "keys", "vagrant.pub")).split[0, 2].join(":")
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet " \\
                  "swarmlab.key=#{key}"
    lv.disk_bus = "virtio"
    lv.graphics_type = "none"
    lv.video_type = "none"
  end
end
"""


def box_version(recipe: str | None = None) -> str:
    """A version Vagrant accepts, unique to the image recipe."""
    recipe = recipe or vmimage.recipe_hash()
    return f"1.0.{int(recipe[:7], 16)}"


def box_dir() -> Path:
    """Where the offline Vagrant box is built."""
    return cache_dir("vagrant", "box")


def box_file() -> Path:
    return box_dir() / f"swarmlab-trixie-{vmimage.recipe_hash()}.box"


def build_box(steps: Steps | None = None, force: bool = False) -> Path:
    """The current box file, made from the current VM image (built first if needed)."""
    steps = steps or Steps()
    image = vmimage.ensure_image(steps)
    out = box_file()
    if out.is_file() and not force:
        return out
    for old in box_dir().glob("swarmlab-trixie-*.box*"):
        old.unlink()
    with steps.step(f"package the VM image as the Vagrant box {BOX_NAME} {box_version()}"):
        tmp = out.with_suffix(".box.part")
        disk_gb = _virtual_size_gb(image.disk)
        meta = json.dumps({"provider": "libvirt", "format": "qcow2", "virtual_size": disk_gb})
        with tarfile.open(tmp, "w") as tar:  # the disk is already compact: no gzip
            _add_text(tar, "metadata.json", meta + "\n")
            _add_text(tar, "Vagrantfile", BOX_VAGRANTFILE)
            _add_text(tar, "swarmlab-recipe", vmimage.recipe_hash() + "\n")
            tar.add(image.kernel, "vmlinuz")
            tar.add(image.initrd, "initrd.img")
            tar.add(image.disk, "box.img")
        tmp.rename(out)
        steps.say(f"    {out} ({out.stat().st_size / 1e6:.0f} MB)")
    return out


def _add_text(tar: tarfile.TarFile, name: str, text: str) -> None:
    import io

    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _virtual_size_gb(disk: Path) -> int:
    proc = subprocess.run(["qemu-img", "info", "--output=json", str(disk)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImageError(f"qemu-img info {disk} failed: {proc.stderr.strip()[-300:]}")
    size = int(json.loads(proc.stdout)["virtual-size"])
    return max(1, -(-size // 2**30))


def vagrant_env() -> dict[str, str]:
    """The environment the kit runs vagrant in: no update check, no colour codes."""
    return {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_NO_COLOR": "1"}


def require_vagrant() -> None:
    """``CapabilityMissing`` naming the install when there is no ``vagrant`` command."""
    if not shutil.which("vagrant"):
        raise CapabilityMissing(
            "Vagrant is not installed: `apt-get install vagrant vagrant-libvirt` on Debian "
            "(or see https://developer.hashicorp.com/vagrant/install), then try again."
        )


def installed_versions(name: str = BOX_NAME) -> list[str]:
    """Versions of box ``name`` that Vagrant has (any provider)."""
    proc = _vagrant(["box", "list", "--machine-readable"])
    versions, current = [], ""
    for line in proc.stdout.splitlines():
        parts = line.split(",")
        if len(parts) >= 4 and parts[2] == "box-name":
            current = parts[3]
        elif len(parts) >= 4 and parts[2] == "box-version" and current == name:
            versions.append(parts[3])
    return versions


def ensure_box(steps: Steps | None = None) -> str:
    """Make sure Vagrant has the current offline box; return its name."""
    steps = steps or Steps()
    version = box_version()
    have = installed_versions()
    if version in have:
        return BOX_NAME
    path = build_box(steps)
    catalog = path.with_suffix(".json")
    catalog.write_text(json.dumps({
        "name": BOX_NAME,
        "versions": [{"version": version, "providers": [
            {"name": "libvirt", "url": path.as_uri()}]}],
    }))
    mib = path.stat().st_size // 2**20
    with steps.step(f"vagrant box add {BOX_NAME} {version} (copies {mib} MiB)"):
        _vagrant(["box", "add", "--force", str(catalog)], check="vagrant box add")
        for old in have:  # older recipes: no lab can use them any more
            _vagrant(["box", "remove", BOX_NAME, "--box-version", old, "--force"])
    return BOX_NAME


def _vagrant(args: list[str], check: str = "") -> subprocess.CompletedProcess[str]:
    require_vagrant()
    proc = subprocess.run(["vagrant", *args], capture_output=True, text=True, env=vagrant_env())
    if check and proc.returncode != 0:
        raise ImageError(f"{check} failed: {(proc.stderr or proc.stdout).strip()[-600:]}")
    return proc


__all__ = ["BOX_NAME", "box_file", "box_version", "build_box", "ensure_box", "installed_versions",
           "require_vagrant", "vagrant_env"]
