"""IPython magics: ``%%node``, ``%node`` and ``%swarmlab``. Parse, call the Lab, display.

::

    %load_ext swarmlab
    %%node manager1                  # the cell runs as a shell script on manager1
    docker node ls

    %node worker1 docker ps          # one line
    %swarmlab status | show | watch | check 01.init 01.join | timeline web | use NAME

Every magic takes ``--lab NAME``; without it they use the lab the notebook used last
(a ``Lab`` object it made, or the last ``--lab``), else ``default``.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
import uuid
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)

from swarmlab import history
from swarmlab.errors import SwarmLabError
from swarmlab.lab import Lab
from swarmlab.tables import format_table

_OPTION = re.compile(r"\s*--(lab|timeout)(?:=|\s+)(\S+)")
_NODE_USAGE = "Usage: %%node [--lab NAME] [--timeout SECONDS] NODE   (or %node NODE COMMAND)"
_SWARMLAB_USAGE = (
    "Usage: %swarmlab [--lab NAME] status | show | watch | check ID... | timeline SERVICE"
    " | use NAME"
)


def parse_options(line: str) -> tuple[dict[str, str], str]:
    """Leading ``--lab X`` / ``--timeout N`` options, and the rest of the line verbatim."""
    opts: dict[str, str] = {}
    while m := _OPTION.match(line):
        opts[m.group(1)] = m.group(2)
        line = line[m.end():]
    if line.lstrip().startswith("--"):
        raise UsageError(f"Unknown option {line.split()[0]!r}. Options: --lab NAME, --timeout N")
    return opts, line.strip()


def parse_cell_line(line: str) -> tuple[dict[str, str], str]:
    """``%%node`` takes its options before or after the node name."""
    opts, rest = parse_options(line)
    name, _, tail = rest.partition(" ")
    more, extra = parse_options(tail)
    if extra:
        raise UsageError(f"%%node takes one node name, not {rest!r}. {_NODE_USAGE}")
    return {**opts, **more}, name


def cell_command(script: str, pid_file: str) -> str:
    """The shell command that runs ``script`` with bash (sh where there is no bash).

    The process group id goes to ``pid_file`` so an interrupted cell can be stopped on
    the node too (``docker exec`` makes the command a session leader).
    """
    s = shlex.quote(script)
    return (
        f"cut -d' ' -f5 /proc/$$/stat > {pid_file} 2>/dev/null\n"
        f"if command -v bash >/dev/null 2>&1; then bash -c {s}; else sh -c {s}; fi\n"
        f"rc=$?; rm -f {pid_file}; exit $rc"
    )


def _echo(stream: str, chunk: str) -> None:
    out = sys.stderr if stream == "stderr" else sys.stdout
    out.write(chunk)
    out.flush()


@magics_class
class SwarmlabMagics(Magics):
    """``%node``/``%%node`` and ``%swarmlab``, bound to one IPython shell."""

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._current: Lab | str | None = None
        self._seen: set[int] = set()

    # ----- which lab --------------------------------------------------------------------
    def _newest_lab_in_namespace(self) -> Lab | None:
        newest = None
        ns = self.shell.user_ns if self.shell is not None else {}
        for key, value in list(ns.items()):
            if isinstance(value, Lab) and not key.startswith("_") and id(value) not in self._seen:
                self._seen.add(id(value))
                newest = value
        return newest

    def lab(self, name: str | None = None) -> Lab:
        """The lab a magic acts on: ``name``, else the one the notebook used last."""
        newest = self._newest_lab_in_namespace()
        if newest is not None and not name:
            self._current = newest
        wanted = name or self._current or "default"
        if isinstance(wanted, Lab):
            if wanted.nodes:
                return wanted
            wanted = wanted.name  # it was taken down: find it again, or say it is gone
        lab = self._find(wanted)
        self._current = lab
        return lab

    def _find(self, name: str) -> Lab:
        ns = self.shell.user_ns if self.shell is not None else {}
        for value in list(ns.values()):
            if isinstance(value, Lab) and value.name == name and value.nodes:
                return value
        try:
            return Lab.connect(name)
        except SwarmLabError as e:
            raise UsageError(str(e)) from None

    # ----- %node / %%node ---------------------------------------------------------------
    @no_var_expand  # a shell line's {{.Names}} and $VAR belong to the node's shell
    @line_cell_magic
    def node(self, line: str, cell: str | None = None) -> None:
        """Run a shell command (``%node NODE CMD``) or the cell (``%%node NODE``) on a node."""
        if cell is None:
            opts, rest = parse_options(line)
            name, _, script = rest.partition(" ")
        else:
            opts, name, script = *parse_cell_line(line), cell
        if not name or not script.strip():
            raise UsageError(_NODE_USAGE)
        timeout = _timeout(opts.get("timeout"))
        lab = self.lab(opts.get("lab"))
        try:
            target = lab.node(name)
        except SwarmLabError as e:
            raise UsageError(str(e)) from None
        pid_file = f"/tmp/.swarmlab-cell-{uuid.uuid4().hex[:12]}"
        try:
            result = target.run(cell_command(script, pid_file), timeout=timeout, on_output=_echo)
        except KeyboardInterrupt:
            _stop_on_node(target, pid_file)
            _record(target, script, 130)
            print(f"\n[{name}] interrupted: the command was stopped.", file=sys.stderr)
            return
        except SwarmLabError as e:
            raise UsageError(str(e)) from None
        _record(target, script, result.exit_code)  # checks read it (00.hello, ...)
        if result.exit_code == 124 and timeout:
            _stop_on_node(target, pid_file)
            print(f"[{name}] timed out after {timeout:.0f}s", file=sys.stderr)
        elif not result.ok:
            print(f"[{name}] exit code {result.exit_code}", file=sys.stderr)

    # ----- %swarmlab ----------------------------------------------------------------------
    @no_var_expand
    @line_magic
    def swarmlab(self, line: str) -> Any:
        """``status``, ``show``, ``watch``, ``check ID...``, ``timeline SERVICE``, ``use NAME``."""
        opts, rest = parse_options(line)
        words = rest.split()
        if not words:
            raise UsageError(_SWARMLAB_USAGE)
        verb, args = words[0], words[1:]
        if verb == "use" and len(args) == 1:
            lab = self.lab(args[0])
            print(f"[swarmlab] magics now use lab {lab.name!r}")
            return None
        lab = self.lab(opts.get("lab"))
        try:
            if verb == "status" and not args:
                print(format_table(lab.status()))
                return None
            if verb == "show" and not args:
                return lab.show()
            if verb == "watch" and not args:
                return lab.watch()
            if verb == "check" and args:
                return lab.check(*args)
            if verb == "timeline" and len(args) == 1:
                return lab.timeline(args[0])
        except SwarmLabError as e:
            raise UsageError(str(e)) from None
        raise UsageError(_SWARMLAB_USAGE)


def _timeout(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"--timeout takes seconds, not {value!r}.") from None
    return seconds if seconds > 0 else None


def _record(target: Any, script: str, exit_code: int) -> None:
    with contextlib.suppress(SwarmLabError):  # a node the command powered off keeps none
        history.record(target, script, exit_code)


def _stop_on_node(target: Any, pid_file: str) -> None:
    with contextlib.suppress(SwarmLabError):  # a node that went away has nothing to stop
        target.run(
            f"pg=$(cat {pid_file} 2>/dev/null) && kill -TERM -$pg; rm -f {pid_file}",
            timeout=10,
        )


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext swarmlab``: register the magics."""
    ipython.register_magics(SwarmlabMagics)
