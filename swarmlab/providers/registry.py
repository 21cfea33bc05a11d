"""The one list of providers. Adding a provider is one module (or folder) and one line here.

Each entry names the class (``module:Class``, imported when first asked for, so a lab on
the local engine never loads paramiko or qemu code) and the options it takes. The order
is the order in which ``Lab.connect``, ``swarmlab ls`` and ``down --all`` look for labs,
and the order the CLI and error messages list them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from swarmlab.errors import SpecError

if TYPE_CHECKING:
    from swarmlab.providers.base import Provider

REGISTRY: dict[str, tuple[str, tuple[str, ...]]] = {
    "dind": ("swarmlab.providers.dind:DindProvider", ()),
    "vm": ("swarmlab.providers.vm:VmProvider", ()),
    "ssh": ("swarmlab.providers.ssh:SshProvider", ("inventory",)),
    "vagrant": ("swarmlab.providers.vagrant:VagrantProvider", ("vagrant_dir",)),
}
PROVIDERS: tuple[str, ...] = tuple(REGISTRY)


def provider_class(name: str) -> Any:
    """The class registered as ``name``; ``SpecError`` listing the real ones otherwise."""
    if name not in REGISTRY:
        raise SpecError(f"There is no provider {name!r}; use one of {', '.join(PROVIDERS)}.")
    module, cls = REGISTRY[name][0].split(":")
    return getattr(importlib.import_module(module), cls)


def get_provider(name: str, **options: Any) -> Provider:
    """The provider called ``name``, made with the options it takes (others are ignored):
    dind, ssh (``inventory=PATH``), vm, vagrant (``vagrant_dir=PATH``)."""
    cls = provider_class(name)
    taken = REGISTRY[name][1]
    prov: Provider = cls(**{k: v for k, v in options.items() if k in taken})
    return prov


__all__ = ["PROVIDERS", "REGISTRY", "get_provider", "provider_class"]
