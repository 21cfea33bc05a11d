"""``class up`` / ``status`` / ``reset`` / ``down``: the hub, its proxy, the students'
servers and clusters. Everything is checked before anything is made; a failed ``up``
removes what it made."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from swarmlab.classroom import TRUST_MODEL, cards, plan, processes, roster
from swarmlab.classroom.config import (
    LABS,
    ClassSettings,
    check_passwords,
    check_ports,
    class_dir,
    config_file_text,
    new_password,
    prepare_student,
    write_passwords,
    write_private,
)
from swarmlab.classroom.install import ensure_hub, ensure_proxy
from swarmlab.errors import ClusterNotFound, SpecError

Echo = Callable[[str], None]
HUB_PID = Path("hub") / "jupyterhub.pid"


@dataclass
class UpRequest:
    """What the instructor asked for."""

    name: str
    students: list[str]
    port: int = 8000
    ip: str = "127.0.0.1"
    eager: bool = False
    password: str | None = None
    instructor_password: str | None = None


def hub_pid(folder: Path) -> int | None:
    return processes.read_pid(folder / HUB_PID)


def is_up(folder: Path) -> bool:
    return hub_pid(folder) is not None


def validate(req: UpRequest) -> tuple[ClassSettings, str, str]:
    """Every check ``up`` makes before it creates anything."""
    from swarmlab.spec import NAME_RE

    if not NAME_RE.match(req.name):
        raise SpecError(f"class name {req.name!r}: use a-z, 0-9 and -, starting with a letter.")
    roster.check_lab_names(req.name, req.students)
    folder = class_dir(req.name)
    if is_up(folder):
        old = ClassSettings.load(folder)
        raise SpecError(f"class {req.name!r} is already up at {old.url}: use it, or "
                        f"`swarmlab class down --name {req.name}` first.")
    student_pw = req.password or new_password(12)
    admin_pw = req.instructor_password or new_password(ADMIN_LEN)
    check_passwords(student_pw, admin_pw)
    settings = ClassSettings(req.name, str(folder), req.students, req.port, req.ip, req.eager,
                             labs_source=str(LABS))
    check_ports(settings)
    _check_docker()
    plan.check_fits(len(req.students))
    return settings, student_pw, admin_pw


ADMIN_LEN = 32


def _check_docker() -> None:
    from swarmlab import engine

    engine.connect(timeout=10)  # EngineUnavailable says how to start it


def up(req: UpRequest, echo: Echo = print) -> ClassSettings:
    """Make the class: folder, passwords, cards, (clusters), the hub with its proxy."""
    settings, student_pw, admin_pw = validate(req)
    settings.python = sys.executable
    ensure_hub(echo)
    settings.proxy_command = ensure_proxy(echo)
    folder = settings.path
    existed = folder.exists()
    try:
        _write_folder(settings, student_pw, admin_pw)
        if settings.eager:
            _make_clusters(settings, echo)
        _start_hub(settings)
    except BaseException:
        _undo(settings, existed)
        raise
    echo(TRUST_MODEL)
    echo(f"class {settings.name!r} is up: {settings.url}/  ({len(settings.students)} students)")
    echo(f"  class password (every student): {student_pw}")
    echo(f"  instructor login: {settings.instructor} / {admin_pw}")
    echo(f"  passwords kept in {folder / 'passwords.txt'} (only you can read it); login "
         f"cards to print: {folder / 'cards.html'}")
    echo(f"  the board: {settings.url}/services/board/ (as {settings.instructor})")
    return settings


def _write_folder(settings: ClassSettings, student_pw: str, admin_pw: str) -> None:
    folder = settings.path
    (folder / "hub").mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    settings.save()
    write_passwords(folder, student_pw, admin_pw)
    (folder / "jupyterhub_config.py").write_text(config_file_text(settings))
    write_private(folder / "cards.html", cards.cards_html(settings, student_pw))
    from swarmlab import records

    records.session_start("-", path=settings.progress_db)  # creates the database
    for student in settings.students:
        prepare_student(settings, student)


def _make_clusters(settings: ClassSettings, echo: Echo) -> None:
    from swarmlab.lab import Lab

    for student in settings.students:
        echo(f"  cluster {settings.lab_of(student)} ...")
        Lab.up(settings.lab_of(student), quiet=True)


def _start_hub(settings: ClassSettings, timeout: float = 90) -> None:
    folder = settings.path
    log = open(folder / "hub" / "hub.log", "ab")  # noqa: SIM115 - the hub keeps it
    proc = subprocess.Popen(
        [settings.python, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")],
        cwd=folder / "hub", stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{settings.url}/hub/api/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    tail = (folder / "hub" / "hub.log").read_text(errors="replace")[-1500:]
    raise SpecError(f"JupyterHub did not answer at {settings.url} within {timeout:.0f}s; "
                    f"its log ({folder / 'hub' / 'hub.log'}) ends:\n{tail}")


def _undo(settings: ClassSettings, existed: bool) -> None:
    _stop_processes(settings.path)
    if settings.eager:
        _remove_clusters(settings)
    if not existed:
        shutil.rmtree(settings.path, ignore_errors=True)


def _stop_processes(folder: Path) -> list[int]:
    pid = hub_pid(folder)
    if pid:  # the hub stops its servers and its proxy itself, given time
        processes.stop([pid], grace=30)
    left = list(processes.under(folder))
    processes.stop(left, grace=10)
    return left


def _remove_clusters(settings: ClassSettings) -> list[str]:
    from swarmlab.lab import Lab

    removed = []
    for student in settings.students:
        try:
            Lab.connect(settings.lab_of(student)).down(quiet=True)
        except ClusterNotFound:
            continue
        removed.append(settings.lab_of(student))
    return removed


def load(name: str) -> ClassSettings:
    folder = class_dir(name)
    if not (folder / "class.json").exists():
        raise SpecError(f"no class {name!r} here ({folder}): `swarmlab class up --name {name} "
                        "--students N` makes one.")
    return ClassSettings.load(folder)


def down(name: str, purge: bool = False, echo: Echo = print) -> None:
    """Stop the hub, its proxy and every server; remove every student's cluster and the
    class folder, except the progress database (and class.json) unless ``purge``."""
    settings = load(name)
    folder = settings.path
    stray = _stop_processes(folder)
    if stray:
        echo(f"  stopped {len(stray)} leftover process(es) of the class")
    removed = _remove_clusters(settings)
    echo(f"  removed {len(removed)} student cluster(s)")
    if purge:
        shutil.rmtree(folder, ignore_errors=True)
        echo(f"class {name!r} is down; its folder {folder} is removed")
        return
    keep = {"progress.sqlite", "progress.sqlite-wal", "progress.sqlite-shm", "class.json"}
    for item in folder.iterdir():
        if item.name not in keep:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    echo(f"class {name!r} is down; its progress is kept in {settings.progress_db} "
         "(`--purge` removes it)")


def status(name: str) -> list[dict[str, str]]:
    """One row per student: their cluster's state and whether their server runs."""
    from swarmlab.lab import Lab

    settings = load(name)
    procs = processes.under(settings.path)
    rows = []
    for student in settings.students:
        try:
            states = Lab.connect(settings.lab_of(student)).provider.states(
                settings.lab_of(student))
            running = sum(s == "running" for s in states.values())
            cluster = f"{running}/{len(states)} nodes running"
        except ClusterNotFound:
            cluster = "not made yet"
        home = str(settings.student_home(student).resolve())
        server = any("singleuser" in cmd for pid, cmd in procs.items()
                     if (processes._cwd(pid) or "").startswith(home))
        rows.append({"student": student, "cluster": settings.lab_of(student),
                     "state": cluster, "server": "running" if server else "stopped"})
    return rows


def reset(name: str, student: str, lab_id: str | None, echo: Echo = print) -> None:
    """A student's cluster to a lab's start (``start_lab``), or removed (made again at the
    student's next ``start_lab``)."""
    from swarmlab.lab import Lab
    from swarmlab.labs import start_lab

    settings = load(name)
    if student not in settings.students:
        raise SpecError(f"no student {student!r} in class {name!r}: "
                        f"{', '.join(settings.students)}.")
    os.environ["SWARMLAB_PROGRESS_DB"] = str(settings.progress_db)
    if lab_id:
        start_lab(lab_id, name=settings.lab_of(student), quiet=True)
        echo(f"{student}'s cluster is at the start of lab {lab_id}")
        return
    with contextlib.suppress(ClusterNotFound):
        Lab.connect(settings.lab_of(student)).down(quiet=True)
    echo(f"{student}'s cluster is removed; their next start_lab makes a fresh one")
