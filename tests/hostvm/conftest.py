"""One guest VM for the hostvm tier: booted from the kit's ``host`` image flavor, the
checkout set up inside it (``guest.py``), removed at the end even when a test failed.

The guest has 3.5 GiB and 2 vCPUs (TCG here: a learner's laptop is far faster)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmlab.images.build import BUSYBOX, HASH_LABEL, LAB_IMAGES, NODE, build_all, save_image
from swarmlab.progress import Steps
from swarmlab.providers.vm import VmProvider, labs_dir, processes
from swarmlab.spec import ClusterSpec
from tests.conftest import lab_name
from tests.hostvm import guest as g

LAB = lab_name("hostvm")
MEMORY_MB, CPUS = 3584, 2
RECIPE_LABEL = "{{index .Config.Labels \"" + HASH_LABEL + "\"}}"
# test.sh's VM lane: a file made once the guest is set up, after which this tier (the last
# in that lane) never uses the host's engine, so the tests that restart it may run.
ENGINE_FREE_ENV = "SWARMLAB_TEST_ENGINE_FREE"
LOADED = (NODE, next(r for r in LAB_IMAGES if r.folder == "registry"))


def _set_up(guest: g.Guest, client: object, fresh: bool) -> None:
    """The checkout, the node image, then the README's set-up (bootstrap.sh), offline."""
    if fresh:
        wheels = g.wheelhouse()
        t = time.monotonic()
        guest.run(f"mkdir -p {g.WHEELS} && tar -xf - -C {g.WHEELS}", timeout=1800,
                  stdin=g.wheels_tar(wheels)).check()
        guest.figures["copy the wheelhouse"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    guest.run(f"mkdir -p {g.CHECKOUT} && find {g.CHECKOUT} -mindepth 1 -maxdepth 1 ! -name "
              f".venv -exec rm -rf {{}} + && tar -xf - -C {g.CHECKOUT}",
              stdin=g.checkout_tar()).check()
    guest.figures["copy the checkout"] = round(time.monotonic() - t, 1)
    # This machine's busybox-static, so the lab images' recipes hash as they do here: the
    # registry image's recipe installs Debian's docker-registry from the mirror, which the
    # offline guest cannot reach, so it comes in loaded (like the node image) and must be
    # current there. The busybox-only lab images are then built inside, offline.
    guest.run(f"cat > {BUSYBOX}.new && chmod 755 {BUSYBOX}.new && mv {BUSYBOX}.new {BUSYBOX}",
              stdin=BUSYBOX.read_bytes()).check()
    for recipe in LOADED:
        have = guest.run(f"docker image inspect -f '{RECIPE_LABEL}' {recipe.tag}", echo=False)
        if have.stdout.strip() != recipe.digest():
            t = time.monotonic()
            _, tar = save_image(client, recipe.tag)
            guest.run("docker load -q", timeout=1800, stdin=tar).check()
            guest.figures[f"docker load {recipe.tag}"] = round(time.monotonic() - t, 1)
    res = guest.timed("bootstrap.sh (README set-up)",
                      f"cd {g.CHECKOUT} && PIP_NO_INDEX=1 PIP_FIND_LINKS={g.WHEELS} "
                      "bash scripts/bootstrap.sh", timeout=2400)
    res.check("the README's set-up failed inside the guest")


@pytest.fixture(scope="module")
def guest(request: pytest.FixtureRequest) -> Iterator[g.Guest]:
    from swarmlab import engine

    client = engine.connect()
    build_all(client, Steps(quiet=True))  # the node image the guest gets (cheap if current)
    kept = g.kept_disk()
    fresh = g.want_fresh() or not kept.exists()
    prov = VmProvider(memory_mb=MEMORY_MB, cpus=CPUS, flavor=g.FLAVOR,
                      base_disk=None if fresh else kept)
    failed_before = request.session.testsfailed
    t0 = time.monotonic()
    try:
        node = prov.create(ClusterSpec(LAB, 1, 0, "vm"), Steps())[0]
        box = g.Guest(node)
        box.figures["boot (image built if needed)"] = round(time.monotonic() - t0, 1)
        box.figures["guest"] = "fresh" if fresh else f"kept ({kept.name})"
        _set_up(box, client, fresh)
        box.figures["set-up in all"] = round(time.monotonic() - t0, 1)
        engine_free = os.environ.get(ENGINE_FREE_ENV)
        if engine_free:  # from here on the guest alone: the host's engine may restart
            Path(engine_free).touch()
        yield box
        print(f"\n[hostvm] figures (seconds): {box.figures}")
        (g.cache() / "last-figures.json").write_text(json.dumps(box.figures, indent=1) + "\n")
        if fresh and request.session.testsfailed == failed_before:
            # A green run: keep the set-up disk (keys out: the next run's lab brings its own).
            # A clean power-off over this connection, so qemu writes the disk out at exit.
            node.run("rm -f /root/.ssh/authorized_keys /etc/ssh/ssh_host_ed25519_key* && "
                     "sync && systemctl poweroff --no-block", timeout=120)
            d = labs_dir() / LAB
            if processes.wait_gone(d / f"{node.name}.pid", d, 240):
                print(f"[hostvm] kept the set-up guest: {g.keep(d / f'{node.name}.qcow2')}")
    finally:
        prov.delete(LAB)
        left = subprocess.run(["pgrep", "-f", f"swarmlab/vm/labs/{LAB}/"], capture_output=True)
        assert left.stdout == b"", "a qemu or vde_switch process of the guest outlived it"
