"""Lab 07, configs and secrets: a secret at /run/secrets on a read-only tmpfs and
nowhere else; a config file at the path a web server reads.

A secret's value never leaves the node that runs the task: the probe reads it there and
compares it there (with the service's spec sent in on stdin), and prints only where it
was found, never what it is. Check results name places and keys, never values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
from collections.abc import Iterator
from typing import Any

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.services import failing_reason, live_tasks, missing_service, settled
from swarmlab.errors import SwarmLabError
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import FileRef, ServiceInfo, Snapshot, TaskInfo

_SECRET_PARAMS = {"secret": "db_password", "service": "db", "wait_s": 30}
_CONFIG_PARAMS = {"config": "web_conf", "service": "site", "target": "/etc/httpd.conf",
                  "lines": ["A:127.0.0.1", "D:*"], "wait_s": 30}
_NOTEBOOK_SERVICES = ("unsafe", "demo", "db", "site")  # the notebook makes them
_RESTARTING = N_("it may be restarting: check again in a few seconds")
_NO_FILE = N_("The task on {node} has no file at {path}.")
_SHORT = 4  # a value this short is compared whole, not searched for inside other text

# Runs on the task's node. $1: container id, $2: the file's path in the container.
# Stdin: "PLACE<TAB>TEXT" lines (the service's spec). Prints MOUNT/NOFILE/EMPTY/SUM/LEAK
# lines; LEAK names a place, never the text.
_PROBE = r"""
pid=$(docker inspect -f '{{.State.Pid}}' "$1" 2>/dev/null) || { echo NOCONTAINER; exit 0; }
awk -v p="$2" '$2 == p { print "MOUNT", $1, $3, $4 }' "/proc/$pid/mounts"
f="/proc/$pid/root$2"
[ -f "$f" ] || { echo NOFILE; exit 0; }
echo "SUM $(sha256sum < "$f" | cut -d' ' -f1)"
[ "$3" = secret ] || exit 0
v=$(cat "$f")
[ -n "$v" ] || { echo EMPTY; exit 0; }
found() {  # $1: text; true when it holds the value
  if [ ${#v} -ge {short} ]; then case "$1" in *"$v"*) return 0;; esac; return 1; fi
  [ "$1" = "$v" ]
}
while IFS= read -r line; do
  found "${line#*	}" && echo "LEAK ${line%%	*}"
done
docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | while IFS= read -r e; do
  [ -n "$e" ] && found "${e#*=}" && echo "LEAK container env ${e%%=*}"
done
true
""".replace("{short}", str(_SHORT))


def _places(spec: Any, path: str = "spec") -> Iterator[tuple[str, str]]:
    """Every text in a service's spec with a name for where it is (env keys by name)."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            yield from _places(v, f"{path}.{k}")
    elif isinstance(spec, list):
        for i, v in enumerate(spec):
            if path.endswith(".Env") and isinstance(v, str):
                yield f"service env {v.split('=', 1)[0]}", v.split("=", 1)[-1]
            else:
                yield from _places(v, f"{path}[{i}]")
    elif isinstance(spec, str):
        yield path, spec


def _stdin(spec: Any) -> bytes:
    lines = (f"{where}\t{text}".replace("\n", " ").replace("\r", " ")
             for where, text in _places(spec))
    return ("\n".join(lines) + "\n").encode()


def _in_task(ctx: CheckContext, task: TaskInfo, path: str, kind: str,
             spec: Any = None) -> dict[str, list[str]] | None:
    """What the probe saw of ``path`` in the task's container; None if the node is away."""
    cmd = f"sh -c {shlex.quote(_PROBE)} probe {task.container_id} {shlex.quote(path)} {kind}"
    try:
        res = ctx.lab.node(task.node).run(cmd, timeout=30, stdin=_stdin(spec))
    except SwarmLabError:
        return None
    seen: dict[str, list[str]] = {}
    for line in res.stdout.splitlines():
        word, rest = line.partition(" ")[::2]
        seen.setdefault(word, []).append(rest)
    return seen


def _mount_problem(seen: dict[str, list[str]], path: str) -> str:
    """"" for a read-only tmpfs at ``path``, else what it is."""
    mounts = seen.get("MOUNT") or []
    if not mounts:
        return _("{path} is not a mount of its own").format(path=path)
    fstype, opts = (mounts[-1].split(" ") + ["", "", ""])[1:3]
    if fstype != "tmpfs":
        return _("{path} is on {fstype}, not tmpfs").format(path=path, fstype=fstype)
    if "ro" not in opts.split(","):
        return _("{path} is writable").format(path=path)
    return ""


def _one_task(ctx: CheckContext, svc: ServiceInfo) -> TaskInfo | CheckResult:
    snap = settled(ctx, float(ctx.params["wait_s"]),
                   lambda s: not live_tasks(s, svc.name))
    tasks = [t for t in live_tasks(snap, svc.name) if t.container_id and t.node]
    if not tasks:
        why = failing_reason(snap, svc.name)
        return ctx.fail(_("{service} has no running task to look into.").format(
                            service=svc.name),
                        _("its tasks fail: {why}").format(why=why) if why else
                        _("`docker service ps {service}` shows what its tasks are "
                          "doing").format(service=svc.name))
    return tasks[0]


def _service_spec(ctx: CheckContext, snap: Snapshot, name: str) -> Any:
    """The service's full spec as the managers hold it (env values included)."""
    manager = snap.source.node
    res = ctx.probe(manager, f"docker service inspect --format '{{{{json .Spec}}}}' {name}")
    try:
        return json.loads(res.stdout) if res.ok else {}
    except json.JSONDecodeError:
        return {}


def _ref(refs: tuple[FileRef, ...], name: str) -> FileRef | None:
    return next((r for r in refs if r.name == name), None)


@register("07.secret", title=N_("A password as a secret, not an environment variable"), lab="07",
          params=_SECRET_PARAMS,
          needs=("swarm",))
def secret(ctx: CheckContext) -> CheckResult:
    name, svc_name = str(ctx.params["secret"]), str(ctx.params["service"])
    snap = ctx.snapshot
    create = f"`printf 'YOUR-PASSWORD' | docker secret create {name} -`"
    use = f"`docker service create --name {svc_name} --secret {name} swarmlab/tools`"
    if snap.secret(name) is None:
        others = [s.name for s in snap.secrets]
        return ctx.fail((_("There is no secret named {name} (secrets: {others}).") if others
                         else _("There is no secret named {name}.")).format(
                            name=name, others=", ".join(others)), create, secrets=others)
    svc = snap.service(svc_name)
    if svc is None:
        return missing_service(ctx, snap, svc_name, use, known=_NOTEBOOK_SERVICES)
    ref = _ref(svc.secrets, name)
    env_keys = list(svc.env_keys)
    details: dict[str, Any] = {"secrets": [r.name for r in svc.secrets], "env_keys": env_keys}
    if ref is None:
        if env_keys:
            return ctx.fail(
                _("{service} does not use the secret {name}; it gets {keys} from its "
                  "environment (-e) instead.").format(service=svc_name, name=name,
                                                      keys=", ".join(env_keys)),
                f"`docker service update --env-rm {env_keys[0]} --secret-add {name} "
                f"{svc_name}`", **details)
        return ctx.fail(_("{service} does not use the secret {name}.").format(
                            service=svc_name, name=name),
                        f"`docker service update --secret-add {name} {svc_name}`", **details)
    task = _one_task(ctx, svc)
    if isinstance(task, CheckResult):
        return task
    path = ref.target if ref.target.startswith("/") else f"/run/secrets/{ref.target}"
    seen = _in_task(ctx, task, path, "secret", _service_spec(ctx, ctx.snapshot, svc_name))
    details.update(node=task.node, path=path)
    if seen is None or "NOCONTAINER" in seen:
        return ctx.fail(_("Could not look into {service}'s task on {node}.").format(
                            service=svc_name, node=task.node), _(_RESTARTING), **details)
    if "NOFILE" in seen or "EMPTY" in seen:
        return ctx.fail((_(_NO_FILE) if "NOFILE" in seen else
                         _("The task on {node} has no value at {path}.")).format(
                            node=task.node, path=path),
                        _("`docker service update --secret-add {name} {service}`; a secret "
                          "made from an empty file is empty").format(name=name,
                                                                     service=svc_name),
                        **details)
    leaks = sorted(set(seen.get("LEAK") or []))
    if leaks:
        keys = [w.split(" ")[-1] for w in leaks if " env " in f" {w}"]
        fix = (_("`docker service update --env-rm {key} {service}`: the task reads the "
                 "password from {path}").format(key=keys[0], service=svc_name, path=path)
               if keys else _("take the password out of the service's command, labels and "
                              "options: only the secret should hold it"))
        return ctx.fail(
            _("The secret's value also appears in {places}: anyone who can run `docker "
              "service inspect {service}` can read it.").format(places="; ".join(leaks),
                                                                service=svc_name),
            fix, **details, found_in=leaks)
    mount = _mount_problem(seen, path)
    if mount:
        return ctx.fail(_("In the task on {node}, {problem}.").format(node=task.node,
                                                                     problem=mount),
                        _("give the secret with --secret {name}, not through a volume or a "
                          "bind mount").format(name=name), **details)
    return ctx.ok(
        _("{service} uses the secret {name}: its task on {node} reads it at {path}, on a "
          "read-only tmpfs (memory, never the node's disk). The value is neither in the "
          "service's spec nor in the container's environment.").format(
            service=svc_name, name=name, node=task.node, path=path), **details)


def _config_data(ctx: CheckContext, snap: Snapshot, name: str) -> bytes | None:
    res = ctx.probe(snap.source.node,
                    f"docker config inspect --format '{{{{json .Spec.Data}}}}' {name}")
    try:
        return base64.b64decode(json.loads(res.stdout)) if res.ok else None
    except (ValueError, TypeError):
        return None


@register("07.config", title=N_("A web server's configuration as a config"), lab="07",
          params=_CONFIG_PARAMS,
          needs=("swarm",))
def config(ctx: CheckContext) -> CheckResult:
    p = ctx.params
    name, svc_name, target = str(p["config"]), str(p["service"]), str(p["target"])
    lines = [str(x) for x in p["lines"]]
    snap = ctx.snapshot
    use = (f"`docker service create --name {svc_name} --config source={name},target={target}"
           " swarmlab/web:v1`")
    if snap.config(name) is None:
        others = [c.name for c in snap.configs]
        return ctx.fail((_("There is no config named {name} (configs: {others}).") if others
                         else _("There is no config named {name}.")).format(
                            name=name, others=", ".join(others)),
                        _("write the file, then `docker config create {name} "
                          "httpd.conf`").format(name=name), configs=others)
    data = _config_data(ctx, snap, name)
    text = (data or b"").decode("utf-8", "replace")
    have = [ln.strip() for ln in text.splitlines()]
    absent = [ln for ln in lines if ln not in have]
    if absent:
        return ctx.fail(
            ngettext("{name} does not hold the line {lines}.",
                     "{name} does not hold the lines {lines}.", len(absent)).format(
                name=name, lines=", ".join(absent)),
            _("a config cannot be changed: remove it (`docker config rm {name}`, after "
              "removing the services that use it) and create it again from the right "
              "file").format(name=name), lines=have)
    svc = snap.service(svc_name)
    if svc is None:
        return missing_service(ctx, snap, svc_name, use, known=_NOTEBOOK_SERVICES)
    ref = _ref(svc.configs, name)
    details: dict[str, Any] = {"configs": {r.name: r.target for r in svc.configs}}
    if ref is None:
        return ctx.fail(_("{service} does not use the config {name}.").format(
                            service=svc_name, name=name),
                        f"`docker service update --config-add source={name},target={target} "
                        f"{svc_name}`", **details)
    if ref.target != target:
        where = ref.target if ref.target.startswith("/") else f"/{ref.target}"
        text = (_("{name} is mounted at {where} (the default without target=), not {target}: "
                  "the server never reads it there.") if where == f"/{name}" else
                _("{name} is mounted at {where}, not {target}: the server never reads it "
                  "there."))
        return ctx.fail(
            text.format(name=name, where=where, target=target),
            f"`docker service update --config-rm {name} --config-add source={name},"
            f"target={target} {svc_name}`", **details)
    task = _one_task(ctx, svc)
    if isinstance(task, CheckResult):
        return task
    seen = _in_task(ctx, task, target, "config")
    details.update(node=task.node)
    sums = (seen or {}).get("SUM") or []
    if seen is None or not sums:
        return ctx.fail(_(_NO_FILE).format(node=task.node, path=target), _(_RESTARTING),
                        **details)
    if data is not None and sums[-1] != hashlib.sha256(data).hexdigest():
        return ctx.fail(_("The file at {target} in the task differs from {name}.").format(
                            target=target, name=name),
                        _("something else is mounted there: remove other mounts at "
                          "{target}").format(target=target), **details)
    return ctx.ok(
        _("{service}'s task on {node} reads {name} at {target} ({n} line(s), read-only): "
          "every task of the service gets this file from the swarm, whatever node it lands "
          "on.").format(service=svc_name, node=task.node, name=name, target=target,
                        n=len(have)), **details)
