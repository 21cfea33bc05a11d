"""environment.yml and pyproject.toml must ask for the same things."""

import re
from pathlib import Path

import tomllib
import yaml

import swarmlab

ROOT = Path(__file__).resolve().parents[2]
CONDA_NAMES = {"docker": "docker-py", "graphviz": "python-graphviz"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].strip().lower()


def test_environment_yml_lists_every_runtime_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    for req in project["dependencies"]:
        name = CONDA_NAMES.get(_name(req), _name(req))
        assert name in conda, f"{name} missing from environment.yml"
        spec = req[len(_name(req)):].replace(" ", "")
        assert conda[name].replace(" ", "").endswith(spec), f"{req} vs {conda[name]}"
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_part


def test_public_api_is_exactly_all():
    public = {n for n in dir(swarmlab) if not n.startswith("_") and not n.islower()}
    assert public <= set(swarmlab.__all__) | {"annotations"}
    for name in swarmlab.__all__:
        assert hasattr(swarmlab, name), name


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Set up", 1)[1].split("```", 2)[1]
    commands = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert commands == ["./lab.sh", "./test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test.sh" in ci
