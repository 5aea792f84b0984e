"""The emulator's Lambda service: moto keeps the functions, this runs them as Lambda does.

moto stores a function's configuration and zip but can only run it in Docker, which a classroom
laptop (or this kit's CI) often lacks. This module puts Lambda's invoke path in its place:

- ``Invoke`` (``RequestResponse``) runs the function in a warm execution environment
  (``invocation/execution_environment.py``) and answers with its result, or with ``FunctionError: Unhandled`` and the
  error payload; ``InvocationType=Event`` answers 202 and queues (``invocation/event_manager.py``);
  ``DryRun`` answers 204 and runs nothing.
  (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
- At most N environments run at once (``environment_pool.py``) (``--max-environments``, default the number of cores); a
  function's reserved concurrency (``PutFunctionConcurrency``) is honoured: synchronous calls beyond
  it get ``TooManyRequestsException``, asynchronous events wait.
  (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)
- What each operation refuses before anything runs (runtime, sizes, states...) is ``lambda_api.py``'s.
- S3 events arrive through ``s3_events.py`` (``iam_enforcement.py`` checks the function's permission).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from pixelkit.emulator import deployment_packages, s3_events
from pixelkit.emulator.invocation.event_manager import AsyncEvent, EventManager
from pixelkit.emulator.invocation.environment_pool import IDLE_SECONDS, EnvironmentPool, PoolStopped, Throttled
from pixelkit.emulator.invocation.execution_environment import ExecutionEnvironment, FunctionConfig, Outcome
from pixelkit.emulator.identity import role_credentials
from pixelkit.emulator.runtime_environment import RESERVED_VARIABLES

logger = logging.getLogger("pixelkit.emulator")

LOG_TAIL_BYTES = 4096
SCRATCH_PREFIX = "pixelkit-lambda-envs-"
STALE_WITHOUT_PID_SECONDS = 3600.0
def _rest_error(code: str, message: str, status: int = 400, **fields: str):
    """Lambda's error: its code, message and status, and the other members its API model gives it."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    if fields:
        error.description = json.dumps({"__type": code, "message": message, **fields})
    return error


class LambdaService:
    """Lambda's invoke side: Invoke's three types, the pool of environments, the event manager, logs."""

    def __init__(self, endpoint_url: str, max_environments: int | None = None, cold: bool = False,
                 retry_delays=None, idle_seconds: float = IDLE_SECONDS):
        self.endpoint_url = endpoint_url
        clean_stale_scratch()
        self.scratch_root = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
        (self.scratch_root / "pid").write_text(f"{os.getpid()} {psutil.Process().create_time()}")
        self.code_store = deployment_packages.CodeStore(self.scratch_root)
        self._said: set[str] = set()
        self.pool = EnvironmentPool(max_environments or os.cpu_count() or 2, cold, idle_seconds,
                                    start=self._start_environment, is_gone=self._function_gone)
        self.event_manager = EventManager(self, self.pool.max_environments,
                                          retry_delays if retry_delays is not None else (1.0, 2.0))

    # The Invoke API --------------------------------------------------------------------------

    def invoke(self, function, body, request_headers, response_headers, request_id: str | None = None,
               qualifier: str | None = None) -> bytes:
        """Invoke (``lambda_api`` has checked the request): the function's answer, or 202/204's empty body.

        ``request_id`` is the request's ``x-amzn-RequestId``, which becomes the invocation's ``aws_request_id``.
        moto calls this as ``LambdaFunction.invoke`` for InvokeAsync too.
        """
        headers = {k.lower(): v for k, v in dict(request_headers or {}).items()}
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        payload = body.encode() if isinstance(body, str) else (body or b"")
        if not payload:
            payload = b"{}"
        if kind == "DryRun":
            return b""
        if kind == "Event":
            self.event_manager.submit(AsyncEvent(function.function_arn, function.account_id, function.region, payload,
                                               request_id=request_id or str(uuid.uuid4()),
                                               trace_id=s3_events.new_trace(function.function_arn)[0],
                                               description="an Event invocation"))
            return b""
        try:
            outcome = self.run(function, payload, request_id or str(uuid.uuid4()),
                               s3_events.new_trace(function.function_arn)[0],
                               f"{function.function_arn}:{qualifier}" if qualifier else None)
        except Throttled:
            raise _rest_error("TooManyRequestsException", "Rate Exceeded.", 429,
                              Reason="ReservedFunctionConcurrentInvocationLimitExceeded", Type="User") from None
        response_headers["x-amz-executed-version"] = "$LATEST"
        if not outcome.ok:
            response_headers["x-amz-function-error"] = "Unhandled"
        if headers.get("x-amz-log-type") == "Tail":
            tail = "\n".join(outcome.log_tail).encode()[-LOG_TAIL_BYTES:]
            response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        return outcome.payload

    # Running: environments, concurrency ------------------------------------------------------

    def run(self, function, payload: bytes, request_id: str, trace_id: str | None,
            invoked_arn: str | None = None) -> Outcome:
        """One invocation in an environment of the function; ``Throttled`` past its reserved concurrency.

        ``invoked_arn``: the ARN the caller named (qualified if it gave a qualifier), as the context's
        ``invoked_function_arn`` shows it."""
        try:
            environment = self.pool.acquire(function, FunctionConfig.of(function), request_id)
        except PoolStopped:
            raise _rest_error("ServiceException", "The emulator is shutting down.", 500) from None
        try:
            return environment.invoke(request_id, payload, trace_id or s3_events.new_trace(function.function_arn)[0],
                                      invoked_arn)
        finally:
            self.pool.release(environment)

    def _start_environment(self, function, config: FunctionConfig, request_id: str) -> ExecutionEnvironment:
        """A new environment for the pool; a start that fails is written in the function's log, then 500."""
        try:
            return ExecutionEnvironment(self, function, config)
        except Exception as error:
            cause = str(error) or type(error).__name__
            logger.error("lambda %s: could not start an execution environment: %s", config.function_name, cause)
            self._log_not_started(function, config, request_id, cause)
            raise _rest_error("ServiceException", f"The emulator could not start the function: {cause}", 500) from None

    def _function_gone(self, config: FunctionConfig) -> bool:
        return self.find_function(config.function_arn, config.account_id, config.region) is None

    def forget(self, environment: ExecutionEnvironment) -> None:
        """An environment that ended (retired, or its runtime died) leaves the pool."""
        self.pool.forget(environment)

    # What environments need from the service --------------------------------------------------

    def function_environment(self, function, config: FunctionConfig, stream: str) -> dict[str, str]:
        """Lambda's variables and the function's own; nothing of the emulator's environment."""
        env = {k: v for k, v in config.variables if k not in RESERVED_VARIABLES}  # PATH, LANG... may be the function's
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            # The function's AWS calls come back to this emulator (on AWS they go to AWS's endpoints).
            "AWS_ENDPOINT_URL": self.endpoint_url,
        })
        env.update(role_credentials(function))
        return env

    def write_logs(self, config: FunctionConfig, stream: str, lines: list[str]) -> None:
        if not lines:
            return
        function = self.find_function(config.function_arn, config.account_id, config.region)
        if function is None:  # a function deleted mid-invocation must not bring its log group back
            return
        backend = function.logs_backend
        group = f"/aws/lambda/{config.function_name}"
        try:  # as the function's role: without logs permissions its logs are lost, as on AWS (iam_enforcement)
            backend.ensure_log_group(group)
            if group not in backend.groups:
                return
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            now = int(time.time() * 1000)
            # CloudWatch keeps each event as Lambda sends it: ending with its newline
            backend.put_log_events(group, stream, [{"timestamp": now, "message": line if line.endswith("\n") else line + "\n"}
                                                   for line in lines])
        except Exception as error:
            logger.warning("lambda %s: could not write its log: %s", config.function_name, error)

    def _log_not_started(self, function, config: FunctionConfig, request_id: str, cause: str) -> None:
        """The attempt in the function's log, as what it was: the emulator could not start its environment.

        Lambda has no such line (its environments start); the emulator's own lines say EMULATOR, and
        START/END/REPORT frame them so that whoever reads the log (step 5) sees a failed attempt.
        """
        self.write_logs_for(function, [
            f"START RequestId: {request_id} Version: $LATEST",
            f"EMULATOR ERROR: the emulator could not start an execution environment for this function: {cause}",
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: "
            f"{config.memory_mb} MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Emulator.EnvironmentNotStarted",
        ])

    def write_logs_for(self, function, lines: list[str]) -> None:
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        self.write_logs(FunctionConfig.of(function), stream, lines)

    def layers_dir(self, function) -> Path | None:
        """The function's layers unpacked (what it sees at /opt), an empty folder when it has none."""
        arns = [layer["Arn"] for layer in function.layers or []]
        if not arns:  # /opt exists on Lambda without layers too: empty, and not the function's to write
            empty = self.scratch_root / "opt-without-layers"
            empty.mkdir(mode=0o555, exist_ok=True)
            return empty
        return self.code_store.unpack_layers(arns, [layer.code_bytes for layer in _layer_versions(function)])

    def find_function(self, arn: str, account_id: str, region: str):
        from moto.awslambda.utils import get_backend

        try:
            return get_backend(account_id, region).get_function(arn)
        except Exception:
            return None

    def say_once(self, note: str) -> None:
        if note not in self._said:
            self._said.add(note)
            logger.warning("%s", note)

    def shutdown(self) -> list[str]:
        """Stop every environment; one line for each event left unrun. Removes the scratch folder."""
        self.pool.stop_taking()
        left = self.event_manager.shutdown()
        self.pool.retire_all("emulator stopped")
        shutil.rmtree(self.scratch_root, ignore_errors=True)
        return left


def _layer_versions(function) -> list:
    """moto's layer versions of the function's Layers (the ones it still has)."""
    from moto.awslambda.utils import get_backend

    backend = get_backend(function.account_id, function.region)
    layers = [backend.layers_versions_by_arn(layer["Arn"]) for layer in function.layers or []]
    return [layer for layer in layers if layer is not None]


def clean_stale_scratch() -> None:
    """Remove what an emulator killed before it could clean up left in the temp folder.

    A folder is stale when the emulator named in its pid file no longer runs (psutil: that pid
    exists and started when the file says; never ``os.kill(pid, 0)``, which ends the process on
    Windows); one without a pid file only when it is an hour old (another emulator may be starting
    right now).
    """
    for folder in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        try:
            pid, _, started = (folder / "pid").read_text().partition(" ")
            owner = (int(pid), float(started) if started else None)
        except (OSError, ValueError):
            try:
                if time.time() - folder.stat().st_mtime < STALE_WITHOUT_PID_SECONDS:
                    continue
            except OSError:
                continue
        else:
            if _still_runs(*owner):
                continue
        shutil.rmtree(folder, ignore_errors=True)


def _still_runs(pid: int, started: float | None) -> bool:
    """Whether the process ``pid`` runs, and is the one that started at ``started`` (not a reused pid)."""
    try:
        process = psutil.Process(pid)
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.AccessDenied:
        return True  # it runs, as another user
    except psutil.Error:
        return False
