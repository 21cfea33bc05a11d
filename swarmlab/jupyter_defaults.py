"""JupyterLab as the kit starts it asks nothing on first open: no "news" notification.

``write_quiet_settings(folder)`` writes the user setting into a JupyterLab settings folder
(``$JUPYTERLAB_SETTINGS_DIR``); ``python -m swarmlab.jupyter_defaults FOLDER`` does it from
``lab.sh``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

QUIET = {
    ("@jupyterlab", "apputils-extension", "notification"): {"fetchNews": "false",
                                                             "checkForUpdates": False},
}


def write_quiet_settings(folder: Path) -> None:
    """Set ``fetchNews`` off (and the update check) in the settings folder, keeping the
    user's other settings and any choice they made on these."""
    for (scope, extension, plugin), values in QUIET.items():
        path = folder / scope / extension / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            current = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            current = {}
        path.write_text(json.dumps({**values, **current}, indent=2) + "\n")


if __name__ == "__main__":
    write_quiet_settings(Path(sys.argv[1]))
