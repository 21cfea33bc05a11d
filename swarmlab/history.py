"""What the learner ran on a node, kept on that node (exercise 00.hello reads it)."""

from __future__ import annotations

import shlex
import time

from swarmlab.node import Node

HISTORY_FILE = "/root/.swarmlab_history"


def record(node: Node, source: str) -> None:
    """Append one entry (a timestamp line and the command) to the node's history file."""
    entry = f"# {time.strftime('%Y-%m-%dT%H:%M:%S')}\n{source.rstrip()}\n"
    node.run(f"printf '%s' {shlex.quote(entry)} >> {HISTORY_FILE}", timeout=10)
