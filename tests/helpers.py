"""Small things several test modules need (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
import urllib.parse

# What steps.inventory / steps.find_tagged say when nothing of the kit is left.
NOTHING = {"buckets": [], "functions": [], "roles": [], "log groups": []}


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (free once the probe closes)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The handler's tests (test_handler.py, test_inputs.py): buckets in moto, and S3's events.
SOURCE = "day38-source-test"
DESTINATION = "day38-destination-test"


def s3_event(*keys: str, bucket: str = SOURCE, encode: bool = True) -> dict:
    """An S3 event as S3 sends it: keys URL-encoded, spaces as '+' (``encode=False``: the keys as given)."""
    return {"Records": [
        {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
         "s3": {"bucket": {"name": bucket}, "object": {"key": urllib.parse.quote_plus(key) if encode else key}}}
        for key in keys
    ]}


def destination_keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=DESTINATION).get("Contents", []))
