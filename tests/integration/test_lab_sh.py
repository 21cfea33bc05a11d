import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_lab_sh_refuses_a_taken_port_before_making_anything():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = subprocess.run(["bash", str(ROOT / "lab.sh")], env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, timeout=30)
    assert res.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in res.stderr and "PORT=8899" in res.stderr
