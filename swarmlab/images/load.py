"""Load host images into every node, in parallel, like ``kind load docker-image``."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from swarmlab.errors import ImageError
from swarmlab.images.build import save_image

if TYPE_CHECKING:
    from swarmlab.node import Node

def missing_on(node: Node, wanted: dict[str, str]) -> list[str]:
    """Tags whose image id on ``node`` differs from the host's (or is absent)."""
    tags = list(wanted)
    fmt = "{{.Id}}"
    script = "; ".join(
        f"echo $(docker image inspect -f '{fmt}' {shlex.quote(t)} 2>/dev/null || echo -)"
        for t in tags
    )
    res = node.run(script, timeout=30).check()
    have = res.stdout.split()
    return [t for t, h in zip(tags, have, strict=False) if h != wanted[t]]


def load_into(node: Node, tars: dict[str, bytes], ids: dict[str, str]) -> list[str]:
    """Stream each missing image's tar into ``docker load`` on the node (stdin, no copy)."""
    todo = missing_on(node, ids)
    for tag in todo:
        res = node.run("docker load -q", stdin=tars[tag], timeout=120)
        if not res.ok:
            raise ImageError(
                f"Loading {tag} into {node.name} failed: {res.stderr.strip()[-500:]}"
            )
    return todo


def load_images(client: Any, nodes: Sequence[Node], tags: Sequence[str]) -> dict[str, list[str]]:
    """Load ``tags`` from the host engine into every node; return what each node got."""
    saved = {t: save_image(client, t) for t in tags}
    ids = {t: v[0] for t, v in saved.items()}
    tars = {t: v[1] for t, v in saved.items()}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(nodes)))) as pool:
        futures = {n.name: pool.submit(load_into, n, tars, ids) for n in nodes}
        return {name: f.result() for name, f in futures.items()}
