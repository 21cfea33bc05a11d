"""Load host images into every node, in parallel, like ``kind load docker-image``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import docker.errors

from swarmlab.errors import ImageError

if TYPE_CHECKING:
    from swarmlab.node import Node

_BUNDLES: dict[tuple[tuple[str, str], ...], bytes] = {}
_LOCK = threading.Lock()


def _ref(tag: str) -> str:
    return tag if ":" in tag.rsplit("/", 1)[-1] or "@" in tag else f"{tag}:latest"


def host_ids(client: Any, tags: Sequence[str]) -> dict[str, str]:
    """Tag -> image id on the host; ``ImageError`` naming the fix for a missing one."""
    ids = {}
    for tag in map(_ref, tags):
        try:
            ids[tag] = client.images.get(tag).id
        except docker.errors.ImageNotFound:
            raise ImageError(
                f"Image {tag!r} is not on the host. Build it (`docker build -t {tag} .`) or "
                "pull it first, then load it again."
            ) from None
    return ids


def node_ids(node: Node) -> dict[str, str]:
    """Tag -> image id of every image a node has (one command)."""
    res = node.run("docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'",
                   timeout=60).check()
    return dict(line.split(None, 1) for line in res.stdout.splitlines() if " " in line)


def missing_on(node: Node, wanted: dict[str, str]) -> list[str]:
    """Tags whose image id on ``node`` differs from the host's (or is absent)."""
    have = node_ids(node)
    return [t for t, image_id in wanted.items() if have.get(t) != image_id]


def bundle(client: Any, wanted: dict[str, str], tags: Sequence[str]) -> bytes:
    """One ``docker save`` tar of several tags (shared layers once), cached per content."""
    key = tuple(sorted((t, wanted[t]) for t in tags))
    with _LOCK:
        if key not in _BUNDLES:
            api = client.api
            try:
                res = api._get(api._url("/images/get"), params={"names": list(tags)},
                               stream=True)
                api._raise_for_status(res)
                _BUNDLES[key] = b"".join(res.iter_content(1 << 20))
            except docker.errors.DockerException as e:
                raise ImageError(f"Saving {', '.join(tags)} on the host failed: {e}") from e
        return _BUNDLES[key]


def load_into(node: Node, client: Any, wanted: dict[str, str]) -> list[str]:
    """Stream one tar of the images a node lacks into its ``docker load`` (stdin, no copy)."""
    todo = missing_on(node, wanted)
    if todo:
        res = node.run("docker load -q", stdin=bundle(client, wanted, todo), timeout=300)
        if not res.ok:
            raise ImageError(
                f"Loading {', '.join(todo)} into {node.name} failed: {res.stderr.strip()[-500:]}"
            )
    return todo


def load_images(client: Any, nodes: Sequence[Node], tags: Sequence[str]) -> dict[str, list[str]]:
    """Load ``tags`` from the host engine into every node; return what each node got."""
    wanted = host_ids(client, tags)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(nodes)))) as pool:
        futures = {n.name: pool.submit(load_into, n, client, wanted) for n in nodes}
        return {name: f.result() for name, f in futures.items()}
