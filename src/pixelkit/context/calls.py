"""The AWS calls a step made, in order, with their parameters and the AWS CLI command that does the same.

The learner should see the API, not only the kit. Every ``Workshop`` records its clients'
calls with two botocore event hooks on its session (so on any target, emulator or AWS):
``before-parameter-build`` notes the operation and the parameters as the step passed them,
``after-call`` (or ``after-call-error``) notes what came back. Scripts print each call as a
line when it returns; notebooks show a table under each cell (``pixelkit.teaching.notebook``); the
dry run (``pixelkit.teaching.dryrun``) prints the same calls made against its private copy of AWS.
With ``WORKSHOP_CALL_LOG=<file>`` every call is also appended to that file as a JSON line (service,
operation, parameter names): how the tests see that a notebook and its script make the same calls.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import shlex
import threading
from dataclasses import dataclass, field

from botocore import xform_name

logger = logging.getLogger(__name__)

# Operations that only read; every other operation changes something.
READ_PREFIXES = ("Get", "List", "Head", "Describe", "Filter")
# The AWS CLI's name for a service, where it is not botocore's.
CLI_SERVICES = {"s3": "s3api"}
# Blob parameters the AWS CLI reads from a file, with the file's name the kit would give it.
CLI_FILES = {
    ("lambda", "ZipFile"): ("--zip-file", "fileb://deployment-package.zip"),
    ("s3", "Body"): ("--body", None),
}
LIMIT = 300


def is_write(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


@dataclass
class Call:
    """One call to AWS: what was asked (``params``) and, once it returned, how it ended (``outcome``)."""

    service: str
    operation: str
    params: dict
    outcome: str | None = None  # "200", "404 NoSuchBucket", "connection failed", None while it runs
    count: int = 1  # consecutive identical calls (a waiter's polls) are shown once, with their count

    @property
    def writes(self) -> bool:
        return is_write(self.operation)

    @property
    def method(self) -> str:
        """boto3's name: ``s3.create_bucket``."""
        return f"{self.service}.{xform_name(self.operation)}"

    def __str__(self) -> str:
        args = ", ".join(f"{k}={show_value(v)}" for k, v in self.params.items())
        return f"{self.method}({args})"

    def cli(self, whole: bool = False) -> str:
        """The AWS CLI (v1) command that makes the same call; ``whole``: long values uncut, to copy."""
        words = ["aws", CLI_SERVICES.get(self.service, self.service), xform_name(self.operation, "-")]
        limit = None if whole else LIMIT
        for name, value in self.params.items():
            words += _cli_option(self.service, name, value, limit)
        return " ".join(words)

    def same_as(self, other: "Call") -> bool:
        return (self.service, self.operation, self.outcome, str(self)) == (other.service, other.operation, other.outcome, str(other))


def show_value(value, limit: int = LIMIT) -> str:
    """A parameter as it was sent, with bytes and files abbreviated."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{_size(len(value))}, sha256 {hashlib.sha256(value).hexdigest()[:12]}…>"
    if hasattr(value, "read"):
        return f"<file {(_file_name(value) or '').rsplit('/', 1)[-1]}>".replace(" >", ">")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show_value(v, limit)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(v, limit) for v in value) + "]"
    if isinstance(value, datetime.datetime):
        return repr(value.isoformat())
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[0]


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _file_name(value) -> str | None:
    """The file behind a body, as it was named (the CLI command then reads the same file).

    s3transfer's ``upload_file`` wraps it: ReadFileChunk -> InterruptReader -> DeferredOpenFile(_filename).
    """
    for _ in range(5):
        if value is None:
            return None
        name = getattr(value, "name", None) or getattr(value, "_filename", None)
        if isinstance(name, str):
            return name
        value = getattr(value, "_fileobj", None)
    return None


def _jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return f"<{_size(len(value))}>"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if hasattr(value, "read"):
        return "<file>"
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _cli_option(service: str, name: str, value, limit: int | None = LIMIT) -> list[str]:
    option = "--" + xform_name(name, "-")
    if (service, name) in CLI_FILES:
        option, path = CLI_FILES[(service, name)]
        named = _file_name(value)
        return [option, path or (shlex.quote(named) if named else "<file>")]
    if service == "lambda" and name == "Code" and isinstance(value, dict) and "ZipFile" in value:
        return [*CLI_FILES[("lambda", "ZipFile")]]
    if isinstance(value, bool):
        return [option if value else "--no-" + option[2:]]
    if isinstance(value, (int, float)):
        return [option, str(value)]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, int)) for v in value):
        return [option, *(shlex.quote(str(v)) for v in value)]  # the CLI's form for a list of names
    if isinstance(value, (dict, list, tuple)):
        return [option, shlex.quote(_shorten(json.dumps(_jsonable(value), separators=(",", ":")), limit))]
    if isinstance(value, datetime.datetime):
        return [option, value.isoformat()]
    if isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
        return [option, "fileb://<file>"]
    return [option, shlex.quote(_shorten(str(value), limit))]


def _shorten(text: str, limit: int | None = LIMIT) -> str:
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def collapse(calls: list[Call]) -> list[Call]:
    """Consecutive identical calls (a waiter polling) as one, with their count."""
    shown: list[Call] = []
    for call in calls:
        if shown and shown[-1].same_as(call):
            shown[-1] = Call(call.service, call.operation, call.params, call.outcome, shown[-1].count + call.count)
        else:
            shown.append(Call(call.service, call.operation, call.params, call.outcome, call.count))
    return shown


@dataclass
class CallRecorder:
    """Notes every call the clients of one boto3 session make; ``echo`` prints each as it returns."""

    calls: list[Call] = field(default_factory=list)
    echo: bool = True
    recording: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_said: Call | None = field(default=None, repr=False)
    _repeats: int = field(default=0, repr=False)

    def attach(self, events) -> "CallRecorder":
        """Hook into a session's (or a client's) event system; clients made afterwards inherit it."""
        events.register("before-parameter-build", self._before, unique_id=f"pixelkit-calls-before-{id(self)}")
        events.register("after-call", self._after, unique_id=f"pixelkit-calls-after-{id(self)}")
        events.register("after-call-error", self._error, unique_id=f"pixelkit-calls-error-{id(self)}")
        return self

    def mark(self) -> int:
        """Where the record is now: ``since(mark)`` gives the calls made after it."""
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    # botocore's hooks ------------------------------------------------------------------------

    def _before(self, params, model, context=None, **_):
        if not self.recording:
            return
        call = Call(model.service_model.service_name, model.name, dict(params))
        with self._lock:
            self.calls.append(call)
            log = os.environ.get("WORKSHOP_CALL_LOG")
            if log:
                with open(log, "a") as file:
                    file.write(json.dumps({"service": call.service, "operation": call.operation,
                                           "params": sorted(call.params)}) + "\n")
        if context is not None:
            context.setdefault("pixelkit_calls", {})[id(self)] = call

    def _after(self, http_response=None, parsed=None, model=None, context=None, **_):
        call = self._call_of(context)
        if call is None:
            return
        status = getattr(http_response, "status_code", None)
        code = ((parsed or {}).get("Error") or {}).get("Code")
        if code == str(status):
            code = None  # a HEAD's 404 has no body, and botocore makes its code the status
        call.outcome = " ".join(str(part) for part in (status, code) if part) or "?"
        self._say(call)

    def _error(self, exception=None, context=None, **_):
        call = self._call_of(context)
        if call is None:
            return
        call.outcome = f"failed: {type(exception).__name__}"
        self._say(call)

    def _call_of(self, context) -> Call | None:
        return (context or {}).get("pixelkit_calls", {}).get(id(self))

    def _say(self, call: Call) -> None:
        """One line and its CLI form per call; a waiter's identical polls as one line and a count."""
        if not self.echo:
            return
        with self._lock:
            if self._last_said is not None and self._last_said.same_as(call):
                self._repeats += 1
                return
            repeats, self._repeats, self._last_said = self._repeats, 0, call
        if repeats:
            logger.info("    AWS   (the call above %d more time%s)", repeats, "s" if repeats > 1 else "")
        logger.info("    AWS %s -> %s\n        $ %s", call, call.outcome, call.cli())


def attach_recorder(session, echo: bool = True) -> CallRecorder:
    return CallRecorder(echo=echo).attach(session.events)
