"""Build the node image and the lab images, offline first, only when a recipe changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors

from swarmlab.errors import ImageError
from swarmlab.progress import Steps

RECIPES = Path(__file__).parent / "recipes"
HASH_LABEL = "io.swarmlab.recipe"
SUITE = "trixie"  # Debian 13: docker.io 26.x (bookworm has 20.10)
NODE_PACKAGES = (
    "docker.io docker-cli iproute2 iptables procps curl ca-certificates openssh-server kmod"
)
BUSYBOX = Path("/bin/busybox")


@dataclass(frozen=True)
class Recipe:
    """One image: a recipe folder, build args, and the tag it gets."""

    tag: str
    folder: str
    buildargs: dict[str, str] = field(default_factory=dict)
    needs_busybox: bool = False
    # The labs whose nodes need this image; empty: every lab (loaded by ``up``).
    only_for: tuple[str, ...] = ()

    def digest(self) -> str:
        h = hashlib.sha256()
        for p in sorted((RECIPES / self.folder).rglob("*")):
            if p.is_file():
                h.update(p.relative_to(RECIPES).as_posix().encode())
                h.update(p.read_bytes())
        for k, v in sorted(self.buildargs.items()):
            h.update(f"{k}={v}".encode())
        if self.needs_busybox:
            h.update(busybox_source())
        else:
            h.update(f"{SUITE} {NODE_PACKAGES}".encode())
        return h.hexdigest()[:16]


NODE = Recipe("swarmlab/node:latest", "node")
LAB_IMAGES: tuple[Recipe, ...] = (
    Recipe("swarmlab/web:v1", "web", {"VERSION": "v1"}, needs_busybox=True),
    Recipe("swarmlab/web:v2", "web", {"VERSION": "v2"}, needs_busybox=True),
    Recipe("swarmlab/web:broken", "web", {"VERSION": "broken"}, needs_busybox=True),
    Recipe("swarmlab/tools:latest", "tools", needs_busybox=True),
    Recipe("swarmlab/api:latest", "api", needs_busybox=True),  # lab 11's api stand-in
    Recipe("swarmlab/db:latest", "db", needs_busybox=True),  # labs 09 and 11: a db stand-in
    # Lab 12 only: 27 MB (Debian's registry), where the others share 2 MB of busybox.
    # Loading it into every node took most of `up`'s image step on an emulated VM (13.7 s
    # of 17 per node under TCG); start_lab("12") loads it.
    Recipe("swarmlab/registry:latest", "registry", needs_busybox=True, only_for=("12",)),
)
ALL: tuple[Recipe, ...] = (NODE, *LAB_IMAGES)
NODE_IMAGE = NODE.tag
LAB_IMAGE_TAGS = tuple(r.tag for r in LAB_IMAGES)


def lab_image_tags(lab_id: str = "") -> tuple[str, ...]:
    """The lab images a node needs for lab ``lab_id`` (``""``: no lab yet, as after
    ``up``): those every lab uses, and those made for that lab."""
    return tuple(r.tag for r in LAB_IMAGES if not r.only_for or lab_id in r.only_for)


def busybox_source() -> bytes:
    """A marker of where lab images get busybox: the host's static binary, else a pull."""
    if BUSYBOX.exists():
        return hashlib.sha256(BUSYBOX.read_bytes()).hexdigest().encode()
    return b"pull:busybox:1.36"


def current_hash(client: Any, recipe: Recipe) -> str | None:
    """The recipe hash an existing image was built from, or None if it is absent."""
    try:
        img = client.images.get(recipe.tag)
    except docker.errors.ImageNotFound:
        return None
    labels = img.labels or {}
    return labels.get(HASH_LABEL)


def is_current(client: Any, recipe: Recipe) -> bool:
    return current_hash(client, recipe) == recipe.digest()


def build_all(
    client: Any, steps: Steps | None = None, force: bool = False, offline: bool | None = None
) -> list[str]:
    """Build every image whose recipe changed; return the tags built."""
    steps = steps or Steps()
    built = []
    for recipe in ALL:
        if not force and is_current(client, recipe):
            continue
        with steps.step(f"build {recipe.tag}"):
            if recipe is NODE:
                _build_node(client, steps, offline)
            else:
                _build_lab_image(client, recipe, offline)
        built.append(recipe.tag)
    if not built:
        steps.say("  - all images are current")
    return built


def _docker_build(client: Any, recipe: Recipe, context: Path, buildargs: dict[str, str]) -> None:
    labels = {HASH_LABEL: recipe.digest(), "io.swarmlab.image": recipe.tag}
    try:
        client.images.build(
            path=str(context), tag=recipe.tag, buildargs=buildargs, labels=labels, rm=True,
            forcerm=True, pull=False,
        )
    except docker.errors.BuildError as e:
        log = "".join(str(x.get("stream", x.get("error", ""))) for x in e.build_log)[-1500:]
        raise ImageError(f"Building {recipe.tag} failed:\n{log}") from e
    except docker.errors.APIError as e:
        raise ImageError(f"Building {recipe.tag} failed: {e.explanation}") from e


def _build_lab_image(client: Any, recipe: Recipe, offline: bool | None) -> None:
    with tempfile.TemporaryDirectory(prefix="swarmlab-build-") as tmp:
        ctx = Path(tmp) / "ctx"
        shutil.copytree(RECIPES / recipe.folder, ctx)
        (ctx / "busybox").write_bytes(_busybox_binary(client, offline))
        (ctx / "busybox").chmod(0o755)
        _docker_build(client, recipe, ctx, recipe.buildargs)


def _busybox_binary(client: Any, offline: bool | None) -> bytes:
    if BUSYBOX.exists():
        return BUSYBOX.read_bytes()
    if offline:
        raise ImageError(
            "No static busybox on this host. Install it (Debian/Ubuntu: "
            "`apt-get install busybox-static`) and run `swarmlab images build` again."
        )
    try:
        client.images.pull("busybox", "1.36")
        data = client.containers.run("busybox:1.36", "cat /bin/busybox", remove=True)
        return bytes(data)
    except docker.errors.DockerException as e:
        raise ImageError(
            "No static busybox here and `busybox:1.36` cannot be pulled. Install Debian's "
            "`busybox-static` (`apt-get install busybox-static`) and try again."
        ) from e


def _build_node(client: Any, steps: Steps, offline: bool | None) -> None:
    base = None if offline else _pull_base(client)
    if base is None:
        base = _debootstrap_base(client, steps)
    _docker_build(client, NODE, RECIPES / "node", {"BASE": base, "PACKAGES": NODE_PACKAGES})


def _pull_base(client: Any) -> str | None:
    try:
        client.images.pull("debian", f"{SUITE}-slim")
    except docker.errors.DockerException:
        return None
    return f"debian:{SUITE}-slim"


def _debootstrap_base(client: Any, steps: Steps) -> str:
    """A Debian rootfs with the node's packages, imported as an image (no registry)."""
    tag = f"swarmlab/node-base:{SUITE}-{hashlib.sha256(NODE_PACKAGES.encode()).hexdigest()[:8]}"
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    if not shutil.which("debootstrap"):
        raise ImageError(
            "No registry answers, so the node image is built from Debian packages with "
            "debootstrap, which is not installed: `apt-get install debootstrap`, then "
            "`swarmlab images build`."
        )
    if os.geteuid() != 0:
        raise ImageError(
            "Building the node image offline runs debootstrap, which needs root: "
            "`sudo swarmlab images build` (or be online so debian:trixie-slim can be pulled)."
        )
    with tempfile.TemporaryDirectory(prefix="swarmlab-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        steps.say(f"    debootstrap {SUITE} (about a minute) ...")
        cmd = [
            "debootstrap", "--variant=minbase", "--include=" + NODE_PACKAGES.replace(" ", ","),
            SUITE, str(root),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ImageError(
                f"debootstrap failed (exit {proc.returncode}): {proc.stdout[-800:]}"
                f"{proc.stderr[-800:]}\nHint: it needs Debian's package mirror to answer."
            )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for f in (root / junk).glob("*"):
                if f.is_file():
                    f.unlink()
        steps.say("    importing the rootfs as an image ...")
        _import_rootfs(client, root, tag)
    return tag


def _import_rootfs(client: Any, root: Path, tag: str) -> None:
    repo, _, version = tag.partition(":")
    tar_path = root.parent / "rootfs.tar"
    subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tar_path), "."],
                   check=True)
    try:
        client.api.import_image_from_file(str(tar_path), repository=repo, tag=version)
    except docker.errors.APIError as e:
        raise ImageError(f"Importing the Debian rootfs failed: {e.explanation}") from e
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound as e:
        raise ImageError(f"Importing the Debian rootfs did not produce {tag}.") from e


def image_table(client: Any) -> list[dict[str, str]]:
    """One row per kit image: tag, state (current/outdated/missing), size."""
    rows = []
    for recipe in ALL:
        have = current_hash(client, recipe)
        size = ""
        if have is not None:
            size = f"{client.images.get(recipe.tag).attrs.get('Size', 0) / 1e6:.0f} MB"
        state = "missing" if have is None else "current" if have == recipe.digest() else "outdated"
        rows.append({"image": recipe.tag, "state": state, "size": size})
    return rows


def save_image(client: Any, tag: str) -> tuple[str, bytes]:
    """(image id, ``docker save`` tar) of one host image."""
    if ":" not in tag.rsplit("/", 1)[-1] and "@" not in tag:
        tag += ":latest"
    try:
        img = client.images.get(tag)
        data = b"".join(img.save(named=tag if tag in img.tags else True))
    except docker.errors.ImageNotFound as e:
        raise ImageError(
            f"Image {tag!r} is not on the host. Build it (`docker build -t {tag} .`) or pull "
            "it first, then load it again."
        ) from e
    return img.id, data
