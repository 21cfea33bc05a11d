"""The SSH key the kit makes for each lab (vm nodes authorize it at first boot)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko

from swarmlab.paths import lab_ssh_dir

KEY_NAME = "id_ed25519"


def lab_key(lab: str) -> tuple[Path, str]:
    """(private key path, public key line) of the lab's own key; made on first use."""
    folder = lab_ssh_dir(lab)
    key = folder / KEY_NAME
    pub = folder / f"{KEY_NAME}.pub"
    if not (key.exists() and pub.exists()):
        make_key(key, pub, comment=f"swarmlab-{lab}")
    return key, pub.read_text().strip()


def make_key(key: Path, pub: Path, comment: str) -> None:
    """A new key pair without passphrase at ``key``/``pub`` (ed25519, else ECDSA), 0600."""
    for p in (key, pub):
        p.unlink(missing_ok=True)
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
            check=True, capture_output=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        # No ssh-keygen here: paramiko can make an ECDSA key instead.
        k = paramiko.ECDSAKey.generate()
        k.write_private_key_file(str(key))
        pub.write_text(f"{k.get_name()} {k.get_base64()} {comment}\n")
    key.chmod(0o600)
    pub.chmod(0o600)


__all__ = ["KEY_NAME", "lab_key", "make_key"]
