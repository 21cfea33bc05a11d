"""Providers make the machines; the rest of the kit only sees ``Node``s."""

from swarmlab.providers.base import Provider

__all__ = ["PROVIDERS", "Provider", "get_provider"]

# Every provider, in the order ``Lab.connect``, ``ls`` and ``down --all`` look for labs.
PROVIDERS = ("dind", "vm", "ssh", "vagrant")


def get_provider(name: str, **options: str) -> Provider:
    """The provider called ``name``: dind, ssh (``inventory=PATH``), vm, vagrant."""
    from swarmlab.errors import SpecError

    if name == "dind":
        from swarmlab.providers.dind import DindProvider

        return DindProvider()
    if name == "ssh":
        from swarmlab.providers.ssh import SshProvider

        return SshProvider(options.get("inventory"))
    if name == "vm":
        from swarmlab.providers.vm import VmProvider

        return VmProvider()
    if name == "vagrant":
        from swarmlab.providers.vagrant import VagrantProvider

        return VagrantProvider(options.get("vagrant_dir"))
    raise SpecError(f"There is no provider {name!r}; use one of {', '.join(PROVIDERS)}.")
