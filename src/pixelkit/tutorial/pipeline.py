"""What step 5 (scripts/step5_upload_and_check.py) waits for and reads: the outputs, the function's log, the verdict.

The names of the outputs come from the deployed handler itself
(``handler/lambda_function.py``), so the kit never guesses them. S3 invokes the function
asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): a failed
attempt is retried twice, about a minute and then two later, which the wait here allows for.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import time
from datetime import timedelta
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from botocore.exceptions import WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from pixelkit.aws import functions, logs
from pixelkit.aws import s3 as s3_wrapper
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import HANDLER_DIR
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial import invocations
from pixelkit.tutorial.resources import forgotten_message, require_remembered, run_forgotten
from pixelkit.tutorial.settings import TIMEOUT_SECONDS

logger = logging.getLogger(__name__)


@cache
def handler_module():
    """The handler as deployed, loaded from ``handler/`` for its grid sizes and output names."""
    spec = importlib.util.spec_from_file_location("pixelkit_deployed_handler", HANDLER_DIR / "lambda_function.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grids() -> tuple[int, ...]:
    return tuple(handler_module().GRIDS)


def expected_outputs(key: str) -> list[str]:
    """The destination keys the function writes for a source key, coarsest (8x8) first."""
    return [handler_module().output_key(key, grid) for grid in grids()]


# object_exists, plus: 304 (Not Modified) means an output of an earlier upload is still there: keep waiting.
FRESH_OBJECT_WAITER = WaiterModel({
    "version": 2,
    "waiters": {
        "FreshObjectExists": {
            "operation": "HeadObject",
            "delay": 1,
            "maxAttempts": 3,
            "acceptors": [
                {"matcher": "status", "expected": 200, "state": "success"},
                {"matcher": "status", "expected": 404, "state": "retry"},
                {"matcher": "status", "expected": 304, "state": "retry"},
            ],
        }
    },
})


@dataclass
class Upload:
    original: Path
    key: str
    outputs: list[Path] = field(default_factory=list)
    problem: str | None = None  # why there are no outputs, when there are none


PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}


def pictures(paths: list[Path | str]) -> list[Path]:
    """The files to upload: each path a picture file, a folder standing for its pictures; else one message."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PICTURE_SUFFIXES)
            if not inside:
                raise WorkshopError(f"{path} is a folder with no pictures in it ({', '.join(sorted(PICTURE_SUFFIXES))}). "
                                    "Give a picture, or a folder that holds some.")
            found += inside
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise WorkshopError(f"{path} is not a picture file but a device or other special file. "
                                "Give the path of a picture on this computer.")
        else:
            raise WorkshopError(f"There is no file {path}. Give the path of a picture on this computer.")
    return found


def upload_image(ws: Workshop, path: Path, key: str | None = None) -> str:
    """Step 5's upload of one picture: ``upload_picture`` in scripts/step5_upload_and_check.py (kept here for its callers)."""
    from pixelkit.tutorial.steps.step5_upload_and_check import upload_picture

    return upload_picture(ws, path, key)


def function_log_events(ws: Workshop, since_ms: int = 0) -> list[dict]:
    """The function's log events since a time, as CloudWatch Logs holds them (with their log streams)."""
    return logs.read_log_events(ws.client("logs"), ws.require_state().log_group, since_ms)


def function_log(ws: Workshop, since_ms: int = 0) -> list[str]:
    """The function's log lines since a time, one log stream after the other, as the console shows a stream.

    Each stream is one execution environment, which runs one invocation at a time, so its START ...
    REPORT blocks stay whole; interleaved by time (as the log group's view shows them), two
    environments' invocations would mix line by line.
    """
    return lines_by_stream(function_log_events(ws, since_ms))


def lines_by_stream(events: list[dict]) -> list[str]:
    """CloudWatch events' messages, one log stream after the other (streams in the order they began)."""
    streams: dict[str, list[str]] = {}
    for event in sorted(events, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0))):
        streams.setdefault(event.get("logStreamName", ""), []).append(event["message"].rstrip("\n"))
    return [line for lines in streams.values() for line in lines]


def check_ready_for_uploads(ws: Workshop) -> None:
    """Before step 5 uploads anything: the run exists, the function exists, and the bucket triggers it."""
    state = ws.require_state()
    require_remembered(ws)
    if not s3_wrapper.bucket_exists(ws.client("s3"), state.source_bucket):
        raise WorkshopError(f"There is no source bucket {state.source_bucket}: run step 1 (or `make setup`) first.")
    found = functions.get_function(ws.client("lambda"), state.function_name)
    if found is None:
        raise WorkshopError(f"There is no function {state.function_name} yet: run step 3 (deploy the function) "
                            "and step 4 (its trigger) first, or `make setup`.")
    if not s3_wrapper.triggers_calling(ws.client("s3"), state.source_bucket, found["Configuration"]["FunctionArn"]):
        raise WorkshopError(f"s3://{state.source_bucket} does not trigger {state.function_name}: an upload would "
                            "not run the function. Run step 4 (configure the function and its trigger) first.")


def why_it_never_ran(ws: Workshop) -> str | None:
    """The reason S3 did not call the function, when one can be seen; None when all looks set."""
    state = ws.require_state()
    if run_forgotten(ws):
        return forgotten_message(ws)
    found = functions.get_function(ws.client("lambda"), state.function_name)
    if found is None:
        return f"There is no function {state.function_name}: run step 3 (deploy it) and step 4, then upload again."
    triggers = s3_wrapper.triggers_calling(ws.client("s3"), state.source_bucket, found["Configuration"]["FunctionArn"])
    if triggers is None:
        return f"There is no source bucket {state.source_bucket}: run `make setup` again."
    if not triggers:
        return f"No trigger: s3://{state.source_bucket} does not call {state.function_name}. Run step 4 again."
    statements = functions.get_policy_statements(ws.client("lambda"), state.function_name)
    if not functions.s3_may_invoke(statements, state.source_bucket):
        return f"S3 has no permission to invoke {state.function_name} for s3://{state.source_bucket}. Run step 4 again."
    return None


# How long step 5 allows for Lambda's wait before a retry, beyond the retry's own run: on AWS about a minute
# before the first retry and two before the second (plus 30 s); the emulator retries after 1 s, then 2 s.
RETRY_WAIT_LOCAL = 5.0


def _retry_wait(ws: Workshop, attempt: int) -> float:
    """An upper bound of Lambda's wait before the retry that follows attempt ``attempt``."""
    return RETRY_WAIT_LOCAL if ws.target.is_local else 60.0 * attempt + 30


class _Follower:
    """One upload followed through Lambda's attempts: each failed attempt said once, then the verdict."""

    def __init__(self, ws: Workshop, key: str, keys: list[str], since_ms: int, deadline: float):
        self.ws, self.key, self.keys, self.since_ms, self.deadline = ws, key, keys, since_ms, deadline
        self.retries = functions.max_retry_attempts(ws.client("lambda"), ws.require_state().function_name)
        self.failures_said = 0
        self.started = time.monotonic()
        self.next_look = self.started + NEVER_RAN_GRACE
        self.progress = invocations.Standing([], 0, self.retries + 1)

    def look(self) -> None:
        """Read the log; raise WorkshopError as soon as it explains why there will be no outputs."""
        attempts = invocations.parse_attempts(function_log_events(self.ws, self.since_ms))
        self.progress = progress = invocations.progress_of(self.key, attempts, self.keys, self.retries)
        failed = [a for a in progress.attempts if a.failed]
        if len(failed) > self.failures_said and progress.last is not None and progress.last.failed:
            self.failures_said = len(failed)
            if progress.will_retry:
                self.deadline = max(self.deadline, time.monotonic() + _retry_wait(self.ws, progress.number) + TIMEOUT_SECONDS + 30)
                logger.info("  %s: attempt %d of %d failed: %s; Lambda retries (waiting up to %d s more)",
                            self.key, progress.number, progress.of, progress.last.cause(),
                            self.deadline - time.monotonic())
        if progress.gave_up or (progress.last is not None and progress.last.not_started):
            raise WorkshopError(self._failed_message(progress.last, progress))  # the emulator retries no lost event
        if progress.last is not None and progress.last.succeeded:
            refused = progress.last.problem_with(self.key)
            if refused:
                raise WorkshopError(f"The function did not pixelate {self.key}:\n  {refused}")
        if not progress.attempts and time.monotonic() >= self.next_look:
            self.next_look = time.monotonic() + NEVER_RAN_GRACE
            reason = why_it_never_ran(self.ws)
            if reason:
                raise WorkshopError(f"The function never ran for {self.key}. {reason}")

    def _failed_message(self, attempt: invocations.Attempt, progress: invocations.Standing) -> str:
        error = attempt.error_event[:12] or [attempt.error or ""]
        tries = f"all {progress.of} attempts failed" if progress.of > 1 else "its one attempt failed"
        if attempt.not_started:
            tries = f"attempt {progress.number} of {progress.of} never started"
        printed = attempt.init_output[-8:] if attempt.exited_in_init else []
        before = ("It printed while it started:\n    " + "\n    ".join(printed) + "\n") if printed else ""
        return (f"The function did not pixelate {self.key}: {tries}, the last with: {attempt.cause()}.\n"
                + before + "The function's log says:\n    " + "\n    ".join(error)
                + f"\nTo fix it: {attempt.fix(self.ws.state)}")

    def timed_out(self, found: int, wanted: int) -> WorkshopError:
        """The verdict when the wait is over: what the log and the setup say about the missing outputs."""
        state = self.ws.require_state()
        head = f"Only {found} of the {wanted} outputs of {self.key} arrived in s3://{state.destination_bucket}"
        progress, last = self.progress, self.progress.last
        if last is None:
            reason = why_it_never_ran(self.ws) or (
                "S3 did not call the function, although the trigger and its permission are set"
                + (": read the emulator's console for a dropped event." if self.ws.target.is_local else "."))
            return WorkshopError(f"{head}: the function never ran for it. {reason}")
        if not last.finished:
            return WorkshopError(f"{head}: attempt {progress.number} of {progress.of} is still running "
                                 f"(its timeout is {TIMEOUT_SECONDS} s). Look again with `make status` and the log.")
        if last.failed:
            return WorkshopError(f"{head}: attempt {progress.number} of {progress.of} failed ({last.cause()}) and no "
                                 "retry came: Lambda dropped the event (was the function changed or deleted?). "
                                 f"To fix it: {last.fix(state)}")
        tail = "\n  ".join(function_log(self.ws, self.since_ms)[-15:])
        return WorkshopError(f"{head}: the function ran and ended without an error, but did not write them. Does "
                             f"destination_bucket name {state.destination_bucket} (step 4)? Its log:\n  {tail}")


# With no attempt in the log after this many seconds, step 5 looks whether S3 can call the function at all.
NEVER_RAN_GRACE = 5.0
# How long step 5 waits for an upload's outputs: the function's timeout, and time to start and write.
UPLOAD_WAIT_SECONDS = TIMEOUT_SECONDS + 30


def wait_for_outputs(ws: Workshop, key: str, since_ms: int, timeout: float | None = None, progress=None,
                     keys: list[str] | None = None) -> list[str]:
    """Wait until every output of ``key`` is in the destination bucket; explain from the log as soon as it can.

    ``keys``: every key uploaded with this one (their attempts are told apart by the keys
    their logs name).
    """
    state = ws.require_state()
    wanted = expected_outputs(key)
    follower = _Follower(ws, key, keys or [key], since_ms, time.monotonic() + (timeout or TIMEOUT_SECONDS + 30))
    s3 = ws.client("s3")
    waiter = create_waiter_with_client("FreshObjectExists", FRESH_OBJECT_WAITER, s3)
    # Outputs of an earlier upload of the same name are not the answer: only objects written from the
    # second before this upload on count (Last-Modified has one-second resolution). S3's own clock,
    # the upload's LastModified, decides, not this computer's.
    uploaded = s3.head_object(Bucket=state.source_bucket, Key=key)["LastModified"]
    fresh_since = uploaded - timedelta(seconds=1)
    found: list[str] = []
    for output in wanted:
        while True:
            try:
                waiter.wait(Bucket=state.destination_bucket, Key=output, IfModifiedSince=fresh_since,
                            WaiterConfig={"Delay": 1, "MaxAttempts": 2})
                break
            except WaiterError as error:
                if (error.last_response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
                    raise WorkshopError(
                        f"You may not read s3://{state.destination_bucket}/{output} (403 Forbidden): your AWS identity "
                        "needs s3:GetObject and s3:ListBucket on the destination bucket (policies/learner-policy.json)."
                    ) from error
                follower.look()
                if time.monotonic() > follower.deadline:
                    raise follower.timed_out(len(found), len(wanted)) from None
        found.append(output)
        if progress:
            progress(key, len(found), len(wanted))
    if follower.failures_said:
        try:
            follower.look()  # the outputs are in: which attempt made them (its log may not be written yet)
        except WorkshopError:
            pass  # a later attempt's failure does not undo outputs that are there
        done = follower.progress
        number = done.number + (1 if done.last is not None and done.last.failed else 0)
        logger.info("  %s: attempt %d of %d worked", key, min(number, done.of), done.of)
    return found


def wait_for_reports(ws: Workshop, count: int, since_ms: int, timeout: float = 30) -> list[str]:
    """Wait for ``count`` REPORT lines (the invocations have finished and written their logs); the lines so far."""
    deadline = time.monotonic() + timeout
    while True:
        lines = function_log(ws, since_ms)
        if sum(line.startswith("REPORT ") for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.5)


def run_pipeline_test(ws: Workshop, images: list[Path], out_dir: Path, progress=None,
                      keep_going: bool = False) -> tuple[list[Upload], list[str]]:
    """Step 5 whole: ``upload_and_check`` in scripts/step5_upload_and_check.py (kept here for its callers)."""
    from pixelkit.tutorial.steps.step5_upload_and_check import upload_and_check

    return upload_and_check(ws, images, out_dir, progress=progress, keep_going=keep_going)


def s3_put_event(bucket: str, key: str, region: str) -> dict:
    """The event S3 sends for one new object (the fields the handler reads, and a few more)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region, "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": key, "size": 0}},
    }]}


def invoke_with_s3_event(ws: Workshop, bucket: str, key: str) -> tuple[dict, list[str]]:
    """Call the deployed function directly, as S3 would for ``bucket/key``; return its answer and its log."""
    state = ws.require_state()
    response = ws.client("lambda").invoke(
        FunctionName=state.function_name, Payload=json.dumps(s3_put_event(bucket, key, state.region)), LogType="Tail"
    )
    payload = json.loads(response["Payload"].read() or b"null")
    log_tail = base64.b64decode(response.get("LogResult", "")).decode(errors="replace").splitlines()
    return payload, log_tail
