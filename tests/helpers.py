"""Small things several test modules need (fixtures live in conftest.py)."""

from __future__ import annotations

import socket

# What steps.inventory / steps.find_tagged say when nothing of the kit is left.
NOTHING = {"buckets": [], "functions": [], "roles": [], "log groups": []}


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (free once the probe closes)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
