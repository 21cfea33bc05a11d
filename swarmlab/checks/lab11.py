"""Lab 11, a stack: web + api + db from one compose file, deployed with ``docker stack
deploy``. The check reads the stack's services, looks inside their tasks, and asks the api
(which asks the db with the password from a secret) for an answer. Values of secrets are
never read or shown: only where the db says its password came from.
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.services import (
    in_task,
    label_rules,
    not_running,
    per_node,
    settle,
    spread,
)
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


@register("11.stack", title="Deploy the stack: web, api and db", lab="11",
          params={"stack": "app", "folder": "/srv/swarmlab/app", "settle_s": 40},
          needs=("swarm",))
def stack(ctx: CheckContext) -> CheckResult:
    p = ctx.params
    name, folder = str(p["stack"]), str(p["folder"])
    deploy = f"on manager1: `cd {folder} && docker stack deploy -c stack.yml {name}`"
    snap = ctx.snapshot
    svcs = stack_services(snap, name)
    if not svcs:
        return ctx.fail(f"There is no stack named {name}.", deploy,
                        services=[s.name for s in snap.services])
    missing = [s for s in ("web", "api", "db") if s not in svcs]
    if missing:
        return ctx.fail(f"Stack {name} has no service {', '.join(missing)} (it has "
                        f"{', '.join(sorted(svcs))}).",
                        f"add {'it' if len(missing) == 1 else 'them'} under `services:` in "
                        f"stack.yml, then {deploy}")
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
                f"{svc.name} still gets the password from the environment variable "
                f"{PLAIN_ENV}: anyone who can run `docker service inspect` reads it.",
                f"in stack.yml give {short} `secrets: [db_password]` and "
                f"`{SECRET_ENV}: /run/secrets/db_password` instead of {PLAIN_ENV}, then "
                f"{deploy}", env=list(svc.env_keys))
    db = svcs["db"]
    if not db.secrets:
        return ctx.fail(f"{db.name} uses no secret.",
                        "create one (`printf 'a password' | docker secret create db_password "
                        "-`), list it under `secrets:` in stack.yml (top level, "
                        f"`external: true`) and under the db service, then {deploy}")
    if SECRET_ENV not in db.env_keys:
        return ctx.fail(f"{db.name} has the secret {db.secrets[0].name} but no "
                        f"{SECRET_ENV} telling it where to read it.",
                        f"add `{SECRET_ENV}: /run/secrets/{db.secrets[0].target}` to the db's "
                        f"environment, then {deploy}")
    rules = [r for r in label_rules(db.constraints) if r[1] == "=="]
    if not rules:
        said = ", ".join(db.constraints) or "no placement constraint"
        return ctx.fail(f"{db.name} has {said}, not a rule on a node label: it may land on "
                        "any node (and its volume is per node).",
                        "label a node (`docker node update --label-add db=true worker1`), add "
                        "`placement: constraints: [node.labels.db == true]` under the db's "
                        f"`deploy:`, then {deploy}", constraints=list(db.constraints))
    key, _, value = rules[0]
    if not any(n.labels.get(key) == value for n in snap.nodes):
        return ctx.fail(f"{db.name} must run on a node labelled {key}={value}, but no node "
                        "has that label: its task stays Pending.",
                        f"`docker node update --label-add {key}={value} worker1`",
                        labels={n.hostname: n.labels for n in snap.nodes})
    web = svcs["web"]
    if web.update_config is None or web.update_config.delay_s <= 0:
        return ctx.fail(f"{web.name} has no update policy with a delay.",
                        "keep `update_config: {parallelism: 1, delay: 5s}` under the web's "
                        f"`deploy:`, then {deploy}")
    return None


def _live_problem(ctx: CheckContext, snap: Snapshot,
                  svcs: dict[str, ServiceInfo]) -> CheckResult | None:
    """What the running tasks show wrong: the db off its node, no password from the secret,
    no answer from the api or the web."""
    db = svcs["db"]
    key, _, value = next(r for r in label_rules(db.constraints) if r[1] == "==")
    labelled = {n.hostname for n in snap.nodes if n.labels.get(key) == value}
    off = [t for t in snap.tasks_of(db.name) if t.node not in labelled]
    if off:
        return ctx.fail(f"{db.name} runs on {', '.join(t.node for t in off)}, which has no "
                        f"label {key}={value}.", "run the check again in a few seconds")
    for t in snap.tasks_of(db.name):
        source = in_task(ctx, t, "cat /etc/db/password-source 2>&1").stdout.strip()
        if not source.startswith("file /run/secrets/"):
            return ctx.fail(f"The db task on {t.node} says its password came from: "
                            f"{source or 'nowhere'}.",
                            f"the db reads the file named by {SECRET_ENV}: set it to "
                            f"/run/secrets/{db.secrets[0].target}")
    api = snap.tasks_of(svcs["api"].name)[0]
    said = _answer(ctx, api, 80)
    if "db: " not in said or "no answer from" in said:
        return ctx.fail(f"The api on {api.node} did not get an answer from the db: "
                        f"{said.splitlines()[-1] if said else 'no output'}.",
                        "the api and the db need a shared network, the same secret, and the "
                        "db's name; look at `docker service logs " + db.name + "`",
                        api_said=said)
    web = snap.tasks_of(svcs["web"].name)[0]
    if "Hostname:" not in _answer(ctx, web, 80):
        return ctx.fail(f"The web task on {web.node} does not answer on port 80.",
                        f"look at `docker service ps {svcs['web'].name} --no-trunc`")
    return None


def _passed(ctx: CheckContext, snap: Snapshot, svcs: dict[str, ServiceInfo]) -> CheckResult:
    db, web = svcs["db"], svcs["web"]
    key, _, value = next(r for r in label_rules(db.constraints) if r[1] == "==")
    api = snap.tasks_of(svcs["api"].name)[0]
    record = next((ln[4:] for ln in _answer(ctx, api, 80).splitlines()
                   if ln.startswith("db: ")), "")
    converged = ", ".join(f"{s.name} {len(snap.tasks_of(s.name))}/"
                          f"{s.replicas if s.replicas is not None else 'global'}"
                          for _, s in sorted(svcs.items()))
    pol = web.update_config
    assert pol is not None
    return ctx.ok(
        f"All services converged ({converged}); {db.name} runs only on "
        f"{spread(per_node(snap.tasks_of(db.name)))}, labelled {key}={value}, with its "
        f"password from the secret {db.secrets[0].name}; the api answered with the db's "
        f"record '{record}'; {web.name} updates {pol.parallelism} at a time, "
        f"{pol.delay_s:g}s apart.",
        tasks_per_node={s.name: per_node(snap.tasks_of(s.name)) for s in svcs.values()},
        configs={s.name: [c.name for c in s.configs] for s in svcs.values() if s.configs})
