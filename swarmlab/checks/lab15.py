"""Lab 15, disaster recovery and the swarm's secrets: a backup of a manager's swarm state,
a cluster forced back from one survivor and its managers restored, autolock, rotated join
tokens and CA, and an encrypted overlay network.

The unlock key is a secret: no check reads it, prints it or keeps it.
"""

from __future__ import annotations

from typing import Any

from swarmlab.capabilities import IPSEC_HOW, ipsec_available
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.requires import swarm
from swarmlab.checks.services import network_seen
from swarmlab.checks.workload import parse_time, per_node, settle, spread
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import Snapshot

_NO_SWARM = N_("the swarm is gone or has no leader: if manager2 and manager3 are stopped, force "
               "a new cluster on manager1 (`docker swarm init --force-new-cluster`), else run "
               "`lab = swarmlab.start_lab('15')` again")
_ON = N_("on {node}: {command}")
_FORCE = r"\bdocker\s+swarm\s+init\b.*--force-new-cluster"


def cluster_spec(snap: Snapshot) -> dict[str, Any]:
    """``Swarm.Cluster.Spec`` as the node that answered reported it."""
    info = (snap.raw.get("info") or {}).get("body") or {}
    return dict(((info.get("Swarm") or {}).get("Cluster") or {}).get("Spec") or {})


def autolocked(snap: Snapshot) -> bool:
    return bool((cluster_spec(snap).get("EncryptionConfig") or {}).get("AutoLockManagers"))


def autolocked_at(ctx: CheckContext, snap: Snapshot) -> float:
    """When autolock was turned on: the learner's last command that did it, else the last
    change of the cluster's settings."""
    typed = ctx.ran(r"\bdocker\s+swarm\s+(update|init)\b.*--autolock(?!=false)")
    if typed:
        return max(e.at for e in typed)
    info = (snap.raw.get("info") or {}).get("body") or {}
    return parse_time(str(((info.get("Swarm") or {}).get("Cluster") or {}).get("UpdatedAt", "")))


def raft_members(snap: Snapshot) -> list[str]:
    """Managers in the Raft group. After ``--force-new-cluster`` the lost managers are still
    listed with the manager role, but without a manager status."""
    return [n.hostname for n in snap.managers if n.leader or n.reachability]


_SWARM = (swarm(_NO_SWARM),)


# ----- 15.backup ----------------------------------------------------------------------------
@register("15.backup", title=N_("Back up a manager's swarm state"), lab="15",
          params={"node": "manager1", "path": "/srv/swarmlab/swarm-backup.tgz"})
def backup(ctx: CheckContext) -> CheckResult:
    node, path = str(ctx.params["node"]), str(ctx.params["path"])
    cmd = _(_ON).format(node=node, command=f"`mkdir -p {path.rsplit('/', 1)[0]} && tar czf "
                        f"{path} -C /var/lib/docker swarm`")
    listing = ctx.probe_all(f"[ -f {path} ] && tar tzf {path} | head -400", timeout=20)
    here = listing.get(node)
    if here is None or not here.ok or not here.stdout.strip():
        elsewhere = [n for n, r in listing.items() if r.ok and r.stdout.strip() and n != node]
        return ctx.fail((_("There is no archive {path} on {node} (there is one on {others}).")
                         if elsewhere else _("There is no archive {path} on {node}.")).format(
                            path=path, node=node, others=", ".join(elsewhere)), cmd)
    names = {line.strip().rstrip("/") for line in here.stdout.splitlines()}
    need = {"raft": "swarm/raft", "certificates": "swarm/certificates"}
    missing = [k for k, p in need.items() if p not in names]
    if missing:
        shown = ", ".join(sorted(names)[:4]) or _("nothing")
        return ctx.fail(_("{path} on {node} has no {missing} folder under swarm/ (it holds "
                          "{shown}...): it is not a copy of /var/lib/docker/swarm.").format(
                            path=path, node=node, missing=_(" and no ").join(missing),
                            shown=shown), cmd, entries=len(names))
    return ctx.ok(_("{path} on {node} holds the swarm state: the Raft log (swarm/raft) and the "
                    "node's certificates and keys (swarm/certificates), {n} entries.").format(
                      path=path, node=node, n=len(names)))


# ----- 15.force-new -------------------------------------------------------------------------
@register("15.force-new", title=N_("Force a new cluster from the last manager"), lab="15",
          params={"node": "manager1", "service": "keep"}, needs=_SWARM)
def force_new(ctx: CheckContext) -> CheckResult:
    node, name = str(ctx.params["node"]), str(ctx.params["service"])
    snap = ctx.snapshot
    stopped = ctx.stopped()
    managers = raft_members(snap)
    if snap.service(name) is None:
        return ctx.fail(_("The swarm on {node} has no service {service}: `docker swarm init` "
                          "without --force-new-cluster (or a `swarm leave`) made a new, empty "
                          "swarm.").format(node=node, service=name),
                        _("`docker swarm init --force-new-cluster` keeps the Raft log: run "
                          "`lab = swarmlab.start_lab('15')` and do the lab again from "
                          "15.backup"), managers=managers)
    if not ctx.ran(_FORCE):
        return ctx.fail(_("No `docker swarm init --force-new-cluster` ran on a node since the "
                          "lab started (managers now: {managers}).").format(
                            managers=", ".join(managers)),
                        _("stop manager2 and manager3, then on {node}: `docker swarm init "
                          "--force-new-cluster`").format(node=node), managers=managers,
                        stopped=stopped)
    if managers != [node]:
        return ctx.fail(_("The managers are {managers}, not {node} alone.").format(
                            managers=", ".join(managers), node=node),
                        _("force the new cluster on {node}").format(node=node), managers=managers)
    return ctx.ok(_("{node} is the only manager and the Leader; the swarm kept its services "
                    "({services}).").format(node=node,
                                            services=", ".join(s.name for s in snap.services)),
                  managers=managers, stopped=stopped)


# ----- 15.restored --------------------------------------------------------------------------
@register("15.restored", title=N_("Restore the lost managers"), lab="15",
          params={"service": "keep", "managers": 3, "settle_s": 30}, needs=_SWARM)
def restored(ctx: CheckContext) -> CheckResult:
    name, want = str(ctx.params["service"]), int(ctx.params["managers"])
    snap = ctx.snapshot
    how = _("on each: `docker swarm leave --force`; on manager1: `docker node rm --force` the "
            "old entry, then join with `docker swarm join-token manager`'s command")
    if not (ctx.passed_before("15.force-new") or ctx.ran(_FORCE)):
        return ctx.fail(_("The managers were never lost and forced back in this lab: there is "
                          "nothing to restore yet."), _("do exercise 15.force-new first"))
    stale = [n.hostname for n in snap.nodes if not n.ready]
    if stale:
        return ctx.fail(ngettext("{nodes} is listed but not Ready: old entries of the lost nodes, "
                                 "or nodes not back yet.", "{nodes} are listed but not Ready: "
                                 "old entries of the lost nodes, or nodes not back yet.",
                                 len(stale)).format(nodes=", ".join(stale)), how,
                        nodes={n.hostname: f"{n.role}/{n.state}" for n in snap.nodes})
    workers = [n.hostname for n in snap.nodes if n.hostname.startswith("manager")
               and not n.is_manager]
    if workers:
        return ctx.fail(_("{nodes} came back as worker(s), not managers: they joined with the "
                          "worker token.").format(nodes=", ".join(workers)),
                        _("`docker node promote {nodes}` (or join with the manager "
                          "token)").format(nodes=" ".join(workers)))
    members = raft_members(snap)
    if len(members) != want or snap.leader is None:
        return ctx.fail(_("The swarm has {n} managers, not {want}.").format(n=len(members),
                                                                           want=want), how)
    leader = snap.leader.hostname
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))  # tasks of lost nodes move
    svc = snap.service(name)
    running = snap.tasks_of(name)
    if svc is None or (svc.replicas or 0) > len(running):
        return ctx.fail(_("{service} runs {n} task(s) of {replicas}.").format(
                            service=name, n=len(running), replicas=svc.replicas if svc else "?"),
                        _("give the tasks a few seconds to start, and check again"))
    return ctx.ok(_("{want} managers again ({members}), {leader} leads; {service} runs {n} "
                    "tasks on {spread}.").format(want=want, members=", ".join(members),
                                                 leader=leader, service=name, n=len(running),
                                                 spread=spread(per_node(running))))


# ----- 15.autolock --------------------------------------------------------------------------
@register("15.autolock", title=N_("Autolock: restart a manager and unlock it"), lab="15",
          params={"node": "manager2"}, needs=_SWARM)
def autolock(ctx: CheckContext) -> CheckResult:
    node = str(ctx.params["node"])
    snap = ctx.snapshot
    if not autolocked(snap):
        return ctx.fail(_("Autolock is off: a restarted manager starts without asking for a "
                          "key."),
                        _("on manager1: `docker swarm update --autolock=true` (it prints the "
                          "unlock key: keep it somewhere safe, never in a log)"))
    typed = [e.node for e in ctx.history() if "SWMKEY-1-" in e.source]
    if typed:  # never repeat the key itself
        return ctx.fail(_("The unlock key was typed into a command on {nodes}: it is now in "
                          "that node's command history, readable by anyone there.").format(
                            nodes=", ".join(typed)),
                        _("make a new key, and keep it out of commands: on manager1 `docker "
                          "swarm unlock-key --rotate -q > /dev/null`, then give it to `docker "
                          "swarm unlock` on its standard input (as the solution does)"))
    state = ctx.probe(node, "docker info -f '{{.Swarm.LocalNodeState}}'", timeout=15)
    if state.stdout.strip() == "locked":
        return ctx.fail(_("{node} is locked: its engine restarted and waits for the unlock "
                          "key.").format(node=node),
                        _("on {node}: `docker swarm unlock` and give it the key (from `docker "
                          "swarm unlock-key -q` on another manager)").format(node=node))
    restarts = [e for e in ctx.events() if e.kind == "start" and e.node == node
                and e.at > autolocked_at(ctx, snap)]
    if not restarts:
        return ctx.fail(_("Autolock is on, but {node} was not restarted since: nothing was "
                          "locked yet.").format(node=node),
                        _("`lab.stop({name})`, `lab.start({name})`, see `docker info` say "
                          "locked, then unlock it").format(name=repr(node)))
    info = snap.node(node)
    if info is None or not info.ready or not info.is_manager:
        return ctx.fail(_("{node} is not a Ready manager ({state}).").format(
                            node=node, state=info.state if info else _("not listed")),
                        _(_ON).format(node=node, command="`docker swarm unlock`"))
    return ctx.ok(_("Autolock is on; {node} was restarted, unlocked with the key, and is a "
                    "{role} manager again.").format(node=node, role="Leader" if info.leader
                                                    else "Reachable"))


# ----- 15.rotate ----------------------------------------------------------------------------
@register("15.rotate", title=N_("Rotate the join tokens and the CA"), lab="15", needs=_SWARM)
def rotate(ctx: CheckContext) -> CheckResult:
    tokens = ctx.ran(r"\bdocker\s+swarm\s+join-token\b.*--rotate")
    ca = ctx.ran(r"\bdocker\s+swarm\s+ca\b.*--rotate")
    if not tokens:
        return ctx.fail(_("No join token was rotated in this lab (the CA was).") if ca else
                        _("No join token was rotated in this lab."),
                        _("on manager1: `docker swarm join-token --rotate -q worker` (and "
                          "`manager`)"))
    if not ca:
        return ctx.fail(_("The join tokens were rotated, but not the CA."),
                        _(_ON).format(node="manager1", command="`docker swarm ca --rotate -q`"))
    force = int((cluster_spec(ctx.snapshot).get("CAConfig") or {}).get("ForceRotate") or 0)
    if force < 1:
        return ctx.fail(_("The CA rotation was asked for, but the cluster does not show it."),
                        _("`docker swarm ca --rotate` again, without -d, and wait"))
    return ctx.ok(_("The join tokens and the root CA were rotated (CA rotation #{n}): old "
                    "tokens no longer let a node join.").format(n=force))


# ----- 15.encrypted -------------------------------------------------------------------------
@register("15.encrypted", title=N_("An encrypted overlay network"), lab="15",
          params={"network": "secure", "service": "private"}, needs=_SWARM)
def encrypted(ctx: CheckContext) -> CheckResult:
    net, name = str(ctx.params["network"]), str(ctx.params["service"])
    create = f"`docker network create -d overlay --opt encrypted {net}`"
    snap, found = network_seen(ctx, ctx.snapshot, net)
    raw = next((n for n in (snap.raw.get("networks") or {}).get("body") or []
                if found is not None and n.get("Id") == found.id), None)
    if raw is None:
        return ctx.fail(_("There is no network {network}.").format(network=net),
                        _(_ON).format(node="manager1", command=create))
    if raw.get("Driver") != "overlay" or "encrypted" not in (raw.get("Options") or {}):
        return ctx.fail(_("{network} is a {driver} network without encryption (no --opt "
                          "encrypted).").format(network=net, driver=raw.get("Driver")),
                        _("remove it (`docker network rm {network}`), then {how}").format(
                            network=net, how=create))
    svc = snap.service(name)
    if svc is None or net not in svc.networks:
        return ctx.fail(_("No service {service} on {network}.").format(service=name, network=net),
                        _(_ON).format(node="manager1", command=f"`docker service create -d "
                                      f"--name {name} --replicas 2 --network {net} "
                                      "swarmlab/tools`"))
    ok, why = ipsec_available(ctx.lab.node(snap.source.node))
    if not ok:
        return ctx.skip(why, IPSEC_HOW)
    running = snap.tasks_of(name)
    if not running:
        return ctx.fail(_("No task of {service} runs on {network}.").format(service=name,
                                                                           network=net),
                        _("read the ERROR column of `docker service ps {service} "
                          "--no-trunc`").format(service=name))
    return ctx.ok(_("{network} is an encrypted overlay; {service} runs on it on {spread}: "
                    "traffic between nodes goes in IPsec (ESP).").format(
                      network=net, service=name, spread=spread(per_node(running))))
