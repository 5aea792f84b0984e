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

import difflib
import os
import socket
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlparse

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from pixelkit.context.errors import WorkshopError

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


# Every call of the kit gives up on a silent endpoint instead of hanging: botocore's default is 60 s to
# connect and 60 s to read, with up to 5 attempts in legacy mode (minutes of silence on a dead network).
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
# Lambda's Invoke answers when the function ends: up to its timeout (60 s, pixelkit.tutorial.settings.TIMEOUT_SECONDS) and some.
READ_TIMEOUTS = {"lambda": 75}
ATTEMPTS = 3


def client_config(service: str) -> Config:
    """The kit's timeouts and bounded retries for one service's client (standard retry mode)."""
    return Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUTS.get(service, READ_TIMEOUT),
                  retries={"total_max_attempts": ATTEMPTS, "mode": "standard"})


@cache
def known_regions() -> frozenset[str]:
    """Every region AWS has, from botocore's bundled endpoint data (no network needed)."""
    session = botocore.session.Session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for service in ("s3", "lambda")
        for region in session.get_available_regions(service, partition)
    )


def region_problem(region: str | None) -> str | None:
    """What is wrong with a region name, or None for one AWS has."""
    if region in known_regions():
        return None
    if region is None or not str(region).strip():
        return "the region is empty"
    if str(region).strip().lower() in known_regions():
        return f"{region!r} is not a region name: they are lowercase, e.g. {str(region).strip().lower()!r}"
    close = difflib.get_close_matches(str(region), sorted(known_regions()), n=3)
    return (f"{region!r} is not one of the regions AWS has"
            + (f" (did you mean {' or '.join(close)}?)" if close else " (e.g. us-east-1, eu-west-1, ap-southeast-2)"))


def check_region(region: str | None, where: str = "AWS_REGION") -> str:
    """The region, or one message before anything is created in a region that does not exist."""
    problem = region_problem(region)
    if problem:
        raise WorkshopError(f"{where}: {problem}. Set a region AWS has, e.g. `export AWS_REGION=us-east-1` "
                            "(or `unset AWS_REGION` for the default), then run the command again. Nothing was created.")
    return region


def check_endpoint(url: str, where: str) -> str:
    """An endpoint URL the kit can use: http(s), a host, a numeric port; else one message."""
    parsed = urlparse(url)
    try:
        parsed.port
    except ValueError:
        raise WorkshopError(f"{where}={url} has a port that is not a number. Use e.g. http://127.0.0.1:4566.") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise WorkshopError(f"{where}={url} is not an http:// or https:// address with a host, e.g. http://127.0.0.1:4566.")
    return url


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
        # Every check before the environment changes: a refused setting leaves this process as it was.
        check_region(os.environ.get("AWS_REGION", DEFAULT_REGION))
        endpoint = check_endpoint(os.environ.get("WORKSHOP_ENDPOINT_URL") or DEFAULT_ENDPOINT, "WORKSHOP_ENDPOINT_URL")
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
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if name in os.environ:
            check_region(os.environ[name], name)
    try:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or boto3.Session().region_name
    except ProfileNotFound:
        raise WorkshopError(
            f"AWS_PROFILE={os.environ.get('AWS_PROFILE')} names no profile in your AWS configuration. "
            "`aws configure list-profiles` lists the ones you have; set one, or `unset AWS_PROFILE`."
        ) from None
    if not region:
        raise WorkshopError(
            "No AWS region is set. Set one, e.g. `export AWS_REGION=us-east-1`, or give your "
            "profile a region with `aws configure`."
        )
    check_region(region, "the region of your AWS profile")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return Target(AWS, region, check_endpoint(endpoint, "AWS_ENDPOINT_URL") if endpoint else None)


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
    """Fail early, with the fix, when the local target has no emulator to talk to, or something else answers."""
    if not target.is_local:
        return
    if not emulator_is_listening(target.endpoint_url):
        port = urlparse(target.endpoint_url).port
        if how_to_start == START_EMULATOR and port not in (None, urlparse(DEFAULT_ENDPOINT).port):
            # `make emulator` listens on 4566 unless told: name the port this run expects.
            how_to_start = START_EMULATOR.replace("`make emulator`", f"`make emulator WORKSHOP_EMULATOR_PORT={port}`")
        raise WorkshopError(f"The local emulator is not running at {target.endpoint_url}.\n{how_to_start}")
    sts = new_session(target).client(
        "sts", config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1, "mode": "standard"}))
    try:
        sts.get_caller_identity()
    except Exception as error:  # a web server that is not an AWS endpoint fails in many ways
        raise WorkshopError(
            f"Something listens at {target.endpoint_url}, but it is not the kit's emulator: it did not answer "
            f"an AWS call ({type(error).__name__}). Stop that program, or use another port: "
            "`make emulator` with WORKSHOP_EMULATOR_PORT and WORKSHOP_ENDPOINT_URL set to a free one."
        ) from None


def new_session(target: Target) -> boto3.Session:
    return boto3.Session(region_name=target.region)
