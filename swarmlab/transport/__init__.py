"""Transports: how the kit runs a command on a node."""

from swarmlab.transport.base import CommandResult, Transport

__all__ = ["CommandResult", "Transport"]
