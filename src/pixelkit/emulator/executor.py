"""Runs deployed Lambda functions for moto, which would need Docker to do it.

Moto stores a function's zip but can only run it in a Docker container, and a
classroom laptop (or this kit's CI) often has none. This executor runs the zip
that step 3 uploaded in a child process of this Python (see ``runner.py``),
with the function's handler, environment variables and timeout, and with its
AWS endpoint pointed back at the emulator. It writes START, the function's own
lines, END and REPORT to ``/aws/lambda/<function>`` as Lambda does.

S3 invokes functions asynchronously: an upload returns at once and the function
runs on a worker thread, retried twice on error as Lambda retries async events.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.tags import Tag, sys_tags

from pixelkit.emulator.identity import role_credentials

logger = logging.getLogger("pixelkit.emulator")

RUNNER = Path(__file__).with_name("runner.py")
# Lambda retries a failed asynchronous invocation twice, after about 1 and 2 minutes.
# The emulator keeps the count and shortens the waits, so that a class sees the outcome.
ASYNC_RETRY_DELAYS = (1.0, 2.0)


@dataclass
class Invocation:
    request_id: str
    ok: bool
    timed_out: bool
    payload: object
    lines: list[str]


class LocalLambdaExecutor:
    def __init__(self, endpoint_url: str, workers: int = 4, retry_delays=ASYNC_RETRY_DELAYS):
        self.endpoint_url = endpoint_url
        self.retry_delays = retry_delays
        self.code_root = Path(tempfile.mkdtemp(prefix="pixelkit-lambda-code-"))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda")
        self._unpack_lock = threading.Lock()
        self._local_tags = {str(tag) for tag in sys_tags()}

    # Wiring into moto ----------------------------------------------------------------------

    def install(self) -> None:
        """Replace moto's Docker runner and make S3's calls to Lambda asynchronous."""
        from moto.awslambda.models import LambdaFunction
        from moto.s3 import notifications

        executor = self

        def _invoke_lambda(function, event=None):
            if isinstance(event, str):
                event = json.loads(event or "{}")
            result = executor.invoke(function, event or {})
            body = json.dumps(result.payload)
            return body, not result.ok, "\n".join(result.lines)

        LambdaFunction._invoke_lambda = _invoke_lambda
        notifications._invoke_awslambda = self.submit_s3_event

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.code_root, ignore_errors=True)

    def submit_s3_event(self, account_id: str, event_body: dict, fn_arn: str, region_name: str) -> None:
        delivery = self._pool.submit(self._deliver_async, account_id, region_name, fn_arn, _complete_s3_event(event_body, account_id))
        delivery.add_done_callback(_log_delivery_failure)

    def _deliver_async(self, account_id, region_name, fn_arn, event) -> None:
        from moto.awslambda.utils import get_backend

        key = event["Records"][0]["s3"]["object"]["key"]
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            time.sleep(delay)
            try:
                function = get_backend(account_id, region_name).get_function(fn_arn)
            except Exception:
                logger.warning("S3 event for %s dropped: function %s no longer exists", key, fn_arn.rsplit(":", 1)[-1])
                return
            result = self.invoke(function, event)
            outcome = "ok" if result.ok else ("timed out" if result.timed_out else "error")
            logger.info("lambda %s <- s3 %s: %s%s", function.function_name, key, outcome,
                        f" (attempt {attempt + 1})" if attempt else "")
            if result.ok:
                return
        logger.warning("lambda %s gave up on %s after %d attempts", function.function_name, key, attempt + 1)

    # Running one invocation ----------------------------------------------------------------

    def invoke(self, function, event: dict) -> Invocation:
        request_id = str(uuid.uuid4())
        code_dir, notes = self.unpack(function.code_bytes)
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        handle, result_name = tempfile.mkstemp(prefix="pixelkit-result-", suffix=".json")
        os.close(handle)  # the runner writes it; keeping it open would leak a descriptor per invocation
        result_path = Path(result_name)
        timeout = float(function.timeout or 3)
        env = self._environment(function, stream)
        job = {"handler": function.handler, "event": event, "request_id": request_id,
               "timeout": timeout, "result_path": str(result_path)}
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(RUNNER)], cwd=code_dir, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        timed_out = False
        try:
            output, _ = process.communicate(json.dumps(job), timeout=timeout + 1.0)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            timed_out = True
        wall_ms = (time.monotonic() - started) * 1000
        try:
            result = json.loads(result_path.read_text() or "{}")
        except ValueError:
            result = {}
        result_path.unlink(missing_ok=True)

        lines = [f"START RequestId: {request_id} Version: $LATEST"]
        lines += [f"EMULATOR NOTE: {note}" for note in notes]
        lines += output.splitlines()
        if timed_out:
            lines.append(f"{_utc_now()} {request_id} Task timed out after {timeout:.2f} seconds")
        elif not result:
            lines.append(f"[ERROR] Runtime.ExitError: RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}")
        lines.append(f"END RequestId: {request_id}")
        duration = timeout * 1000 if timed_out else result.get("duration_ms", wall_ms)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {math.ceil(duration)} ms\t"
            f"Memory Size: {function.memory_size} MB\tMax Memory Used: {math.ceil(result.get('max_rss_mb', 0))} MB"
        )
        if "init_ms" in result:
            report += f"\tInit Duration: {result['init_ms']:.2f} ms"
        lines.append(report)
        self._write_logs(function, stream, lines)

        ok = bool(result.get("ok")) and not timed_out
        if ok:
            payload = result.get("payload")
        elif timed_out:
            payload = {"errorMessage": f"{_utc_now()} {request_id} Task timed out after {timeout:.2f} seconds"}
        else:
            payload = {"errorType": result.get("error_type", "Runtime.ExitError"),
                       "errorMessage": result.get("error", f"Runtime exited with status {process.returncode}")}
        return Invocation(request_id, ok, timed_out, payload, lines)

    def _environment(self, function, stream: str) -> dict[str, str]:
        """Lambda's environment, not the emulator's: the function sees what it would see on AWS."""
        env = {key: value for key, value in os.environ.items() if key in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
        env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "LAMBDA_TASK_ROOT": "/var/task",
            "_HANDLER": function.handler,
            "TZ": ":UTC",
            "PIXELKIT_FUNCTION_ARN": function.function_arn,
            # The function's boto3 calls come back to this emulator, signed with its role's credentials.
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(role_credentials(function))
        return env

    def _write_logs(self, function, stream: str, lines: list[str]) -> None:
        from moto.awslambda.utils import get_backend

        try:  # an invocation that ends after its function was deleted must not bring the log group back
            get_backend(function.account_id, function.region).get_function(function.function_name)
        except Exception:
            logger.info("function %s is gone; its last log lines:\n%s", function.function_name, "\n".join(lines))
            return
        group = f"/aws/lambda/{function.function_name}"
        backend = function.logs_backend
        backend.ensure_log_group(group)
        backend.create_log_stream(group, stream)
        now = int(time.time() * 1000)
        backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines if line])

    # Unpacking the deployment package -------------------------------------------------------

    def unpack(self, code_bytes: bytes) -> tuple[Path, list[str]]:
        """Unpack a zip once per content; leave out native packages that cannot load here.

        The notes on what was left out come back with the first invocation of a package
        only, the way Lambda reports its INIT phase once per execution environment.
        """
        target = self.code_root / hashlib.sha256(code_bytes).hexdigest()[:16]
        with self._unpack_lock:
            if target.exists():
                return target, []
            notes = self._extract(code_bytes, target)
        for note in notes:
            logger.warning("%s", note)
        return target, notes

    def _extract(self, code_bytes: bytes, target: Path) -> list[str]:
        import io

        notes = []
        staging = Path(tempfile.mkdtemp(dir=self.code_root))
        with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
            names = archive.namelist()
            skipped: set[str] = set()
            for wheel_file in [n for n in names if n.endswith(".dist-info/WHEEL")]:
                dist_info = wheel_file.rsplit("/", 1)[0]
                tags = [
                    line.split(":", 1)[1].strip()
                    for line in archive.read(wheel_file).decode().splitlines()
                    if line.startswith("Tag:")
                ]
                if any(tag in self._local_tags for tag in tags) or all(_is_pure(tag) for tag in tags):
                    continue
                record = f"{dist_info}/RECORD"
                owned = {line.split(",", 1)[0] for line in archive.read(record).decode().splitlines() if line} if record in names else set()
                skipped |= owned | {n for n in names if n.startswith(dist_info + "/")}
                project = dist_info.split("/")[-1].removesuffix(".dist-info").rsplit("-", 1)[0]
                try:
                    local = f"this environment's {project} {metadata.version(project)}"
                except metadata.PackageNotFoundError:
                    local = f"nothing (there is no {project} installed here either)"
                notes.append(
                    f"the package's {dist_info.removesuffix('.dist-info')} is built for {tags[0] if tags else '?'}, "
                    f"which this Python {sys.version_info.major}.{sys.version_info.minor} cannot load; "
                    f"the function runs with {local} instead. Its own code is the deployed code."
                )
            for name in names:
                if name not in skipped and not name.endswith("/"):
                    archive.extract(name, staging)
        staging.rename(target)
        return notes


def _log_delivery_failure(delivery) -> None:
    """An event lost to a bug in the emulator is said on its console, not dropped in silence."""
    if not delivery.cancelled() and delivery.exception() is not None:
        logger.error("S3 event delivery failed: %r", delivery.exception(), exc_info=delivery.exception())


def _is_pure(tag: str) -> bool:
    parsed = Tag(*tag.split("-"))
    return parsed.abi == "none" and parsed.platform == "any"


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"


def _complete_s3_event(event: dict, account_id: str) -> dict:
    """Add the fields of a real S3 event that moto leaves out, so learners see the real shape."""
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": f"AWS:{account_id}"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {
            "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": uuid.uuid4().hex,
        })
        s3 = record.get("s3", {})
        s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": account_id})
        s3.get("object", {}).setdefault("sequencer", f"{time.time_ns():X}"[:18])
    return event
