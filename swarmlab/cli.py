"""``swarmlab``: the terminal face of the kit. Parses, calls the library, prints."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from swarmlab import engine
from swarmlab.doctor import run_doctor
from swarmlab.friendly import friendly
from swarmlab.history import record
from swarmlab.images import box, build_all, image_table
from swarmlab.images import vm as vm_image
from swarmlab.lab import Lab
from swarmlab.progress import Steps
from swarmlab.providers import PROVIDERS, get_provider
from swarmlab.tables import format_table as table

NAME = click.option("--name", "-n", default="default", show_default=True, help="Lab name.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="swarmlab")
def main() -> None:
    """Real Docker Swarm clusters for learning: create, inspect, check, remove."""


@main.command()
@NAME
@click.option("--managers", "-m", default=1, show_default=True, type=int)
@click.option("--workers", "-w", default=2, show_default=True, type=int)
@click.option("--provider", "-p", default="dind", show_default=True,
              type=click.Choice(list(PROVIDERS)))
@click.option("--inventory", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Hosts file (YAML) for --provider ssh.")
@click.option("--vagrant-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of the Vagrantfile for --provider vagrant (default: the kit's).")
@click.option("--no-swarm", is_flag=True, help="Nodes with Docker but no swarm (lab 01).")
@click.option("--recreate", is_flag=True, help="Delete a lab of that name first.")
@click.option("--keep-on-error", is_flag=True, help="Keep what a failed up made, to debug.")
@friendly
def up(name: str, managers: int, workers: int, provider: str, inventory: str | None,
       vagrant_dir: str | None, no_swarm: bool, recreate: bool, keep_on_error: bool) -> None:
    """Create a lab (or reuse a healthy one of the same shape)."""
    if inventory:
        os.environ["SWARMLAB_INVENTORY"] = os.path.abspath(inventory)
    if vagrant_dir:
        os.environ["SWARMLAB_VAGRANT_DIR"] = os.path.abspath(vagrant_dir)

    lab = Lab.up(name, managers, workers, provider, form_swarm=not no_swarm,
                 recreate=recreate, keep_on_error=keep_on_error)
    click.echo(table(lab.status()))


@main.command()
@NAME
@click.option("--all", "all_labs", is_flag=True, help="Remove every swarmlab lab.")
@friendly
def down(name: str, all_labs: bool) -> None:
    """Remove every container, network and volume (or VM) of a lab."""
    if not all_labs:
        Lab.connect(name).down()
        return
    for prov_name in PROVIDERS:
        prov = get_provider(prov_name)
        for lab_name in prov.labs():
            click.echo(f"lab {lab_name!r} ({prov_name}) removed ({prov.delete(lab_name)} objects)")


@main.command()
@NAME
@friendly
def status(name: str) -> None:
    """A table of the lab's nodes: role, state, availability, leader, engine."""
    click.echo(table(Lab.connect(name).status()))


@main.command(name="ls")
@friendly
def list_labs() -> None:
    """The labs on this machine, with their provider."""
    for prov_name in PROVIDERS:
        for lab_name in get_provider(prov_name).labs():
            click.echo(f"{lab_name}\t{prov_name}")


@main.command(name="exec", context_settings={"ignore_unknown_options": True})
@NAME
@click.argument("node")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
@friendly
def exec_(name: str, node: str, cmd: tuple[str, ...]) -> None:
    """Run a command on a node: swarmlab exec manager1 -- docker node ls"""
    target = Lab.connect(name).node(node)
    line = cmd[0] if len(cmd) == 1 else shlex.join(cmd)
    def echo(stream: str, text: str) -> None:
        click.echo(text, nl=False, err=stream == "stderr")

    res = target.run(line, timeout=None, on_output=echo)
    record(target, line, res.exit_code)  # written after the command ran: checks read it
    sys.exit(res.exit_code)


@main.command(name="open")
@NAME
@click.argument("port", type=click.IntRange(1, 65535))
@click.option("--node", default=None,
              help="Node to ask (default: one running a task of the service publishing PORT).")
@click.option("--browser", is_flag=True, help="Also open the address in the default browser.")
@friendly
def open_(name: str, port: int, node: str | None, browser: bool) -> None:
    """Print the address where this machine reaches PORT published on the lab."""
    address = Lab.connect(name).url(port, node)
    click.echo(address)
    if browser:
        import webbrowser

        webbrowser.open(address)


def node_command(fn: Callable[[str, str], None]) -> Any:
    """``swarmlab CMD [--name LAB] NODE``: one action on one node of a lab."""
    return main.command()(NAME(click.argument("node")(friendly(fn))))


@node_command
def stop(name: str, node: str) -> None:
    """Power a node off (its engine goes away; the swarm sees it Down)."""
    Lab.connect(name).stop(node)
    click.echo(f"{node} stopped")


@node_command
def start(name: str, node: str) -> None:
    """Power a node on and wait until it is Ready again."""
    Lab.connect(name).start(node)
    click.echo(f"{node} started and Ready")


@main.group()
def images() -> None:
    """The node image and the lab images."""


@images.command(name="build")
@click.option("--force", is_flag=True, help="Rebuild even if current.")
@click.option("--offline", is_flag=True, help="Never try a registry.")
@friendly
def images_build(force: bool, offline: bool) -> None:
    """Build the images whose recipe changed (offline: debootstrap + busybox-static)."""
    steps = Steps()
    built = build_all(engine.connect(), steps, force=force, offline=offline or None)
    click.echo(f"built {len(built)} image(s) in {steps.elapsed:.1f}s")


@images.command(name="ls")
@friendly
def images_ls() -> None:
    """The kit's images and whether each is current."""
    click.echo(table(image_table(engine.connect())))


@images.command(name="vm")
@click.option("--force", is_flag=True, help="Rebuild even if current.")
@friendly
def images_vm(force: bool) -> None:
    """Build the VM node image (Debian with its kernel and docker.io) for the vm provider."""
    image = vm_image.ensure_image(Steps(), force=force)
    click.echo(f"VM image: {image.folder}")


@images.command(name="box")
@click.option("--add/--no-add", default=True, show_default=True,
              help="Also `vagrant box add` it (else only write the .box file).")
@friendly
def images_box(add: bool) -> None:
    """Package the VM image as the offline Vagrant box swarmlab/trixie (libvirt)."""
    steps = Steps()
    path = box.build_box(steps)
    if add:
        box.ensure_box(steps)
        click.echo(f"Vagrant has {box.BOX_NAME} {box.box_version()}; "
                   "set `box: swarmlab/trixie` in vagrant/swarmlab.yml to use it.")
    click.echo(f"box file (copy it to other machines: `vagrant box add --name "
               f"{box.BOX_NAME} FILE`): {path}")


@main.command()
@NAME
@click.argument("image", nargs=-1, required=True)
@friendly
def load(name: str, image: tuple[str, ...]) -> None:
    """Copy host images into every node (like kind load docker-image)."""
    Lab.connect(name).load(list(image))
    click.echo(f"loaded {', '.join(image)} into lab {name!r}")


@main.command()
@friendly
def setup() -> None:
    """Make sure a Docker engine answers (install/start it as root on Debian) and build images."""
    client = engine.ensure(log=click.echo)
    click.echo(f"docker engine {client.version().get('Version')} answers")
    build_all(client, Steps())


@main.command()
@NAME
@click.option("--nodes", default=3, show_default=True, help="Cluster size to plan for.")
@click.option("--quick", is_flag=True, help="Skip running a container in a node (the "
              "lab's when it is up, else a test node made for it: about 4 s).")
@friendly
def doctor(name: str, nodes: int, quick: bool) -> None:
    """Preflight: what works on this machine, and the fix for what does not."""
    ok = run_doctor(lab=name, nodes=nodes, echo=click.echo, deep=not quick)
    sys.exit(0 if ok else 1)


@main.command()
@NAME
@click.argument("ids", nargs=-1, required=True)
@friendly
def check(name: str, ids: tuple[str, ...]) -> None:
    """Run exercise checks: exit 0 only if all pass (or skip)."""
    result = Lab.connect(name).check(*ids)
    click.echo(str(result))
    results = getattr(result, "results", [result])
    sys.exit(0 if all(r.status in ("PASS", "SKIP") for r in results) else 1)


@main.command()
@click.option("--name", "-n", default=None,
              help="Lab name (default: $SWARMLAB_LAB, else default).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the table to this CSV file.")
@friendly
def progress(name: str | None, csv_file: str | None) -> None:
    """Every exercise of every lab: PASS / FAIL / not tried, with when (from the verdicts kept)."""
    import os
    from pathlib import Path

    from swarmlab.progress_table import progress as table_of

    table = table_of(name or os.environ.get("SWARMLAB_LAB") or "default")
    click.echo(str(table))
    if csv_file:
        Path(csv_file).write_text(table.to_csv())
        click.echo(f"wrote {csv_file}")


@main.command()
@NAME
@click.option("--output", "-o", default="cluster.svg", show_default=True,
              help="File to write: .svg, .png or .dot")
@friendly
def show(name: str, output: str) -> None:
    """Draw the cluster's topology to a file."""
    graph = Lab.connect(name).show()
    path = Path(output)
    fmt = path.suffix.lstrip(".") or "svg"
    if fmt == "dot":
        path.write_text(graph.source)
    else:
        path.write_bytes(graph.pipe(format=fmt))
    click.echo(f"wrote {path}")


from swarmlab.classroom.cli import class_group  # noqa: E402 - after main exists

main.add_command(class_group, name="class")

if __name__ == "__main__":
    main()
