"""A class's folder, settings, passwords and ports, and the JupyterHub config made of them.

Everything of a class lives in one folder (``$SWARMLAB_CLASS_ROOT/<class>``, else
``<cache>/classes/<class>``)::

    class.json              settings (no secrets)
    passwords.txt           the class password and the instructor's (0600)
    cards.html              a login card per student (0600: it holds the class password)
    jupyterhub_config.py    loads class.json through ``apply`` below
    hub/                    the hub's database, cookie secret, proxy pid; hub.log
    progress.sqlite         every student's verdicts and events (the board reads it)
    students/<name>/labs/   each student's own copy of the notebooks (their HOME)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from swarmlab.classroom.roster import INSTRUCTOR
from swarmlab.errors import SpecError
from swarmlab.jupyter_defaults import write_quiet_settings

ROOT_ENV = "SWARMLAB_CLASS_ROOT"
STUDENT_MIN, ADMIN_MIN = 8, 32  # JupyterHub's SharedPasswordAuthenticator's minimums
PORT_ROLES = ("proxy (the students' address)", "hub API", "proxy API", "board service")
LABS = Path(__file__).resolve().parents[2] / "labs"  # the notebooks students copy


def class_root() -> Path:
    """Where classes live: ``$SWARMLAB_CLASS_ROOT``, else ``<cache>/classes``."""
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    from swarmlab.paths import cache_root

    return cache_root() / "classes"


def class_dir(name: str) -> Path:
    return class_root() / name


@dataclass
class ClassSettings:
    """What ``class up`` decided; saved as ``class.json`` in the class folder."""

    name: str
    folder: str
    students: list[str]
    port: int = 8000
    ip: str = "127.0.0.1"
    eager: bool = False
    instructor: str = INSTRUCTOR
    labs_source: str = ""
    python: str = field(default_factory=lambda: sys.executable)
    proxy_command: str = "configurable-http-proxy"

    @property
    def path(self) -> Path:
        return Path(self.folder)

    @property
    def ports(self) -> list[int]:
        """The proxy's public port, then the hub API's, the proxy API's and the board's."""
        return [self.port + i for i in range(len(PORT_ROLES))]

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}"

    @property
    def progress_db(self) -> Path:
        return self.path / "progress.sqlite"

    def lab_of(self, student: str) -> str:
        """The cluster a student's notebooks drive."""
        return f"{self.name}-{student}"

    def student_home(self, student: str) -> Path:
        return self.path / "students" / student

    def save(self) -> None:
        (self.path / "class.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> ClassSettings:
        return cls(**json.loads((folder / "class.json").read_text()))


# ----- passwords --------------------------------------------------------------------------
def new_password(length: int) -> str:
    """A random password of letters and digits people can type from a card."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    return "".join(secrets.choice(alphabet) for _ in range(length))


def check_passwords(student: str, instructor: str) -> None:
    """The authenticator's rules, said before anything is made."""
    if len(student) < STUDENT_MIN:
        raise SpecError(f"the class password is {len(student)} characters; it needs at least "
                        f"{STUDENT_MIN}. Give a longer --password, or none to get one made.")
    if len(instructor) < ADMIN_MIN:
        raise SpecError(f"the instructor password is {len(instructor)} characters; it needs at "
                        f"least {ADMIN_MIN}. Give a longer --instructor-password, or none to "
                        "get one made.")
    if student == instructor:
        raise SpecError("the class password and the instructor password must differ.")


def write_private(path: Path, text: str) -> None:
    """Write a file only this user can read (0600), never readable in between."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def write_passwords(folder: Path, student: str, instructor: str) -> Path:
    path = folder / "passwords.txt"
    write_private(path, f"class password (every student): {student}\n"
                        f"instructor password (user {INSTRUCTOR}): {instructor}\n")
    return path


def read_passwords(folder: Path) -> tuple[str, str]:
    """(class password, instructor password) from ``passwords.txt``."""
    lines = (folder / "passwords.txt").read_text().splitlines()
    return lines[0].rsplit(": ", 1)[1], lines[1].rsplit(": ", 1)[1]


# ----- ports ------------------------------------------------------------------------------
def taken_ports(ip: str, ports: list[int]) -> list[int]:
    """The ports of ``ports`` something already listens on (or that cannot be bound)."""
    taken = []
    for port in ports:
        with socket.socket() as s:
            # As servers do: a port left in TIME_WAIT by a class just taken down is free.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((ip, port))
            except OSError:
                taken.append(port)
    return taken


def check_ports(settings: ClassSettings) -> None:
    if not 1024 <= settings.port <= 65535 - len(PORT_ROLES):
        raise SpecError(f"--port {settings.port} is not a port between 1024 and "
                        f"{65535 - len(PORT_ROLES)}.")
    taken = taken_ports(settings.ip, settings.ports)
    if taken:
        roles = dict(zip(settings.ports, PORT_ROLES, strict=True))
        said = ", ".join(f"{p} ({roles[p]})" for p in taken)
        raise SpecError(f"port {said} {'is' if len(taken) == 1 else 'are'} taken: the class "
                        f"uses {settings.port}-{settings.ports[-1]}. Pick others with "
                        f"--port (e.g. --port {settings.port + 100}), or stop what uses them.")


# ----- the hub's configuration ------------------------------------------------------------
def config_file_text(settings: ClassSettings) -> str:
    """``jupyterhub_config.py``: everything comes from class.json, through ``apply``."""
    return ("# Made by `swarmlab class up`; the settings are in class.json.\n"
            "from swarmlab.classroom.config import apply\n\n"
            f"apply(c, {str(settings.path)!r})  # noqa: F821 - `c` is JupyterHub's config\n")


def hub_settings(settings: ClassSettings, student_pw: str, admin_pw: str) -> dict[str, Any]:
    """The hub's configuration as plain values: ``{"Class": {"trait": value}}``."""
    folder = settings.path
    proxy_api, hub_api, board = settings.ports[2], settings.ports[1], settings.ports[3]
    users = set(settings.students)
    return {
        "JupyterHub": {
            "bind_url": f"http://{settings.ip}:{settings.port}",
            "hub_bind_url": f"http://127.0.0.1:{hub_api}",
            "authenticator_class": "shared-password",
            "spawner_class": "simple",
            "db_url": f"sqlite:///{folder / 'hub' / 'jupyterhub.sqlite'}",
            "cookie_secret_file": str(folder / "hub" / "jupyterhub_cookie_secret"),
            "pid_file": str(folder / "hub" / "jupyterhub.pid"),
            "cleanup_servers": True,
            "cleanup_proxy": True,
            "services": [{
                "name": "board",
                "url": f"http://127.0.0.1:{board}",
                "command": [settings.python, "-m", "swarmlab.classroom.service", str(folder)],
                "oauth_no_confirm": True,
                "display": True,
            }],
            "load_roles": [{"name": "board-readers", "scopes": ["access:services!service=board"],
                            "users": [settings.instructor]}],
        },
        "ConfigurableHTTPProxy": {
            "command": [settings.proxy_command],
            "api_url": f"http://127.0.0.1:{proxy_api}",
            "pid_file": str(folder / "hub" / "jupyterhub-proxy.pid"),
        },
        "Authenticator": {"allowed_users": sorted(users), "admin_users": [settings.instructor]},
        "SharedPasswordAuthenticator": {"user_password": student_pw, "admin_password": admin_pw},
        "Spawner": {
            "cmd": [settings.python, "-m", "jupyterhub.singleuser"],
            "default_url": "/lab/tree/labs/00-welcome.ipynb",
            "args": ["--ServerApp.open_browser=False",
                     *(["--allow-root"] if os.getuid() == 0 else [])],
            "start_timeout": 120,
            "http_timeout": 90,
        },
        "SimpleLocalProcessSpawner": {
            "home_dir_template": str(folder / "students" / "{username}"),
        },
    }


def student_environment(settings: ClassSettings, student: str) -> dict[str, str]:
    """What a student's server (and so their kernels) gets: their cluster, the class's
    progress database, the kit's cache, JupyterLab settings that ask nothing."""
    from swarmlab.paths import cache_root

    home = settings.student_home(student)
    return {
        "SWARMLAB_LAB": settings.lab_of(student),
        "SWARMLAB_PROGRESS_DB": str(settings.progress_db),
        "SWARMLAB_CACHE": str(cache_root()),
        "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings"),
        "PATH": os.path.dirname(settings.python) + os.pathsep + os.environ.get("PATH", ""),
    }


def apply(c: Any, folder: str) -> None:
    """Fill JupyterHub's config object ``c`` from the class folder (jupyterhub_config.py)."""
    settings = ClassSettings.load(Path(folder))
    student_pw, admin_pw = read_passwords(Path(folder))
    for section, traits in hub_settings(settings, student_pw, admin_pw).items():
        for trait, value in traits.items():
            setattr(getattr(c, section), trait, value)

    def environment(spawner: Any) -> dict[str, str]:
        return student_environment(settings, spawner.user.name)

    def prepare_home(spawner: Any) -> None:
        prepare_student(settings, spawner.user.name)
        spawner.environment = environment(spawner)

    c.Spawner.pre_spawn_hook = prepare_home
    c.JupyterHub.default_url = landing


def prepare_student(settings: ClassSettings, student: str) -> Path:
    """The student's folder (their HOME) with their own copy of ``labs/``."""
    home = settings.student_home(student)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "labs").exists():
        shutil.copytree(settings.labs_source or LABS, home / "labs",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__",
                                                     "solutions"))
    write_quiet_settings(home / ".jupyter" / "lab" / "user-settings")
    return home


def landing(handler: Any) -> str:
    """Where a login lands: the instructor on the board (no lab server of their own),
    a student on their JupyterLab (spawned if it is not running)."""
    user = handler.current_user
    if user is not None and user.admin:
        return "/services/board/"
    return f"{handler.hub.base_url}spawn"  # starts their server, then opens it
