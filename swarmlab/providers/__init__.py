"""Providers make the machines; the rest of the kit only sees ``Node``s.

``registry.py`` lists them; ``base.py`` says what each offers; ``common.py`` holds what
they share (parallel map, addresses, node order, waiting for an engine, memory).
"""

from swarmlab.providers.base import Provider
from swarmlab.providers.registry import PROVIDERS, get_provider

__all__ = ["PROVIDERS", "Provider", "get_provider"]
