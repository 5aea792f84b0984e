"""The emulator's Lambda service: moto keeps the functions, this runs them as Lambda does.

moto stores a function's configuration and zip but can only run it in Docker, which a classroom
laptop (or this kit's CI) often lacks. This module puts Lambda's invoke path in its place:

- ``Invoke`` (``RequestResponse``) runs the function in a warm execution environment
  (``environments.py``) and answers with its result, or with ``FunctionError: Unhandled`` and the
  error payload; ``InvocationType=Event`` answers 202 and queues (``async_invocations.py``);
  ``DryRun`` answers 204 and runs nothing.
  (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
- At most N environments run at once (``--max-environments``, default the number of cores); a
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
import threading
import time
import uuid
from pathlib import Path

import psutil

from pixelkit.emulator import deployment_packages, s3_events
from pixelkit.emulator.async_invocations import AsyncEvent, AsyncInvocations
from pixelkit.emulator.environments import ExecutionEnvironment, FunctionConfig, Outcome
from pixelkit.emulator.identity import role_credentials
from pixelkit.emulator.runtime_environment import RESERVED_VARIABLES

logger = logging.getLogger("pixelkit.emulator")

IDLE_SECONDS = 300.0  # Lambda keeps an idle environment for minutes; so does the emulator
LOG_TAIL_BYTES = 4096
SCRATCH_PREFIX = "pixelkit-lambda-envs-"
STALE_WITHOUT_PID_SECONDS = 3600.0
class Throttled(Exception):
    """The function's reserved concurrency is in use: a synchronous call gets 429, an event waits."""


def _rest_error(code: str, message: str, status: int = 400, **fields: str):
    """Lambda's error: its code, message and status, and the other members its API model gives it."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    if fields:
        error.description = json.dumps({"__type": code, "message": message, **fields})
    return error


class LocalLambdaExecutor:
    def __init__(self, endpoint_url: str, max_environments: int | None = None, cold: bool = False,
                 retry_delays=None, idle_seconds: float = IDLE_SECONDS):
        self.endpoint_url = endpoint_url
        self.max_environments = max_environments or os.cpu_count() or 2
        self.cold = cold
        self.idle_seconds = idle_seconds
        clean_stale_scratch()
        self.scratch_root = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
        (self.scratch_root / "pid").write_text(f"{os.getpid()} {psutil.Process().create_time()}")
        self.code_store = deployment_packages.CodeStore(self.scratch_root)
        self._environments: list[ExecutionEnvironment] = []
        self._starting: dict[str, int] = {}
        self._cond = threading.Condition()
        self._said: set[str] = set()
        self.async_queue = AsyncInvocations(self, self.max_environments,
                                            retry_delays if retry_delays is not None else (1.0, 2.0))
        self._stopped = threading.Event()
        threading.Thread(target=self._reap_idle, daemon=True, name="lambda-reaper").start()

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
            self.async_queue.submit(AsyncEvent(function.function_arn, function.account_id, function.region, payload,
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
        environment = self._acquire(function, request_id)
        try:
            return environment.invoke(request_id, payload, trace_id or s3_events.new_trace(function.function_arn)[0],
                                      invoked_arn)
        finally:
            self._release(environment)

    def _acquire(self, function, request_id: str) -> ExecutionEnvironment:
        config = FunctionConfig.of(function)
        while True:
            victims: list[tuple[ExecutionEnvironment, str]] = []
            chosen = None
            with self._cond:
                if self._stopped.is_set():
                    raise _rest_error("ServiceException", "The emulator is shutting down.", 500)
                mine = [e for e in self._environments if e.config.function_arn == config.function_arn and not e.dead]
                victims += [(e, "its function changed") for e in mine if not e.busy and e.config != config]
                mine = [e for e in mine if e.busy or e.config == config]
                reserved = function.reserved_concurrency
                busy = sum(1 for e in mine if e.busy) + self._starting.get(config.function_arn, 0)
                if reserved is not None and busy >= int(reserved):
                    raise Throttled()
                idle = [e for e in mine if not e.busy]
                live = [e for e in self._environments if not e.dead and e not in [v for v, _ in victims]]
                if idle and not self.cold:
                    chosen = max(idle, key=lambda e: e.last_used)
                    chosen.busy = True
                elif len(live) + sum(self._starting.values()) >= self.max_environments:
                    spare = [e for e in live if not e.busy]
                    if spare:
                        victims.append((min(spare, key=lambda e: e.last_used), "room for another function"))
                    elif not victims:
                        self._cond.wait(0.5)
                        continue
                else:
                    self._starting[config.function_arn] = self._starting.get(config.function_arn, 0) + 1
                    chosen = "start"
                for victim, _ in victims:
                    victim.busy = True  # nobody takes it while it is retired, outside the lock
            for victim, reason in victims:
                victim.retire(reason)
            if isinstance(chosen, ExecutionEnvironment):
                return chosen
            if chosen == "start":
                break
        try:
            environment = ExecutionEnvironment(self, function, config)
        except Exception as error:
            cause = str(error) or type(error).__name__
            logger.error("lambda %s: could not start an execution environment: %s", config.function_name, cause)
            self._log_not_started(function, config, request_id, cause)
            raise _rest_error("ServiceException", f"The emulator could not start the function: {cause}", 500)
        finally:
            with self._cond:
                self._starting[config.function_arn] -= 1
                self._cond.notify_all()
        with self._cond:
            environment.busy = True
            self._environments.append(environment)
        return environment

    def _release(self, environment: ExecutionEnvironment) -> None:
        if self.cold and not environment.dead:
            environment.retire("cold mode")
        with self._cond:
            environment.busy = False
            self._cond.notify_all()

    def forget(self, environment: ExecutionEnvironment) -> None:
        with self._cond:
            if environment in self._environments:
                self._environments.remove(environment)
            self._cond.notify_all()

    def _reap_idle(self) -> None:
        while not self._stopped.wait(min(10.0, self.idle_seconds)):
            now = time.monotonic()
            with self._cond:
                idle = [e for e in self._environments if not e.busy and now - e.last_used > self.idle_seconds]
            for environment in idle:
                environment.retire("idle")
            with self._cond:
                for environment in list(self._environments):
                    if not environment.busy and self.find_function(environment.config.function_arn,
                                                                   environment.config.account_id,
                                                                   environment.config.region) is None:
                        environment.retire("its function was deleted")

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
        self._stopped.set()
        left = self.async_queue.shutdown()
        with self._cond:
            environments = list(self._environments)
        for environment in environments:
            environment.retire("emulator stopped")
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
