"""Load host images into every node, in parallel, like ``kind load docker-image``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import docker.errors

from swarmlab.errors import ImageError
from swarmlab.parallel import parallel

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


def node_ids(node: Node, timeout: float = 60) -> dict[str, str]:
    """Tag -> image id of every image a node has (one command)."""
    res = node.run("docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'",
                   timeout=timeout).check()
    return dict(line.split(None, 1) for line in res.stdout.splitlines() if " " in line)


def missing_on(node: Node, wanted: dict[str, str], timeout: float = 60) -> list[str]:
    """Tags whose image id on ``node`` differs from the host's (or is absent)."""
    have = node_ids(node, timeout)
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


def load_into(node: Node, client: Any, wanted: dict[str, str], timeout: float = 300) -> list[str]:
    """Stream one tar of the images a node lacks into its ``docker load`` (stdin, no copy).

    ``timeout`` bounds the load; listing what the node has gets at most 180 s of it (a
    Docker CLI on an emulated VM starts slowly)."""
    todo = missing_on(node, wanted, min(180, max(60, timeout / 3)))
    if todo:
        res = node.run("docker load -q", stdin=bundle(client, wanted, todo), timeout=timeout)
        if not res.ok:
            raise ImageError(
                f"Loading {', '.join(todo)} into {node.name} failed: {res.stderr.strip()[-500:]}"
            )
    return todo


def load_images(
    client: Any, nodes: Sequence[Node], tags: Sequence[str], timeout: float = 300
) -> dict[str, list[str]]:
    """Load ``tags`` from the host engine into every node; return what each node got."""
    wanted = host_ids(client, tags)
    got = parallel(lambda n: load_into(n, client, wanted, timeout), list(nodes), limit=8)
    return {n.name: todo for n, todo in zip(nodes, got, strict=True)}
