"""How the command line shows the kit's errors (shared by ``swarmlab`` and ``swarmlab class``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from swarmlab.errors import SwarmLabError


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Kit errors become one clear message and exit 1; Ctrl-C exits 130."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SwarmLabError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.secho("interrupted", fg="yellow", err=True)
            sys.exit(130)

    return wrapper
