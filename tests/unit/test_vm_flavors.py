"""VM image flavors: ``node`` (the vm/vagrant providers' nodes) and ``host`` (a learner's
host for the hostvm tier). The node flavor's recipe is what it was before flavors, so
cached images stay valid; pruning old images never removes a current flavor's image."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmlab.images import vm as vmimage
from swarmlab.images.vm_recipe import FLAVORS, PACKAGES, packages
from swarmlab.providers.vm import VmProvider


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    return tmp_path


def test_the_host_flavor_adds_python_graphviz_and_busybox() -> None:
    assert packages() == packages("node") == PACKAGES
    extra = set(packages("host").split()) - set(PACKAGES.split())
    assert extra == {"python3-venv", "graphviz", "busybox-static"}
    with pytest.raises(KeyError, match="node, host"):
        packages("desktop")


def test_the_node_flavor_keeps_its_folder_and_the_host_flavor_has_its_own() -> None:
    node, host = vmimage.current(), vmimage.current("host")
    assert node.folder.name == f"{vmimage.SUITE}-{vmimage.recipe_hash()}"
    assert host.folder.name == f"{vmimage.SUITE}-host-{vmimage.recipe_hash('host')}"
    assert vmimage.recipe_hash("host") != vmimage.recipe_hash()
    assert vmimage.current("node") == node


def test_pruning_old_images_keeps_every_flavor_s_current_image(cache: Path) -> None:
    current = [vmimage.current(f).folder for f in FLAVORS]
    old, used = vmimage.images_dir() / "trixie-0000000000000000", \
        vmimage.images_dir() / "trixie-host-1111111111111111"
    for folder in (*current, old, used):
        folder.mkdir(parents=True)
    assert vmimage.forget_old_images({used}) == 1
    assert all(f.is_dir() for f in (*current, used)) and not old.exists()


def test_the_provider_boots_flavored_vms_with_more_cpus_from_a_kept_disk(cache: Path) -> None:
    kept = cache / "guest.qcow2"
    prov = VmProvider(memory_mb=3584, cpus=2, flavor="host", base_disk=kept)
    rec = {"name": "manager1", "role": "manager", "index": 1, "address": "192.168.77.11",
           "ssh_port": 40022, "image": str(vmimage.current("host").folder)}
    line = " ".join(prov._argv("hv-u", rec, "tcg"))
    assert "-accel tcg,thread=multi,tb-size=256 -cpu qemu64 -smp 2 -m 3584" in line
    assert f"-kernel {vmimage.current('host').kernel}" in line
    assert "-smp 1 " in " ".join(VmProvider()._argv("hv-u", rec, "tcg"))
    assert prov.base_disk == kept and VmProvider().base_disk is None


def test_the_kept_hostvm_guest_follows_the_dependency_set_only(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A set-up guest is kept per dependency set: pyproject.toml's other text (a marker's
    description) keeps it; a changed dependency sets up a new one."""
    import tomllib

    from tests.hostvm import guest

    text = (guest.ROOT / "pyproject.toml").read_text()
    monkeypatch.setattr(guest, "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text(text)
    before = guest.key()
    (tmp_path / "pyproject.toml").write_text(text.replace('markers = [',
                                                          'markers = [\n    "x: y",'))
    assert guest.key() == before
    dep = tomllib.loads(text)["project"]["dependencies"][0]
    (tmp_path / "pyproject.toml").write_text(text.replace(f'"{dep}"', f'"{dep}, !=0.0.1"', 1))
    assert guest.key() != before


def test_the_guest_setup_makes_the_node_s_own_name_resolve_once(tmp_path: Path) -> None:
    """At every boot: ``127.0.1.1 NAME`` in /etc/hosts if the name is not there yet."""
    import subprocess

    from swarmlab.images.vm_recipe import GUEST_SETUP

    lines = GUEST_SETUP.splitlines()
    start = lines.index("h=$(hostname)")
    part = "\n".join(lines[start:start + 2]).replace("$(hostname)", "worker1")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    for _ in range(2):  # a second boot adds nothing
        subprocess.run(["sh", "-c", part.replace("/etc/hosts", str(hosts))], check=True)
    assert hosts.read_text() == "127.0.0.1 localhost\n127.0.1.1 worker1\n"
