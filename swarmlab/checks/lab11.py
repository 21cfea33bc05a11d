"""Lab 11, a stack: web + api + db from one compose file, deployed with ``docker stack
deploy``. The check reads the stack's services, looks inside their tasks, and asks the api
(which asks the db with the password from a secret) for an answer. Values of secrets are
never read or shown: only where the db says its password came from.
"""

from __future__ import annotations

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.services import (
    in_task,
    label_rules,
    not_running,
    per_node,
    settle,
    spread,
)
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo

STACK_LABEL = "com.docker.stack.namespace"
SECRET_ENV, PLAIN_ENV = "DB_PASSWORD_FILE", "DB_PASSWORD"


def stack_services(snap: Snapshot, stack: str) -> dict[str, ServiceInfo]:
    """The stack's services by their short name (``web`` for ``app_web``)."""
    return {s.name.removeprefix(f"{stack}_"): s for s in snap.services
            if s.labels.get(STACK_LABEL) == stack}


def _answer(ctx: CheckContext, task: TaskInfo, port: int) -> str:
    res = in_task(ctx, task, f"timeout 5 wget -q -O - http://127.0.0.1:{port}/ 2>&1",
                  timeout=20)
    return (res.stdout + res.stderr).strip()


@register("11.stack", title=N_("Deploy the stack: web, api and db"), lab="11",
          params={"stack": "app", "folder": "/srv/swarmlab/app", "settle_s": 40,
                  "answer_s": 45},
          needs=("swarm",))
def stack(ctx: CheckContext) -> CheckResult:
    p = ctx.params
    name, folder = str(p["stack"]), str(p["folder"])
    deploy = _("on manager1: {command}").format(
        command=f"`cd {folder} && docker stack deploy -c stack.yml {name}`")
    snap = ctx.snapshot
    svcs = stack_services(snap, name)
    if not svcs:
        return ctx.fail(_("There is no stack named {name}.").format(name=name), deploy,
                        services=[s.name for s in snap.services])
    missing = [s for s in ("web", "api", "db") if s not in svcs]
    if missing:
        return ctx.fail(_("Stack {name} has no service {missing} (it has {has}).").format(
                            name=name, missing=", ".join(missing), has=", ".join(sorted(svcs))),
                        ngettext("add it under `services:` in stack.yml, then {deploy}",
                                 "add them under `services:` in stack.yml, then {deploy}",
                                 len(missing)).format(deploy=deploy))
    wrong = _spec_problem(ctx, snap, svcs, deploy)
    if wrong is not None:
        return wrong
    snap = settle(ctx, [s.name for s in svcs.values()], float(p["settle_s"]))
    svcs = stack_services(snap, name)
    for short in ("db", "api", "web"):
        svc = svcs[short]
        running = snap.tasks_of(svc.name)
        if not running or (svc.replicas is not None and len(running) != svc.replicas):
            return not_running(ctx, snap, svc, svc.replicas)
    wrong = _live_problem(ctx, snap, svcs)
    return wrong if wrong is not None else _passed(ctx, snap, svcs)


def _spec_problem(ctx: CheckContext, snap: Snapshot, svcs: dict[str, ServiceInfo],
                  deploy: str) -> CheckResult | None:
    """What the file says wrong: a password in the environment, no secret, no label pin,
    no update policy."""
    for short, svc in sorted(svcs.items()):
        if PLAIN_ENV in svc.env_keys:
            return ctx.fail(
                _("{service} still gets the password from the environment variable {env}: "
                  "anyone who can run `docker service inspect` reads it.").format(
                    service=svc.name, env=PLAIN_ENV),
                _("in stack.yml give {short} `secrets: [db_password]` and `{file_env}: "
                  "/run/secrets/db_password` instead of {env}, then {deploy}").format(
                    short=short, file_env=SECRET_ENV, env=PLAIN_ENV, deploy=deploy),
                env=list(svc.env_keys))
    db = svcs["db"]
    if not db.secrets:
        return ctx.fail(_("{service} uses no secret.").format(service=db.name),
                        _("create one (`printf 'a password' | docker secret create db_password "
                          "-`), list it under `secrets:` in stack.yml (top level, `external: "
                          "true`) and under the db service, then {deploy}").format(deploy=deploy))
    if SECRET_ENV not in db.env_keys:
        return ctx.fail(_("{service} has the secret {secret} but no {env} telling it where to "
                          "read it.").format(service=db.name, secret=db.secrets[0].name,
                                             env=SECRET_ENV),
                        _("add `{env}: /run/secrets/{target}` to the db's environment, then "
                          "{deploy}").format(env=SECRET_ENV, target=db.secrets[0].target,
                                             deploy=deploy))
    rules = [r for r in label_rules(db.constraints) if r[1] == "=="]
    if not rules:
        said = ", ".join(db.constraints) or _("no placement constraint")
        return ctx.fail(_("{service} has {said}, not a rule on a node label: it may land on "
                          "any node (and its volume is per node).").format(service=db.name,
                                                                           said=said),
                        _("label a node (`docker node update --label-add db=true worker1`), add "
                          "`placement: constraints: [node.labels.db == true]` under the db's "
                          "`deploy:`, then {deploy}").format(deploy=deploy),
                        constraints=list(db.constraints))
    key, value = rules[0][0], rules[0][2]
    if not any(n.labels.get(key) == value for n in snap.nodes):
        return ctx.fail(_("{service} must run on a node labelled {label}, but no node has that "
                          "label: its task stays Pending.").format(service=db.name,
                                                                  label=f"{key}={value}"),
                        f"`docker node update --label-add {key}={value} worker1`",
                        labels={n.hostname: n.labels for n in snap.nodes})
    web = svcs["web"]
    if web.update_config is None or web.update_config.delay_s <= 0:
        return ctx.fail(_("{service} has no update policy with a delay.").format(
                            service=web.name),
                        _("keep `update_config: {{parallelism: 1, delay: 5s}}` under the web's "
                          "`deploy:`, then {deploy}").format(deploy=deploy))
    return None


def _live_problem(ctx: CheckContext, snap: Snapshot,
                  svcs: dict[str, ServiceInfo]) -> CheckResult | None:
    """What the running tasks show wrong: the db off its node, no password from the secret,
    no answer from the api or the web."""
    db = svcs["db"]
    key, value = next(r for r in label_rules(db.constraints) if r[1] == "==")[::2]
    labelled = {n.hostname for n in snap.nodes if n.labels.get(key) == value}
    off = [t for t in snap.tasks_of(db.name) if t.node not in labelled]
    if off:
        return ctx.fail(_("{service} runs on {nodes}, which has no label {label}.").format(
                            service=db.name, nodes=", ".join(t.node for t in off),
                            label=f"{key}={value}"), _("run the check again in a few seconds"))
    for t in snap.tasks_of(db.name):
        source = in_task(ctx, t, "cat /etc/db/password-source 2>&1").stdout.strip()
        if not source.startswith("file /run/secrets/"):
            return ctx.fail(_("The db task on {node} says its password came from: "
                              "{source}.").format(node=t.node, source=source or _("nowhere")),
                            _("the db reads the file named by {env}: set it to "
                              "/run/secrets/{target}").format(env=SECRET_ENV,
                                                              target=db.secrets[0].target))
    api = snap.tasks_of(svcs["api"].name)[0]
    # Right after a redeploy the db's new task may not be in the api's DNS answers yet, nor
    # its address in the overlay's tables on the api's node: nodes learn them by gossip over
    # UDP, and a lost message is made good by the full exchange every 30 s. The api says 502
    # until then (full run 12 saw it for more than 20 s).
    said = wait.settle(lambda: _answer(ctx, api, 80), timeout=float(ctx.params["answer_s"]),
                       interval=2, ok=_db_answered) or ""
    if not _db_answered(said):
        return ctx.fail(_("The api on {node} did not get an answer from the db: "
                          "{said}.").format(node=api.node, said=said.splitlines()[-1] if said
                                            else _("no output")),
                        _("the api and the db need a shared network, the same secret, and the "
                          "db's name; look at `docker service logs {service}`").format(
                            service=db.name), api_said=said)
    web = snap.tasks_of(svcs["web"].name)[0]
    if "Hostname:" not in _answer(ctx, web, 80):
        return ctx.fail(_("The web task on {node} does not answer on port 80.").format(
                            node=web.node),
                        _("look at `docker service ps {service} --no-trunc`").format(
                            service=svcs["web"].name))
    return None


def _db_answered(said: str) -> bool:
    return "db: " in said and "no answer from" not in said


def _passed(ctx: CheckContext, snap: Snapshot, svcs: dict[str, ServiceInfo]) -> CheckResult:
    db, web = svcs["db"], svcs["web"]
    key, value = next(r for r in label_rules(db.constraints) if r[1] == "==")[::2]
    api = snap.tasks_of(svcs["api"].name)[0]
    record = next((ln[4:] for ln in _answer(ctx, api, 80).splitlines()
                   if ln.startswith("db: ")), "")
    converged = ", ".join(f"{s.name} {len(snap.tasks_of(s.name))}/"
                          f"{s.replicas if s.replicas is not None else 'global'}"
                          for s in dict(sorted(svcs.items())).values())
    pol = web.update_config
    assert pol is not None
    return ctx.ok(
        _("All services converged ({converged}); {db} runs only on {spread}, labelled {label}, "
          "with its password from the secret {secret}; the api answered with the db's record "
          "'{record}'; {web} updates {parallelism} at a time, {delay}s apart.").format(
            converged=converged, db=db.name, spread=spread(per_node(snap.tasks_of(db.name))),
            label=f"{key}={value}", secret=db.secrets[0].name, record=record, web=web.name,
            parallelism=pol.parallelism, delay=f"{pol.delay_s:g}"),
        tasks_per_node={s.name: per_node(snap.tasks_of(s.name)) for s in svcs.values()},
        configs={s.name: [c.name for c in s.configs] for s in svcs.values() if s.configs})
