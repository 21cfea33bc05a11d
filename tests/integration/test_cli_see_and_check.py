"""`swarmlab check` and `swarmlab show` from a terminal, on a real cluster."""

import os
import subprocess
import sys

from tests.integration.conftest import module_lab, shared_name

SEE = shared_name()

CLI = [sys.executable, "-m", "swarmlab.cli"]


lab = module_lab()


def cli(*args, lang: str = "en"):
    env = {**os.environ, "SWARMLAB_LANG": lang}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def test_check_fails_with_a_hint_then_passes_after_the_learner_acts(lab):
    before = cli("check", "--name", SEE, "00.hello")
    assert before.returncode == 1 and "FAIL" in before.stdout and "Hint:" in before.stdout
    assert cli("exec", "--name", SEE, "worker1", "--", "docker", "version").returncode == 0
    after = cli("check", "--name", SEE, "00.hello")
    assert after.returncode == 0 and "PASS" in after.stdout


def test_check_speaks_korean_with_swarmlab_lang_ko(lab):
    res = cli("check", "--name", SEE, "03.scale", lang="ko")  # no hello scaled to 5 here
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.startswith("[실패] 03.scale: ") and "\n       힌트: " in res.stdout
    assert "hello" in res.stdout, res.stdout


def test_unknown_exercise_id_is_a_clear_error(lab):
    res = cli("check", "--name", SEE, "03.scael")
    assert res.returncode == 1 and "03.scale" in res.stderr


def test_show_writes_svg_and_png_pictures_of_the_cluster(lab, tmp_path):
    svg, png = tmp_path / "c.svg", tmp_path / "c.png"
    assert cli("show", "--name", SEE, "-o", str(svg)).returncode == 0
    assert "manager1" in svg.read_text() and "worker1" in svg.read_text()
    assert cli("show", "--name", SEE, "-o", str(png)).returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
