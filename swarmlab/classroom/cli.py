"""``swarmlab class ...``: a classroom on this host (see ``swarmlab.classroom``)."""

from __future__ import annotations

from pathlib import Path

import click

from swarmlab.friendly import friendly

CLASS = click.option("--name", "-n", default="class", show_default=True,
                     help="Class name (its students' clusters are <name>-<student>).")


@click.group(name="class")
def class_group() -> None:
    """A classroom workshop: a JupyterHub with a lab server and a cluster per student."""


@class_group.command()
@click.option("--students", "-s", type=int, required=True, help="How many students.")
def plan(students: int) -> None:
    """Memory and CPU a class needs on this host (measured per student), and the largest
    class this host holds."""
    from swarmlab.classroom.plan import plan as make_plan

    p = make_plan(students)
    click.echo("\n".join(p.lines()))
    raise SystemExit(0 if p.fits else 1)


@class_group.command()
@CLASS
@click.option("--students", "-s", type=int, default=None, help="student01 .. studentNN.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A file with one student name a line.")
@click.option("--port", "-p", type=int, default=8000, show_default=True,
              help="The class's address; the next three ports are used too.")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface, for a room).")
@click.option("--eager", is_flag=True, help="Make every cluster now (else at first start_lab).")
@click.option("--password", default=None, help="The class password (made when not given).")
@click.option("--instructor-password", default=None,
              help="The instructor's password, 32+ characters (made when not given).")
def up(name: str, students: int | None, roster: Path | None, port: int, ip: str, eager: bool,
       password: str | None, instructor_password: str | None) -> None:
    """Start the class: JupyterHub, a lab server per student at first login, clusters."""
    friendly(_up)(name, students, roster, port, ip, eager, password, instructor_password)


def _up(name: str, students: int | None, roster: Path | None, port: int, ip: str, eager: bool,
        password: str | None, instructor_password: str | None) -> None:
    from swarmlab.classroom import hub
    from swarmlab.classroom import roster as rosters
    from swarmlab.errors import SpecError

    if (students is None) == (roster is None):
        raise SpecError("say who is in the class: --students N or --roster FILE (one of them).")
    names = rosters.read(roster) if roster else rosters.numbered(students or 0)
    hub.up(hub.UpRequest(name, names, port, ip, eager, password, instructor_password),
           echo=click.echo)


@class_group.command()
@CLASS
def status(name: str) -> None:
    """Students, their cluster's state, whether their lab server runs."""
    friendly(_status)(name)


def _status(name: str) -> None:
    from swarmlab.classroom import hub
    from swarmlab.magics import format_table

    settings = hub.load(name)
    state = f"up at {settings.url}" if hub.is_up(settings.path) else "down"
    click.echo(f"class {name!r}: hub {state}")
    click.echo(format_table(hub.status(name)))


@class_group.command()
@CLASS
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every student x exercise to this CSV file.")
@click.option("--commands/--no-commands", default=False,
              help="Also read each student's last commands from their nodes.")
def progress(name: str, csv_file: Path | None, commands: bool) -> None:
    """The board in a terminal: students x exercises, who is stuck; or a CSV export."""
    friendly(_progress)(name, csv_file, commands)


def _progress(name: str, csv_file: Path | None, commands: bool) -> None:
    from swarmlab.classroom import board, hub

    settings = hub.load(name)
    rows = board.board_rows(settings, histories=board.node_histories if commands else None)
    if csv_file:
        csv_file.write_text(board.to_csv(rows))
        click.echo(f"wrote {csv_file} ({len(rows)} students)")
        return
    click.echo(board.to_text(rows))
    for r in rows:
        for c in r.commands:
            click.echo(f"  {r.student} {c.node} exit={c.exit_code}: {c.command.splitlines()[0]}")


@class_group.command()
@CLASS
@click.argument("student")
@click.option("--lab", "lab_id", default=None, help="Bring the cluster to this lab's start.")
def reset(name: str, student: str, lab_id: str | None) -> None:
    """A student's cluster to a lab's start, or removed (made again at their next start_lab)."""
    from swarmlab.classroom import hub

    friendly(hub.reset)(name, student, lab_id, echo=click.echo)


@class_group.command()
@CLASS
@click.option("--purge", is_flag=True, help="Also delete the progress database.")
def down(name: str, purge: bool) -> None:
    """Stop the hub, its proxy and every server; remove every student's cluster."""
    from swarmlab.classroom import hub

    friendly(hub.down)(name, purge, echo=click.echo)
