"""The HTTP request this thread of the server serves: what moto's backends are not given of it.

moto hands its backends the parsed members of a request, not its headers; two AWS behaviours need
them: S3 events inherit the ``X-Amzn-Trace-Id`` of the request that caused them (Lambda's loop
detection, ``s3_events``), and ``x-amz-skip-destination-validation`` tells S3 not to validate a
notification's destinations (``strict``).
"""

from __future__ import annotations

import threading

_local = threading.local()


def remember(environ: dict) -> None:
    """Called by the server for each request, before moto serves it."""
    _local.headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items()
                      if name.startswith("HTTP_")}


def header(name: str, default: str = "") -> str:
    """A header of the request this thread serves ('' when none, or outside a request)."""
    return getattr(_local, "headers", {}).get(name.lower(), default)
