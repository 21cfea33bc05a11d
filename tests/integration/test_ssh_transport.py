"""SSHTransport against dind nodes that run sshd, with a throwaway per-lab key."""

from __future__ import annotations

import os
import stat
import subprocess
import time

import pytest

import swarmlab
from swarmlab.errors import ConnectError
from swarmlab.keys import lab_key
from swarmlab.paths import known_hosts_path
from swarmlab.providers.dind import DindProvider
from swarmlab.transport.ssh import SSHTransport
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

LAB = lab_name("hssh-t")



@pytest.fixture(scope="module")
def sshlab(cache, host_engine):
    _, pub = lab_key(LAB)
    lab = swarmlab.Lab.up(LAB, 1, 1, provider_obj=DindProvider(host_engine, ssh_pubkey=pub),
                          form_swarm=False, load_images=False, quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(LAB) == NOTHING


def ssh_to(lab, node: str) -> SSHTransport:
    key, _ = lab_key(LAB)
    t = SSHTransport(lab.node(node).address, key_path=key, known_hosts=known_hosts_path(LAB),
                     node=node, connect_timeout=5)
    wait_ssh(t)
    return t


def wait_ssh(t: SSHTransport, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            t.run("true", timeout=10).check()
            return
        except ConnectError as e:
            if time.monotonic() > deadline or "host key" in str(e):
                raise
            time.sleep(0.3)


@pytest.fixture(scope="module")
def manager(sshlab):
    t = ssh_to(sshlab, "manager1")
    yield t
    t.close()


def test_a_command_returns_its_exit_code_stdout_and_stderr(manager):
    res = manager.run("echo out; echo err >&2; exit 3")
    assert (res.exit_code, res.stdout, res.stderr, res.node) == (3, "out\n", "err\n", "manager1")
    assert manager.run("docker version -f '{{.Server.Version}}'").check().stdout.strip()


def test_output_streams_while_the_command_runs(manager):
    seen: list[tuple[float, str, str]] = []
    res = manager.run("for i in 1 2 3; do echo $i; echo e$i >&2; sleep 0.4; done",
                      on_output=lambda s, x: seen.append((time.monotonic(), s, x)))
    assert res.stdout == "1\n2\n3\n" and res.stderr == "e1\ne2\ne3\n"
    out = [(t, x) for t, s, x in seen if s == "stdout"]
    assert "".join(x for _, x in out) == res.stdout
    assert out[-1][0] - out[0][0] > 0.6, "chunks should arrive as they are printed"


def test_stdin_is_fed_to_the_command(manager):
    data = os.urandom(3_000_000)
    res = manager.run("sha256sum", stdin=data, timeout=60).check()
    import hashlib

    assert res.stdout.split()[0] == hashlib.sha256(data).hexdigest()


def test_docker_load_reads_an_image_from_stdin(manager, host_engine):
    from swarmlab.images.build import save_image

    image_id, tar = save_image(host_engine, "swarmlab/tools:latest")
    manager.run("docker load -q", stdin=tar, timeout=120).check()
    got = manager.run("docker image inspect -f '{{.Id}}' swarmlab/tools:latest").check()
    assert got.stdout.strip() == image_id


def test_put_file_writes_bytes_with_the_mode(manager):
    manager.put_file("/tmp/hssh-put", b"\x00bytes\xff", 0o640)
    res = manager.run("stat -c %a /tmp/hssh-put; od -An -tx1 /tmp/hssh-put").check()
    mode, dump = res.stdout.split("\n", 1)
    assert mode == "640" and dump.split() == ["00", "62", "79", "74", "65", "73", "ff"]


def test_a_timeout_kills_the_command_on_the_node(manager):
    t = time.monotonic()
    res = manager.run("sleep 30", timeout=2)
    assert res.exit_code == 124 and time.monotonic() - t < 8
    assert manager.run("pgrep -x sleep || echo none").stdout.strip() == "none"


def test_host_keys_are_recorded_in_a_private_per_lab_file(manager):
    kh = known_hosts_path(LAB)
    assert manager.host in kh.read_text()
    assert stat.S_IMODE(kh.stat().st_mode) == 0o600
    assert stat.S_IMODE(kh.parent.stat().st_mode) == 0o700
    key, _ = lab_key(LAB)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_changed_host_key_is_refused_with_the_fix(sshlab):
    worker = ssh_to(sshlab, "worker1")
    worker.run("rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null; "
               "kill -HUP $(cat /run/sshd.pid)").check()
    worker.close()
    time.sleep(1)
    with pytest.raises(ConnectError, match="ssh-keygen -R") as err:
        worker.run("true")
    fix = str(err.value).split("forget the old key: ", 1)[1].split(" ;", 1)[0]
    subprocess.run(fix, shell=True, check=True, capture_output=True)
    wait_ssh(worker)  # the fix from the message works: the new key is recorded
    worker.close()


def test_the_same_transport_reconnects_after_the_node_restarts(sshlab, manager):
    assert manager.run("true").ok
    sshlab.stop("manager1")
    with pytest.raises(ConnectError):
        manager.run("true", timeout=5)
    sshlab.start("manager1")
    wait_ssh(manager)
    assert manager.run("hostname").check().stdout.strip() == "manager1"
