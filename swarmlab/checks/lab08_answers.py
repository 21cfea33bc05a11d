"""The learner's answers to lab 08's discovery and round-robin exercises: what the names
resolve to, reading the answers, and naming a likely mix-up."""

from __future__ import annotations

from swarmlab.checks.services import addresses_on, vip_on
from swarmlab.i18n import N_, _
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo

_EMPTY = N_("an empty answer")


def expected_lookups(snap: Snapshot, web: ServiceInfo, api: ServiceInfo,
                     net: str) -> dict[str, list[str]]:
    """What each name resolves to on ``net``: the dnsrr service to its task addresses, the
    vip service to its virtual IP, ``tasks.NAME`` to the task addresses."""
    def tasks(svc: ServiceInfo) -> list[str]:
        return sorted(a for t in snap.tasks_of(svc.name) for a in addresses_on(snap, t, net))
    return {web.name: tasks(web), api.name: [vip_on(snap, api, net)],
            f"tasks.{api.name}": tasks(api)}


def read_addresses(answer: object) -> tuple[dict[str, list[str]] | None, str]:
    """The learner's answer as {name: sorted addresses}, or (None, what is wrong with it)."""
    if not isinstance(answer, dict) or not answer:
        return None, _(_EMPTY) if answer in (None, {}, [], "") else \
            _("{answer} is not a dict of names and addresses").format(answer=repr(answer))
    out: dict[str, list[str]] = {}
    for name, value in answer.items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple, set)) or not all(isinstance(a, str)
                                                                 for a in items):
            return None, _("{name}: {value} is not a list of addresses").format(
                name=repr(name), value=repr(value))
        out[str(name)] = sorted(a.strip() for a in items)
    return out, ""


def wrong_lookup(name: str, got: list[str], want: list[str], web: str, api: str,
                  table: dict[str, list[str]]) -> str:
    """What is wrong with the addresses given for ``name``, naming a likely mix-up."""
    shown = ", ".join(got) or _("nothing")
    if name == api and got == table[f"tasks.{api}"]:
        return _("For {api} you gave its task addresses ({shown}); {api} is in vip mode: its "
                 "name gives one virtual IP, not the tasks.").format(api=api, shown=shown)
    if name == web and len(got) == 1:
        return _("For {web} you gave one address ({shown}); {web} is in dnsrr mode: its name "
                 "gives all {n} task addresses.").format(web=web, shown=shown, n=len(want))
    return _("For {name} you gave {shown}, but on the cluster it resolves to {want}.").format(
        name=name, shown=shown, want=", ".join(want))


def by_hostname(tasks: tuple[TaskInfo, ...]) -> dict[str, TaskInfo]:
    """Running tasks by the hostname they answer with (their container id's first 12)."""
    return {t.container_id[:12]: t for t in tasks if t.container_id}


def read_counts(answer: object) -> tuple[dict[str, int] | None, str]:
    """The learner's answer as {hostname: answers}, or (None, what is wrong with it)."""
    if not isinstance(answer, dict) or not answer:
        return None, _(_EMPTY) if answer in (None, {}, [], "") else \
            _("{answer} is not a dict of hostnames and counts").format(answer=repr(answer))
    out: dict[str, int] = {}
    for host, count in answer.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None, _("{host}: {count} is not a number of answers").format(
                host=repr(host), count=repr(count))
        out[str(host).removeprefix("Hostname:").strip()] = count
    return out, ""
