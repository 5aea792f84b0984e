"""Which AWS the kit talks to: the local emulator (the default) or a real account.

One switch chooses: ``WORKSHOP_TARGET=aws`` in the environment, ``TARGET=aws`` for
make, ``--target aws`` for the scripts. Everything else goes through boto3's
standard configuration, so no step has a code path of its own for local use:

- ``local`` sets ``AWS_ENDPOINT_URL`` to the emulator (``http://127.0.0.1:4566``
  unless ``WORKSHOP_ENDPOINT_URL`` says otherwise) and dummy credentials, in this
  process's environment, so boto3 and the AWS CLI run from here reach it.
- ``aws`` uses the normal credential chain (``AWS_PROFILE``, ``AWS_REGION``,
  ``AWS_ENDPOINT_URL`` if you set one yourself).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

import boto3

from pixelkit.errors import WorkshopError

LOCAL = "local"
AWS = "aws"
TARGETS = (LOCAL, AWS)
DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_REGION = "us-east-1"
# The emulator accepts any credentials; these make sure real ones are never sent to it.
_SET_BY_KIT = "PIXELKIT_LOCAL_ENDPOINT"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class Target:
    name: str
    region: str
    endpoint_url: str | None

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL

    def describe(self) -> str:
        if self.is_local:
            return f"the local emulator at {self.endpoint_url} (region {self.region})"
        where = f" via {self.endpoint_url}" if self.endpoint_url else ""
        return f"AWS, region {self.region}{where}"


def target_name(name: str | None = None) -> str:
    name = (name or os.environ.get("WORKSHOP_TARGET") or LOCAL).strip().lower()
    if name not in TARGETS:
        raise WorkshopError(
            f"Unknown target {name!r}. Use 'local' (the emulator, the default) or 'aws' "
            "(a real account), e.g. `make setup TARGET=aws` or `--target aws`."
        )
    return name


def use_target(name: str | None = None) -> Target:
    """Point boto3 (and the AWS CLI run from this process) at the chosen target."""
    name = target_name(name)
    os.environ["WORKSHOP_TARGET"] = name
    if name == LOCAL:
        endpoint = os.environ.get("WORKSHOP_ENDPOINT_URL", DEFAULT_ENDPOINT)
        host = urlparse(endpoint).hostname or ""
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise WorkshopError(
                f"WORKSHOP_ENDPOINT_URL={endpoint} is not on this machine. The local target only "
                "talks to the emulator on loopback; use --target aws for anything else."
            )
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        os.environ[_SET_BY_KIT] = endpoint
        os.environ.update(LOCAL_CREDENTIALS)
        # A profile could carry its own endpoint or credentials: the local target ignores it.
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_DEFAULT_PROFILE", None)
        region = os.environ.setdefault("AWS_REGION", DEFAULT_REGION)
        os.environ["AWS_DEFAULT_REGION"] = region
        return Target(LOCAL, region, endpoint)
    _forget_local_settings()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or boto3.Session().region_name
    if not region:
        raise WorkshopError(
            "No AWS region is set. Set one, e.g. `export AWS_REGION=us-east-1`, or give your "
            "profile a region with `aws configure`."
        )
    return Target(AWS, region, os.environ.get("AWS_ENDPOINT_URL"))


def _forget_local_settings() -> None:
    """Switching to AWS in the same process (a notebook kernel) must not keep the emulator's settings."""
    endpoint = os.environ.pop(_SET_BY_KIT, None)
    if endpoint is None:
        return
    if os.environ.get("AWS_ENDPOINT_URL") == endpoint:
        del os.environ["AWS_ENDPOINT_URL"]
    for name, value in LOCAL_CREDENTIALS.items():
        if os.environ.get(name) == value:
            del os.environ[name]


def emulator_is_listening(endpoint: str = DEFAULT_ENDPOINT, timeout: float = 0.5) -> bool:
    url = urlparse(endpoint)
    try:
        with socket.create_connection((url.hostname, url.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


# How a learner at a terminal starts the emulator (a notebook says it its own way).
START_EMULATOR = (
    "Start it in another terminal with `make emulator` (or run `make demo`, which starts and stops it for you)."
)


def require_emulator(target: Target, how_to_start: str = START_EMULATOR) -> None:
    """Fail early, with the fix, when the local target has no emulator to talk to."""
    if target.is_local and not emulator_is_listening(target.endpoint_url):
        raise WorkshopError(f"The local emulator is not running at {target.endpoint_url}.\n{how_to_start}")


def new_session(target: Target) -> boto3.Session:
    return boto3.Session(region_name=target.region)
