"""Step 5: upload pictures, wait for the five outputs of each, read the function's log, download.

The names of the outputs come from the deployed handler itself
(``handler/lambda_function.py``), so the kit never guesses them.
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

from pixelkit.aws import logs
from pixelkit.errors import WorkshopError
from pixelkit.iam_advice import explain_denial
from pixelkit.paths import HANDLER_DIR
from pixelkit.steps import TIMEOUT_SECONDS
from pixelkit.workshop import Workshop

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


def upload_image(ws: Workshop, path: Path, key: str | None = None) -> str:
    state = ws.require_state()
    path = Path(path)
    if not path.is_file():
        raise WorkshopError(f"There is no file {path}. Give the path of a picture on this computer.")
    key = key or path.name
    ws.client("s3").upload_file(str(path), state.source_bucket, key)
    logger.info("  uploaded %s to s3://%s/%s", path.name, state.source_bucket, key)
    return key


def function_log(ws: Workshop, since_ms: int = 0) -> list[str]:
    """The function's log lines since a time, as CloudWatch Logs holds them."""
    return [event["message"].rstrip("\n") for event in logs.read_log_events(ws.client("logs"), ws.require_state().log_group, since_ms)]


def wait_for_outputs(ws: Workshop, key: str, since_ms: int, timeout: float | None = None, progress=None) -> list[str]:
    """Wait until every output of ``key`` is in the destination bucket; explain from the log if not."""
    state = ws.require_state()
    wanted = expected_outputs(key)
    deadline = time.monotonic() + (timeout or TIMEOUT_SECONDS + 30)
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
                            WaiterConfig={"Delay": 1, "MaxAttempts": 3})
                break
            except WaiterError as error:
                if (error.last_response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
                    raise WorkshopError(
                        f"You may not read s3://{state.destination_bucket}/{output} (403 Forbidden): your AWS identity "
                        "needs s3:GetObject and s3:ListBucket on the destination bucket (policies/learner-policy.json)."
                    ) from error
                problem = _problem_in_log(function_log(ws, since_ms), key, state)
                if problem:
                    raise WorkshopError(f"The function did not pixelate {key}:\n  {problem}")
                if time.monotonic() > deadline:
                    raise WorkshopError(
                        f"Only {len(found)} of the {len(wanted)} outputs of {key} arrived in s3://{state.destination_bucket}. "
                        f"Check that the trigger is set (step 4), and read the function's log:\n  "
                        + "\n  ".join(function_log(ws, since_ms)[-15:] or ["(the log is empty: the function never ran)"])
                    )
        found.append(output)
        if progress:
            progress(key, len(found), len(wanted))
    return found


def _problem_in_log(lines: list[str], key: str, state=None) -> str | None:
    """The first log line that says the function gave up on ``key``; a failure Lambda retries is not one.

    An AccessDenied is one even though Lambda retries it: the retry has the same policy.
    """
    for line in lines:
        denial = explain_denial(line, state)
        if denial:
            return f"{line.split(chr(9))[-1].splitlines()[0]}\n  {denial}"
        if "so that Lambda retries" in line:
            continue
        if ("[ERROR]" in line or "[WARNING]" in line or "Task timed out" in line) and (key in line or "Task timed out" in line or "Runtime." in line):
            return line.split("\t")[-1]
    return None


def wait_for_reports(ws: Workshop, count: int, since_ms: int, timeout: float = 30) -> list[str]:
    """Wait for ``count`` REPORT lines: the invocations have finished and written their logs."""
    deadline = time.monotonic() + timeout
    while True:
        lines = function_log(ws, since_ms)
        if sum(line.startswith("REPORT ") for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.5)


def download(ws: Workshop, keys: list[str], out_dir: Path) -> list[Path]:
    state = ws.require_state()
    paths = []
    for key in keys:
        path = Path(out_dir) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        ws.client("s3").download_file(state.destination_bucket, key, str(path))
        paths.append(path)
    return paths


def run_pipeline_test(
    ws: Workshop, images: list[Path], out_dir: Path, progress=None, keep_going: bool = False
) -> tuple[list[Upload], list[str]]:
    """Step 5 whole: upload each picture, wait for its outputs, download them; return the uploads and the log.

    With ``keep_going``, a picture the function refuses is noted in its ``problem`` and the
    others go on; without it, the first refusal raises its WorkshopError.
    """
    ws.require_state()
    images = [Path(path) for path in images]
    missing = [str(path) for path in images if not path.is_file()]
    if missing:
        raise WorkshopError(f"There is no file {', '.join(missing)}. Give the path of a picture on this computer.")
    logger.info("Step 5: upload %d picture(s) and wait for the function", len(images))
    since_ms = int(time.time() * 1000) - 1000
    uploads = [Upload(path, upload_image(ws, path)) for path in images]
    # One deadline for the whole upload: the function runs them all at once, so a wait is not per picture.
    deadline = time.monotonic() + TIMEOUT_SECONDS + 30
    for upload in uploads:
        try:
            keys = wait_for_outputs(ws, upload.key, since_ms, timeout=max(1.0, deadline - time.monotonic()),
                                    progress=progress)
        except WorkshopError as error:
            if not keep_going:
                raise
            upload.problem = str(error)
            logger.info("  %s: no pictures (%s)", upload.key, upload.problem.splitlines()[-1].strip())
            continue
        upload.outputs = download(ws, keys, out_dir)
        logger.info("  %s: %d pictures downloaded to %s", upload.key, len(keys), out_dir)
    log_lines = wait_for_reports(ws, len(uploads), since_ms)
    return uploads, log_lines


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
