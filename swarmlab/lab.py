"""Lab: a named cluster. The one object notebooks, the CLI and tests hold."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from swarmlab import swarm
from swarmlab.errors import (
    CapabilityMissing,
    ClusterExists,
    ClusterNotFound,
    SpecError,
    SwarmError,
    SwarmLabError,
)
from swarmlab.images import LAB_IMAGE_TAGS, build_all
from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.providers import PROVIDERS, Provider, get_provider
from swarmlab.spec import ClusterSpec, NodeSpec, validate_name


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
        if provider == "dind":
            _check_memory(len(spec.nodes))
        steps.say(f"[swarmlab] creating lab {name!r}: {spec.shape} ({prov.name})")
        try:
            if hasattr(prov, "client"):
                build_all(prov.client, steps)
            nodes = prov.create(spec, steps)
            lab = cls(name, prov, nodes)
            # Loading images and forming the swarm do not depend on each other: overlap them.
            with ThreadPoolExecutor(max_workers=1) as pool:
                loading = pool.submit(prov.load_images, nodes, list(LAB_IMAGE_TAGS)) \
                    if load_images else None
                if form_swarm:
                    lab._form(steps)
                if loading is not None:
                    with steps.step("load lab images into every node"):
                        loading.result()
        except BaseException:
            if not keep_on_error:
                steps.say(f"[swarmlab] up failed: removing what lab {name!r} created ...")
                prov.delete(name)
            raise
        steps.say(f"[swarmlab] lab {name!r} ready in {steps.elapsed:.1f}s")
        return lab

    @classmethod
    def _reuse(
        cls, spec: ClusterSpec, prov: Provider, nodes: list[Node], steps: Steps, form: bool,
        load: bool = True,
    ) -> Lab:
        """Reuse a lab; repair it when nodes were stopped or removed by hand."""
        wanted = {n.name: n for n in spec.nodes}
        extra = [n.name for n in nodes if n.name not in wanted]
        if extra:
            have = (sum(n.role == "manager" for n in nodes), sum(n.role == "worker" for n in nodes))
            raise ClusterExists(
                f"Lab {spec.name!r} exists with {have[0]} manager(s) + {have[1]} worker(s), not "
                f"{spec.shape}. Remove it first (`swarmlab down --name {spec.name}`) or "
                "pass recreate=True (`swarmlab up --recreate`)."
            )
        lab = cls(spec.name, prov, nodes)
        for name, node_spec in wanted.items():
            if name not in lab.node_names:
                steps.say(f"  - {name} is missing (removed by hand?): recreating it")
                lab._nodes.append(prov.add(spec.name, node_spec, steps))
        lab._nodes.sort(key=lambda n: (n.role != "manager", len(n.name), n.name))
        for n, state in prov.states(spec.name).items():
            if state != "running":
                with steps.step(f"start {n}"):
                    prov.start(spec.name, n)
        if form:
            lab._ensure_swarm(steps)
        if load:
            lab.refresh_images(steps)
        steps.say(f"[swarmlab] reusing lab {spec.name!r} ({spec.shape}) after {steps.elapsed:.1f}s")
        return lab

    def refresh_images(self, steps: Steps | None = None) -> None:
        """Build lab images whose recipe changed and load what a node lacks (cheap if none)."""
        steps = steps or Steps(quiet=True)
        client = getattr(self.provider, "client", None)
        if client is not None:
            build_all(client, steps)
        with steps.step("lab images present in every node"):
            self.load(list(LAB_IMAGE_TAGS))

    def _form(self, steps: Steps) -> None:
        with steps.step("form the swarm (init, join)"):
            swarm.form(self._nodes)
        with steps.step("wait until every node is Ready"):
            swarm.wait_ready(self._nodes)

    def _ensure_swarm(self, steps: Steps) -> None:
        """Join what is missing; if the swarm cannot be made whole, form it afresh."""
        try:
            with steps.step("check the swarm"):
                swarm.form(self._nodes)
                swarm.wait_ready(self._nodes, timeout=30)
        except SwarmLabError as e:
            steps.say(f"  - the swarm is broken ({str(e).splitlines()[0]}): forming it afresh")
            swarm.parallel(lambda n: swarm.leave(n, force=True), self._nodes)
            self._form(steps)
        swarm.prune_stale(self.managers[0], self.node_names)

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
            except SwarmLabError:
                if provider or prov_name == "dind":
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

    def manager(self) -> Node:
        """A manager that can answer management calls now (the leader if possible)."""
        running = self.provider.states(self.name)
        errors = []
        for m in self.managers:
            if running.get(m.name) != "running":
                continue
            try:
                rows = swarm.node_rows(m, timeout=10)
            except SwarmError as e:
                errors.append(str(e))
                continue
            leader = next((r.hostname for r in rows if r.is_leader), None)
            if leader and leader != m.name and running.get(leader) == "running":
                return self.node(leader)
            return m
        raise SwarmError(
            "No manager can answer right now"
            + (f" ({errors[0]})" if errors else " (every manager is stopped)")
            + ". If managers are stopped, quorum may be lost: start them with lab.start(...)."
        )

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
        if wait and swarm.swarm_state(n) == "active":
            self.wait_ready([n], timeout=timeout)

    def _note(self, kind: str, node: str = "") -> None:
        """Remember a power event on disk (checks of labs 02 and 05 read them)."""
        from swarmlab import records

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
        want = {n.name for n in (nodes or self._nodes)}
        deadline = time.monotonic() + timeout
        while True:
            try:
                rows = swarm.node_rows(self.manager(), timeout=10)
                ready = {r.hostname for r in rows if r.status == "Ready"}
                if want <= ready and any(r.is_leader for r in rows):
                    return
            except SwarmLabError:
                pass
            if time.monotonic() > deadline:
                swarm.wait_ready(self._nodes, timeout=1)  # raises with what it saw
                return
            time.sleep(0.5)

    def add_worker(self, quiet: bool = False) -> Node:
        """Create one more worker and join it to the swarm."""
        index = max([int(n.name[6:]) for n in self.workers] or [0]) + 1
        steps = Steps(quiet=quiet)
        node = self.provider.add(self.name, NodeSpec(f"worker{index}", "worker", index), steps)
        self._nodes.append(node)
        self.provider.load_images([node], list(LAB_IMAGE_TAGS))
        m = self.manager()
        swarm.join(node, swarm.join_token(m, "worker"), m)
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
            table.append({
                "node": n.name, "role": n.role, "address": n.address,
                "machine": states.get(n.name, "missing"),
                "status": r.status if r else "-",
                "availability": r.availability if r else "-",
                "manager": r.manager_status if r else "-",
                "engine": r.engine if r else "-",
            })
        return table


def _check_memory(nodes: int) -> None:
    """Refuse a cluster that cannot fit in free memory, before creating anything."""
    from swarmlab.doctor import NODE_MIB, _mem_available_kib

    free = _mem_available_kib() // 1024
    if free and nodes * NODE_MIB > free:
        raise CapabilityMissing(
            f"{nodes} nodes need about {nodes * NODE_MIB} MiB but only {free} MiB is free. "
            "Use fewer nodes (--workers) or close other programs."
        )


def up(name: str = "default", managers: int = 1, workers: int = 2, **kw: Any) -> Lab:
    """``Lab.up``: create or reuse a lab."""
    return Lab.up(name, managers, workers, **kw)


def connect(name: str = "default", provider: str | None = None) -> Lab:
    """``Lab.connect``: find an existing lab."""
    return Lab.connect(name, provider)
