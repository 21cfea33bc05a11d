"""Providers make the machines; the rest of the kit only sees ``Node``s."""

from swarmlab.providers.base import Provider

__all__ = ["Provider", "get_provider"]


def get_provider(name: str, **options: str) -> Provider:
    """The provider called ``name`` (dind now; ssh, vm, vagrant come with their issues)."""
    from swarmlab.errors import SpecError

    if name == "dind":
        from swarmlab.providers.dind import DindProvider

        return DindProvider()
    raise SpecError(f"Provider {name!r} is not available yet; use --provider dind.")
