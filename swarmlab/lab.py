"""Lab: a named cluster. The one object notebooks, the CLI and tests hold."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from swarmlab import pipeline, ports, records, swarm
from swarmlab.errors import ClusterExists, ClusterNotFound, SpecError, SwarmLabError
from swarmlab.node import Node, sort_nodes
from swarmlab.progress import Steps
from swarmlab.providers import PROVIDERS, Provider, get_provider
from swarmlab.spec import ClusterSpec, NodeSpec, validate_name

STATUS_COLUMNS = ("node", "role", "address", "machine", "status", "availability", "manager",
                  "engine")


class Lab:
    """A cluster of nodes with a Docker engine each, usually formed into a swarm."""

    def __init__(self, name: str, provider: Provider, nodes: list[Node]) -> None:
        self.name = name
        self.provider = provider
        self._nodes = nodes
        self.params: dict[str, Any] = {}  # lab parameters for checks (set by start_lab)
        self.lab_id = ""  # the lab notebook this cluster was prepared for

    def __repr__(self) -> str:
        return f"<Lab {self.name!r} ({self.provider.name}): {', '.join(self.node_names)}>"

    # ----- making and finding -------------------------------------------------------
    @classmethod
    def up(
        cls,
        name: str = "default",
        managers: int = 1,
        workers: int = 2,
        provider: str = "dind",
        *,
        form_swarm: bool = True,
        load_images: bool = True,
        recreate: bool = False,
        keep_on_error: bool = False,
        quiet: bool = False,
        provider_obj: Provider | None = None,
    ) -> Lab:
        """Create the lab, or reuse it when one of the same shape is healthy."""
        spec = ClusterSpec(name, managers, workers, provider)
        prov = provider_obj or get_provider(provider)
        steps = Steps(quiet=quiet)
        existing = prov.find(name)
        if existing and recreate:
            prov.delete(name)
            existing = []
        if existing:
            return cls._reuse(spec, prov, existing, steps, form_swarm, load_images)
        prov.check_capacity(len(spec.nodes))
        steps.say(f"[swarmlab] creating lab {name!r}: {spec.shape} ({prov.name})")
        try:
            prov.prepare_images(steps)
            lab = cls(name, prov, prov.create(spec, steps))
            pipeline.load_beside(lab, steps, pipeline.form_swarm if form_swarm else None,
                                 load_images)
        except BaseException:
            if not keep_on_error:
                steps.say(f"[swarmlab] up failed: removing what lab {name!r} created ...")
                prov.delete(name)
            raise
        steps.say(f"[swarmlab] lab {name!r} ready in {steps.elapsed:.1f}s")
        return lab

    @classmethod
    def _reuse(cls, spec: ClusterSpec, prov: Provider, nodes: list[Node], steps: Steps,
               form: bool, load: bool = True) -> Lab:
        """Reuse a lab; repair it when nodes were stopped or removed by hand."""
        extra = [n.name for n in nodes if n.name not in {w.name for w in spec.nodes}]
        if extra:
            have = (sum(n.role == "manager" for n in nodes), sum(n.role == "worker" for n in nodes))
            raise ClusterExists(
                f"Lab {spec.name!r} exists with {have[0]} manager(s) + {have[1]} worker(s), not "
                f"{spec.shape}. Remove it first (`swarmlab down --name {spec.name}`) or "
                "pass recreate=True (`swarmlab up --recreate`)."
            )
        lab = cls(spec.name, prov, nodes)
        if load:
            pipeline.prepare_images(lab, steps)
        pipeline.ensure_machines(lab, spec, steps)
        pipeline.start_stopped(lab, steps)
        pipeline.engines_ready(lab, steps)
        pipeline.load_beside(lab, steps, pipeline.ensure_swarm if form else None, load,
                             "lab images present in every node")
        steps.say(f"[swarmlab] reusing lab {spec.name!r} ({spec.shape}) after {steps.elapsed:.1f}s")
        return lab

    def refresh_images(self, steps: Steps | None = None) -> None:
        """Build lab images whose recipe changed and load what a node lacks (cheap if none)."""
        pipeline.prepare_images(self, steps := steps or Steps(quiet=True))
        pipeline.load_images(self, steps)

    @classmethod
    def connect(cls, name: str = "default", provider: str | None = None) -> Lab:
        """Find an existing lab (for example after a kernel restart).

        Without ``provider``, the lab is looked up on the local engine (dind) first, then
        among the kit's VM and SSH labs.
        """
        validate_name(name)
        known: list[str] = []
        for prov_name in [provider] if provider else PROVIDERS:
            try:
                prov = get_provider(prov_name)
                nodes = prov.find(name) if (provider or name in prov.labs()) else []
            except SwarmLabError:  # the local engine (first) must answer; others may be absent
                if provider or prov_name == PROVIDERS[0]:
                    raise
                continue
            if nodes:
                return cls(name, prov, nodes)
            known += prov.labs()
        raise ClusterNotFound(
            f"No lab named {name!r} (labs here: {', '.join(sorted(set(known))) or 'none'}). "
            f"Create it with `swarmlab up --name {name}` or swarmlab.Lab.up(name={name!r})."
        )

    def down(self, quiet: bool = False) -> int:
        """Delete every container, network and volume of this lab."""
        t = time.monotonic()
        gone = self.provider.delete(self.name)
        if not quiet:
            print(f"[swarmlab] lab {self.name!r} removed ({gone} objects, "
                  f"{time.monotonic() - t:.1f}s)")
        self._nodes = []
        return gone

    # ----- nodes --------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes)

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self._nodes]

    @property
    def managers(self) -> list[Node]:
        return [n for n in self._nodes if n.role == "manager"]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self._nodes if n.role == "worker"]

    def node(self, name: str) -> Node:
        """The node called ``name``; ``SpecError`` listing the real names otherwise."""
        for n in self._nodes:
            if n.name == name:
                return n
        raise SpecError(
            f"Lab {self.name!r} has no node {name!r}. Its nodes: {', '.join(self.node_names)}."
        )

    def add_node(self, spec: NodeSpec, steps: Steps | None = None) -> Node:
        """Make one more machine (engine answering, not yet in the swarm) and list it."""
        node = self.provider.add(self.name, spec, steps or Steps(quiet=True))
        self._nodes = sort_nodes([*self._nodes, node])
        return node

    def remove_node(self, name: str, steps: Steps | None = None) -> None:
        """Delete one machine and its storage (it does not leave the swarm first)."""
        self.node(name)
        with (steps or Steps(quiet=True)).step(f"remove {name}"):
            self.provider.remove(self.name, name)
        self._nodes = [n for n in self._nodes if n.name != name]

    def manager(self) -> Node:
        """A manager that can answer management calls now (the leader if possible)."""
        return swarm.answering_manager(self.managers, self.provider.states(self.name))

    def run(self, node: str, cmd: str, **kw: Any) -> Any:
        """Shortcut for ``lab.node(node).run(cmd)``."""
        return self.node(node).run(cmd, **kw)

    def stop(self, node: str) -> None:
        """Power a node off: its engine really goes away (the swarm sees it Down)."""
        self.node(node)
        self.provider.stop(self.name, node)
        self._note("stop", node)

    def start(self, node: str, wait: bool = True, timeout: float = 60) -> None:
        """Power a node on; wait until its engine answers and it is Ready in the swarm."""
        n = self.node(node)
        self.provider.start(self.name, node)
        self._note("start", node)
        # A node that was in the swarm says "pending" until it has reached a manager again
        # (seconds after its engine answers on a VM under load): wait for Ready then too.
        if wait and swarm.comes_back(swarm.swarm_state(n)):
            self.wait_ready([n], timeout=timeout)

    def _note(self, kind: str, node: str = "") -> None:
        """Remember a power event on disk (checks of labs 02 and 05 read them)."""
        with contextlib.suppress(sqlite3.Error, OSError):  # never break the lab for it
            records.record_event(self.name, kind, node)

    def set_availability(self, node: str, availability: str) -> None:
        """``docker node update --availability active|pause|drain NODE`` on a manager."""
        if availability not in ("active", "pause", "drain"):
            raise SpecError(f"Availability is active, pause or drain, not {availability!r}.")
        self.node(node)
        self.manager().docker(f"node update --availability {availability} {node}").check(
            hint="Availability is changed on a manager; the swarm needs a leader for it."
        )

    def wait_ready(self, nodes: Sequence[Node] | None = None, timeout: float = 90) -> None:
        """Until the given nodes (default: all) are Ready and a leader is known."""
        swarm.wait_ready(list(nodes or self._nodes), timeout=timeout, interval=0.5,
                         manager=self.manager)

    def add_worker(self, quiet: bool = False) -> Node:
        """Create one more worker and join it to the swarm."""
        index = max([int(n.name[6:]) for n in self.workers] or [0]) + 1
        steps = Steps(quiet=quiet)
        node = self.add_node(NodeSpec(f"worker{index}", "worker", index), steps)
        pipeline.load_images(self, Steps(quiet=True), [node])
        pipeline.join_new(self, [node])
        self.wait_ready([node])
        return node

    def load(self, images: Sequence[str]) -> None:
        """Copy host images into every running node (like ``kind load docker-image``)."""
        running = self.provider.states(self.name)
        self.provider.load_images(
            [n for n in self._nodes if running.get(n.name) == "running"], list(images)
        )

    # ----- seeing and checking (thin: the work lives in state, checks and viz) -----------
    def snapshot(self) -> Any:
        """One consistent read of the swarm's state (``swarmlab.state.Snapshot``)."""
        from swarmlab.state import take_snapshot

        return take_snapshot(self)

    def check(self, *ids: str, **params: Any) -> Any:
        """Run exercise checks: a ``CheckResult`` for one id, a ``Report`` for several."""
        from swarmlab.checks import run_checks

        return run_checks(self, ids, **params)

    def progress(self) -> Any:
        """Every exercise of every lab on this cluster: PASS / FAIL / not tried, and when."""
        from swarmlab.progress_table import progress

        return progress(self.name)

    def show(self, **kw: Any) -> Any:
        """The topology picture (graphviz) of the cluster as it is now."""
        from swarmlab.viz.topology import topology

        return topology(self.snapshot(), **kw)

    def watch(self, interval: float = 3.0) -> Any:
        """A live panel: the picture redrawn every few seconds, with node buttons."""
        from swarmlab.viz.widgets import watch

        return watch(self, interval=interval)

    def timeline(self, service: str, **kw: Any) -> Any:
        """The service's task history over time, one row per slot."""
        from swarmlab.viz.timeline import timeline

        return timeline(self.snapshot(), service, **kw)

    def url(self, port: int, node: str | None = None, scheme: str = "http") -> str:
        """Where this machine's browser opens ``port`` published on the swarm (ports.py)."""
        return ports.url(self, port, node, scheme)

    def status(self) -> list[dict[str, str]]:
        """One row per node: machine state plus what the swarm says of it."""
        states = self.provider.states(self.name)
        try:
            rows = {r.hostname: r for r in swarm.node_rows(self.manager(), timeout=10)}
        except SwarmLabError:
            rows = {}
        table = []
        for n in self._nodes:
            r = rows.get(n.name)
            seen = (r.status, r.availability, r.manager_status, r.engine) if r else ("-",) * 4
            table.append(dict(zip(STATUS_COLUMNS, (n.name, n.role, n.address,
                                  states.get(n.name, "missing"), *seen), strict=True)))
        return table


def up(name: str = "default", managers: int = 1, workers: int = 2, **kw: Any) -> Lab:
    """``Lab.up``: create or reuse a lab."""
    return Lab.up(name, managers, workers, **kw)


def connect(name: str = "default", provider: str | None = None) -> Lab:
    """``Lab.connect``: find an existing lab."""
    return Lab.connect(name, provider)
