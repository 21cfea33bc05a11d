"""The KVM-or-TCG verdict: probed once, then kept until the host reboots."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmlab.providers.vm import qemu


@pytest.fixture
def probes(monkeypatch, tmp_path):
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    monkeypatch.delenv("SWARMLAB_VM_ACCEL", raising=False)
    monkeypatch.setattr(qemu, "_ACCEL", {})
    calls: list[int] = []

    def probe(image: object) -> tuple[str, str]:
        calls.append(1)
        return "tcg", "a KVM probe boot did not finish in 40s"
    monkeypatch.setattr(qemu, "probe_kvm", probe)
    return calls


def test_a_new_process_reuses_this_boot_s_verdict_instead_of_probing(probes, monkeypatch):
    said: list[str] = []

    class Steps:
        def say(self, text: str) -> None:
            said.append(text)

    assert qemu.accel(None, Steps()) == "tcg"  # type: ignore[arg-type]
    monkeypatch.setattr(qemu, "_ACCEL", {})  # as in the next `swarmlab up`
    assert qemu.accel(None, Steps()) == "tcg"  # type: ignore[arg-type]
    assert len(probes) == 1
    assert "found once since this host booted" in said[1] and "40s" in said[1]


def test_another_boot_probes_again(probes, monkeypatch):
    qemu.accel(None)  # type: ignore[arg-type]
    real = Path.read_text

    def other_boot(self: Path, *a: object, **kw: object) -> str:
        if str(self).endswith("boot_id"):
            return "another-boot\n"
        return real(self, *a, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(Path, "read_text", other_boot)
    monkeypatch.setattr(qemu, "_ACCEL", {})
    qemu.accel(None)  # type: ignore[arg-type]
    assert len(probes) == 2


def test_the_environment_still_decides_first(probes, monkeypatch):
    monkeypatch.setenv("SWARMLAB_VM_ACCEL", "kvm")
    assert qemu.accel(None) == "kvm"  # type: ignore[arg-type]
    assert probes == []


def test_a_pvm_host_is_named_as_the_reason_kvm_fails(probes, monkeypatch, tmp_path):
    """/dev/kvm from kvm_pvm (cloud sandboxes without nested virtualization, this CI's
    machine among them) runs only PVM guest kernels: say so instead of leaving a learner
    to try CPU models."""
    from swarmlab import host

    modules = tmp_path / "module"
    assert host.kvm_kind(str(modules)) == ""
    (modules / "kvm_amd").mkdir(parents=True)
    assert host.kvm_kind(str(modules)) == "amd"
    (modules / "kvm_pvm").mkdir()
    assert host.kvm_kind(str(modules)) == "pvm"

    said: list[str] = []

    class Steps:
        def say(self, text: str) -> None:
            said.append(text)

    monkeypatch.setattr(host, "kvm_kind", lambda: "pvm")
    assert qemu.accel(None, Steps()) == "tcg"  # type: ignore[arg-type]
    assert "PVM (kvm_pvm)" in said[0] and "40s" in said[0]
    monkeypatch.setattr(host, "kvm_kind", lambda: "amd")
    monkeypatch.setattr(qemu, "_ACCEL", {})
    qemu.accel(None, Steps())  # type: ignore[arg-type]
    assert "PVM" not in said[1]  # a hardware KVM host that failed for another reason
