"""Providers make the machines; the rest of the kit only sees ``Node``s."""

from swarmlab.providers.base import Provider

__all__ = ["Provider", "get_provider"]


def get_provider(name: str, **options: str) -> Provider:
    """The provider called ``name``: dind, ssh (``inventory=PATH``), vm; vagrant later."""
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
    raise SpecError(f"Provider {name!r} is not available yet; use dind, ssh or vm.")
