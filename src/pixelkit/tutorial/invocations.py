"""What the function's CloudWatch log says about each run of it, and step 5's verdict from that.

Lambda writes ``START RequestId: <id>``, the function's lines, ``END`` and ``REPORT``
for every attempt. S3 invokes the function asynchronously, so Lambda retries a failed
attempt twice; the retries keep the request id (on AWS and the emulator alike), but an
older emulator gave each its own, so attempts are counted per request id when ids
repeat and per uploaded key when they do not. Step 5 (``pixelkit upload``, notebook 05)
reads the verdict here; nothing else decides whether an upload worked.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass, field

from pixelkit.aws.functions import DEFAULT_RETRIES
from pixelkit.tutorial.denials import find_denial

START = re.compile(r"^START RequestId: (\S+)")
END = re.compile(r"^END RequestId: (\S+)")
REPORT = re.compile(r"^REPORT RequestId: (\S+)")
# An unhandled error: "[ERROR] Type: message" (a space after the bracket; logging's own lines have a tab).
UNHANDLED = re.compile(r"^\[ERROR\] ([\w.]+): ?(.*)")
TIMED_OUT = re.compile(r"Task timed out after ([\d.]+) seconds")
# AWS's line when the runtime process dies (out of memory, os._exit): "RequestId: … Error: Runtime exited …".
EXITED = re.compile(r"^RequestId: \S+ Error: (Runtime exited.*)")
# The emulator's own line when it could not start an execution environment (not the function's fault).
NOT_STARTED = re.compile(r"^EMULATOR ERROR: the emulator could not start an execution environment for this function: (.*)")
# INIT's report when the runtime failed to start: an exit there happened while the function's module was imported.
INIT_FAILED = re.compile(r"^INIT_REPORT .*Status: error")
# How the kit's handler logs the event it received: an attempt without it names no upload.
RECEIVED = "Received event: "
# A logging line of the function at WARNING or ERROR: how the kit's handler says it skipped a picture.
LOGGED_PROBLEM = re.compile(r"^\[(WARNING|ERROR)\]\t[^\t]*\t[^\t]*\t(.*)", re.S)


@dataclass
class Attempt:
    """One run of the function: START to REPORT in one log stream."""

    request_id: str
    stream: str = ""
    lines: list[str] = field(default_factory=list)
    finished: bool = False  # REPORT seen: the attempt is over and its log complete

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def mentions(self, key: str) -> bool:
        return _names(self.text, key)

    @property
    def error(self) -> str | None:
        """The first line of the error that ended the attempt, as the log has it; None if it ended well."""
        for line in self.lines:
            first = line.splitlines()[0] if line else ""
            if UNHANDLED.match(first) or EXITED.match(first) or NOT_STARTED.match(first):
                return first
            if TIMED_OUT.search(first):
                return first
        return None

    @property
    def error_event(self) -> list[str]:
        """The whole error as logged, with its traceback (one event on Lambda; the lines up to END otherwise)."""
        for index, line in enumerate(self.lines):
            first = line.splitlines()[0] if line else ""
            if UNHANDLED.match(first) or EXITED.match(first) or TIMED_OUT.search(first) or NOT_STARTED.match(first):
                if "\n" in line:
                    return line.splitlines()
                rest = []
                for later in self.lines[index + 1:]:
                    if END.match(later) or REPORT.match(later) or later.startswith("["):
                        break
                    rest.append(later)
                return [line, *rest]
        return []

    @property
    def not_started(self) -> str | None:
        """Why the emulator could not start an environment for this attempt; None when it started."""
        match = NOT_STARTED.match(self.error or "")
        return match.group(1) if match else None

    @property
    def exited_in_init(self) -> bool:
        """The runtime died while the function's module was imported (INIT), not in the handler."""
        return EXITED.match(self.error or "") is not None and any(INIT_FAILED.match(line) for line in self.lines)

    @property
    def init_output(self) -> list[str]:
        """What the function printed while it started (between INIT_START and INIT_REPORT), the emulator's notes left out."""
        out, inside = [], False
        for line in self.lines:
            if line.startswith("INIT_START"):
                inside, out = True, []
            elif INIT_FAILED.match(line) or line.startswith(("INIT_REPORT", "START RequestId")):
                inside = False
            elif inside and not line.startswith("EMULATOR NOTE:"):
                out.extend(line.splitlines())
        return out

    @property
    def failed(self) -> bool:
        return self.finished and self.error is not None

    @property
    def succeeded(self) -> bool:
        return self.finished and self.error is None

    def cause(self) -> str:
        """The cause of a failed attempt in the learner's words, the function's own error after a colon."""
        error = self.error or ""
        timed_out = TIMED_OUT.search(error)
        if timed_out:
            return f"the function timed out after {float(timed_out.group(1)):g} s"
        if "AccessDenied" in self.text:
            denied = next((line for line in self.lines if "AccessDenied" in line), "")
            return f"access denied: {_message(denied)}"
        if self.not_started:
            return f"the emulator could not start the function's execution environment: {self.not_started}"
        exited = EXITED.match(error)
        if exited and self.exited_in_init:
            return f"the function's runtime exited while it started (INIT, as its module was imported): {exited.group(1)}"
        if exited:
            return f"the function's runtime exited: {exited.group(1)}"
        match = UNHANDLED.match(error)
        if match and match.group(1) == "Runtime.ExitError":
            return f"the function's runtime exited: {match.group(2)}"
        if match and match.group(1).startswith("Runtime."):
            return f"the function could not start: {match.group(1)}: {match.group(2)}"
        return f"the function raised {error.removeprefix('[ERROR] ')}"

    def fix(self, state=None) -> str:
        """What to do about a failed attempt; ``state`` lets a denial's fix name the policy's placeholders."""
        error = self.error or ""
        if TIMED_OUT.search(error):
            return "give the function more time and memory (step 4 sets them), or upload a smaller picture."
        if "AccessDenied" in self.text:
            return find_denial(self.lines, state) or (
                "the function's role lacks a permission: run step 2 again, it writes the role's policy back.")
        if self.not_started:
            return ("this is the emulator's, not the function's: do what the cause above says, restart the emulator "
                    "(`make emulator`, or run `make demo` again) and upload again.")
        if self.exited_in_init:
            return ("the function's code ended its process while its module was imported (os._exit, sys.exit, or a "
                    "crash at module level): read what it printed above, fix the module, deploy it again (step 3).")
        if "Runtime.ExitError" in error or EXITED.match(error):
            return ("the function's process died (out of memory? os._exit?): give it more memory (step 4), "
                    "or read its log above for what it did last.")
        if any(line.startswith("EMULATOR NOTE:") and "No copy for this computer could be fetched" in line
               for line in self.lines):  # the package is right for Lambda; this computer lacks its stand-in
            return ("the package's native code loads on Lambda but not on this computer, and the emulator has no copy "
                    "of it for this computer: connect to the network once and run `make prepare`, then restart the "
                    "emulator and upload again.")
        if "Runtime." in error:
            return "deploy the function again (step 3): its package, handler or runtime is not one Lambda can run."
        return "read the function's error above; fix the function (or run step 3 again to deploy the kit's), then upload again."

    def problem_with(self, key: str) -> str | None:
        """What a finished attempt that did not fail logged about ``key`` at WARNING or ERROR (a refused picture)."""
        for line in self.lines:
            match = LOGGED_PROBLEM.match(line)
            if match and ("destination_bucket" in match.group(2) or _names(match.group(2), key)):
                return match.group(2).splitlines()[0]
        return None


def _names(text: str, key: str) -> bool:
    """Whether ``text`` names the object ``key`` itself: ``cat.jpg`` is not named by ``black-cat.jpg``."""
    for form in {key, urllib.parse.quote_plus(key), urllib.parse.quote(key)}:
        if re.search(r"(?<![\w.+%-])" + re.escape(form) + r"(?![\w.+%-])", text):
            return True
    return False


def _message(line: str) -> str:
    """A log line without Lambda's level, time and request id columns."""
    return line.split("\t")[-1].splitlines()[0].removeprefix("[ERROR] ")


def parse_attempts(events: list[dict]) -> list[Attempt]:
    """The attempts in CloudWatch events (``message``, ``logStreamName``, ``timestamp``), in start order.

    A stream is one execution environment, which runs one invocation at a time: the lines
    between a START and its REPORT in that stream are that invocation's.
    """
    current: dict[str, Attempt] = {}
    attempts: list[Attempt] = []
    init_lines: dict[str, list[str]] = {}  # what INIT wrote before the first START: an init error is there
    for event in events:
        stream = event.get("logStreamName", "")
        message = event["message"].rstrip("\n")
        started = START.match(message)
        if started:
            attempt = Attempt(started.group(1), stream, [*init_lines.pop(stream, []), message])
            current[stream] = attempt
            attempts.append(attempt)
            continue
        attempt = current.get(stream)
        if attempt is None:
            if REPORT.match(message) or END.match(message):
                init_lines.pop(stream, None)  # those lines were the tail of an invocation begun before the window
            else:
                init_lines.setdefault(stream, []).append(message)  # INIT's, or such a tail
            continue
        attempt.lines.append(message)
        if REPORT.match(message):
            attempt.finished = True
            del current[stream]
    return attempts


@dataclass
class Standing:
    """Where one upload stands after its attempts so far."""

    attempts: list[Attempt]
    number: int  # which attempt the last one is (1 for the first)
    of: int  # how many Lambda makes at most

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def gave_up(self) -> bool:
        """The last attempt failed and Lambda makes no other: the upload failed."""
        return self.last is not None and self.last.failed and self.number >= self.of

    @property
    def will_retry(self) -> bool:
        return self.last is not None and self.last.failed and self.number < self.of


def attempts_of_upload(key: str, attempts: list[Attempt], keys: list[str] | None = None) -> tuple[list[Attempt], bool]:
    """The attempts that belong to the upload of ``key`` (among those of ``keys`` uploaded with it), and whether
    they were found by name.

    An attempt belongs to the key its log names (the kit's handler logs the event it received).
    One that names no upload at all (the function could not even start, so it logged no event)
    belongs to the same event as a named attempt with its request id (a retry keeps it); with no
    named attempt, the nameless ones are the candidates (``found by name`` is then False).
    """
    keys = keys or [key]
    nameless = [a for a in attempts if RECEIVED not in a.text and not any(a.mentions(k) for k in keys)]
    named = [a for a in attempts if a.mentions(key)]
    ids = {a.request_id for a in named}
    mine = [a for a in attempts if a in named or (a in nameless and a.request_id in ids)]
    return (mine, True) if mine else (nameless, False)


def progress_of(key: str, attempts: list[Attempt], keys: list[str], retries: int = DEFAULT_RETRIES) -> Standing:
    """Where the upload of ``key`` stands, among ``keys`` uploaded together (``attempts_of_upload`` says which are its).

    Nameless attempts (none names any upload) are shared out among the keys that have no named attempt.
    """
    mine, by_name = attempts_of_upload(key, attempts, keys)
    shared = 1 if by_name else max(1, sum(1 for k in keys if not any(a.mentions(k) for a in attempts)))
    if not mine:
        return Standing([], 0, retries + 1)
    ids_repeat = len({a.request_id for a in mine}) < len(mine)
    if ids_repeat:  # a retry keeps its request id: the last id's attempts are the last event's
        number = sum(1 for a in mine if a.request_id == mine[-1].request_id)
    else:
        number = math.ceil(len(mine) / shared)
    return Standing(mine, min(number, retries + 1), retries + 1)
