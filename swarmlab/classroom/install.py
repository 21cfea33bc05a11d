"""JupyterHub (PyPI) and its proxy, configurable-http-proxy (the npm registry), installed
by the kit when missing: JupyterHub into this Python, the proxy under the kit's cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from swarmlab.errors import CapabilityMissing

HUB_REQUIREMENT = "jupyterhub>=5.3"  # keep in step with pyproject's `class` extra
PROXY_PACKAGE = "configurable-http-proxy"


def hub_version() -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in metadata.version("jupyterhub").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return None


def ensure_hub(echo: Callable[[str], None] = print) -> None:
    """``pip install 'jupyterhub>=5.3'`` into this Python when it lacks it."""
    version = hub_version()
    if version is not None and version >= (5, 3):
        return
    echo(f"  installing {HUB_REQUIREMENT} (once) ...")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", HUB_REQUIREMENT],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise CapabilityMissing(f"pip install {HUB_REQUIREMENT!r} failed; install it by hand "
                                f"(`pip install 'swarmlab[class]'`):\n{proc.stderr[-1500:]}")


def proxy_prefix() -> Path:
    from swarmlab.paths import cache_root

    return cache_root() / "npm"


def find_proxy() -> str | None:
    local = proxy_prefix() / "node_modules" / ".bin" / PROXY_PACKAGE
    if local.exists():
        return str(local)
    return shutil.which(PROXY_PACKAGE)


def ensure_proxy(echo: Callable[[str], None] = print) -> str:
    """The proxy's command; ``npm install``-ed under the kit's cache when missing."""
    found = find_proxy()
    if found:
        return found
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        raise CapabilityMissing(f"JupyterHub's proxy ({PROXY_PACKAGE}) needs Node.js and npm: "
                                "`apt-get install nodejs npm`, then run this again.")
    echo(f"  installing {PROXY_PACKAGE} from npm (once) ...")
    proc = subprocess.run([npm, "install", "--prefix", str(proxy_prefix()), PROXY_PACKAGE],
                          capture_output=True, text=True, timeout=600)
    found = find_proxy()
    if proc.returncode != 0 or not found:
        raise CapabilityMissing(f"npm install {PROXY_PACKAGE} failed; install it by hand "
                                f"(`npm install -g {PROXY_PACKAGE}`):\n{proc.stderr[-1500:]}")
    return found
