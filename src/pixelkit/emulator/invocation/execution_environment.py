"""Execution environments: a function's runtime process, initialised once and reused while warm.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
an environment is created on demand and runs INIT once (the runtime imports the handler's module:
its ``Init Duration`` appears in the first REPORT only), then serves invocations one at a time and is
reused while warm; module-level state and ``/tmp`` survive between them. It is retired when it idles
or when the function's code or configuration changes, and destroyed after a timeout, a crash or
running out of memory. Its logs go to one stream of ``/aws/lambda/<function>``, named
``YYYY/MM/DD/[$LATEST]<id>``. ``Timeout`` stops an invocation with ``Task timed out after N.NN
seconds``; ``MemorySize`` is enforced (``Runtime.OutOfMemory``) and "Max Memory Used" is the
environment's own peak. The function runs through AWS's runtime interface client (``awslambdaric``)
against the Runtime API (``invocation/runtime_api.py``), so error shapes, error types, handler resolution and
the log format are Lambda's own.

On every computer (``capabilities.py`` says what this one offers, ``PIXELKIT_WITHOUT`` turns parts
off): memory is the environment's process tree's resident memory, read through psutil, sampled
every 20 ms and never reported above MemorySize (Lambda stops a function at its limit); an
environment dies with the emulator through PR_SET_PDEATHSIG where the kernel has it, else through
its launcher watching a pipe from the emulator (``runtime_support/pixelkit_launch.py``); where
awslambdaric's compiled Runtime API client is missing, a pure-Python one with its interface stands
in, and the console says so once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import selectors
import shutil
import signal
import struct
import subprocess
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import psutil

from pixelkit.emulator import capabilities, runtime_environment, runtime_support, runtimes, sandbox
from pixelkit.emulator.invocation.runtime_api import Invocation, RuntimeAPI

logger = logging.getLogger("pixelkit.emulator")

# Lambda limits INIT to 10 seconds; the emulator allows the function's timeout when that is longer.
INIT_LIMIT_SECONDS = 10.0
MEMORY_POLL_SECONDS = 0.02
TREE_REFRESH_SECONDS = 0.25  # how often the environment's process tree is listed again (its members' memory: every poll)
QUIET_SECONDS = 0.05  # without select on pipes: output silent this long is all there is


@dataclass(frozen=True)
class FunctionConfig:
    """What of a function an environment is made from; any change means a new environment."""

    function_name: str
    function_arn: str
    account_id: str
    region: str
    runtime: str
    handler: str
    timeout: float
    memory_mb: int
    ephemeral_mb: int
    variables: tuple
    code_sha256: str
    architecture: str
    layers: tuple
    role: str

    @classmethod
    def of(cls, function) -> "FunctionConfig":
        return cls(
            function.function_name, function.function_arn, function.account_id, function.region,
            function.run_time, function.handler, float(function.timeout or 3), int(function.memory_size or 128),
            int(function.ephemeral_storage or 512),
            tuple(sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())),
            function.code_sha_256, (function.architectures or ["x86_64"])[0],
            tuple(layer["Arn"] for layer in function.layers or []), function.role,
        )


@dataclass
class Outcome:
    request_id: str
    ok: bool
    payload: bytes
    error_type: str | None  # FunctionError's cause: the errorType Lambda reports
    log_tail: list[str]
    timed_out: bool = False


class ExecutionEnvironment:
    """One runtime process with its Runtime API, its log stream, its /tmp and its limits."""

    def __init__(self, service, function, config: FunctionConfig):
        self.service = service
        self.config = config
        self.id = uuid.uuid4().hex
        self.stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{self.id}"
        self.busy = False
        self.last_used = time.monotonic()
        self.dead = False
        self.init_ms: float | None = None
        self._init_reported = False
        self._peak_kb = 0
        self._process: subprocess.Popen | None = None
        self._api = RuntimeAPI()
        self._log_lock = threading.Lock()
        self._current_lines: list[str] | None = None
        self._drain = threading.Event()
        self._drained = threading.Event()
        self._tmp_dir = service.scratch_root / f"tmp-{self.id}"
        self._tmp_checked = 0.0  # when an unsandboxed /tmp was last measured
        self._sandboxed = False
        self._tree: _ProcessTree | None = None
        self._last_output = time.monotonic()
        self._start(function)

    # Start and INIT ----------------------------------------------------------------------

    def _start(self, function) -> None:
        try:
            self._launch(function)
        except BaseException:
            self._api.close()
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            raise

    def _launch(self, function) -> None:
        config = self.config
        runtime_env = runtimes.runtime_environment(config.runtime)
        code_dir, substitutes, notes = self.service.code_store.unpack(
            config.code_sha256.replace("/", "_").replace("+", "-")[:22], function.code_bytes, runtime_env,
            config.architecture)
        opt_dir = self.service.layers_dir(function)
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        sandboxed = self._sandboxed = sandbox.bubblewrap() is not None
        opt = sandbox.OPT if sandboxed else str(opt_dir or "/nonexistent-opt")
        minor = runtime_env.interpreter.version[1]
        # Lambda's defaults, which a function may set itself; then its own variables; then the reserved ones.
        env = runtime_environment.defaults(sandbox.TASK_ROOT if sandboxed else str(code_dir), opt)
        env.update(self.service.function_environment(function, config, self.stream))
        python_path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        python_path += [f"{opt}/python/lib/python3.{minor}/site-packages", f"{opt}/python"]
        python_path += [str(p) for p in substitutes]
        env.update({
            "AWS_LAMBDA_RUNTIME_API": self._api.address,
            "_HANDLER": config.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "LAMBDA_RUNTIME_DIR": str(runtime_env.site_packages),
            "PYTHONPATH": os.pathsep.join(python_path),
        })
        # AWS's bootstrap, through the launcher that adds what this computer lacks (runtime_support/),
        # behind the function's AWS_LAMBDA_EXEC_WRAPPER if it names one, with Lambda's resource limits
        # (set by the runtime's Python, which then becomes the command)
        argv = runtime_environment.limited(runtime_environment.wrapped(
            [str(runtime_env.python), str(runtime_support.LAUNCHER), config.handler],
            env, {} if sandboxed else {sandbox.TASK_ROOT: str(code_dir), sandbox.OPT: opt}), str(runtime_env.python))
        read_only = [Path(runtime_env.interpreter.prefix), runtime_env.venv, runtime_support.FOLDER]
        if not capabilities.native_runtime_client(str(runtime_env.python)):
            env["_PIXELKIT_RUNTIME_CLIENT"] = "pure"
            self.service.say_once(_pure_client_note(runtime_env))
        if not capabilities.pdeathsig():
            env["_PIXELKIT_PARENT_WATCH"] = "stdin"
        argv, env, cwd = sandbox.command(
            argv, code_dir=code_dir, opt_dir=opt_dir, tmp_dir=self._tmp_dir,
            tmp_bytes=config.ephemeral_mb * 1024 * 1024, read_only=read_only, env=env)
        self._started = time.monotonic()
        self._init_lines: list[str] = [runtime_environment.init_start(
            config.runtime, runtime_env.interpreter.full_version, config.region, config.function_arn.split(":")[1])]
        self._init_lines += [f"EMULATOR NOTE: {note}" for note in ([runtime_env.note] if runtime_env.note else []) + notes]
        for note in notes + ([runtime_env.note] if runtime_env.note else []):
            self.service.say_once(note)
        read_fd = self._spawn(argv, env, cwd)
        self._tree = _ProcessTree(self._process.pid)
        reader = self._read_output if capabilities.select_pipes() else self._read_output_threads
        self._reader = threading.Thread(target=reader, args=(self._process.stdout, read_fd),
                                        daemon=True, name=f"lambda-log-{self.id[:8]}")
        self._reader.start()
        self._write(self._init_lines)

    def _spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> int | None:
        """Start the runtime process with what this computer offers; the telemetry pipe's read end, if any."""
        env.update({k: v for k, v in runtimes.os_essentials().items() if k not in env})  # none on Linux or macOS
        # awslambdaric writes logging and errors as frames to this fd (one log event each); without fd
        # passing (Windows) it writes them to stdout, a multi-line error joined by "\r" (still one event).
        read_fd = write_fd = None
        if capabilities.fd_passing():
            read_fd, write_fd = os.pipe()
            env["_LAMBDA_TELEMETRY_LOG_FD"] = str(write_fd)
        options = {"pass_fds": (write_fd,)} if write_fd is not None else {}
        if capabilities.process_groups():
            options["start_new_session"] = True
        try:
            self._process = SPAWNER.popen(
                argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL if "_PIXELKIT_PARENT_WATCH" not in env else subprocess.PIPE, **options,
            )
        except BaseException:
            if read_fd is not None:
                os.close(read_fd)
            raise
        finally:
            if write_fd is not None:
                os.close(write_fd)
        return read_fd

    def wait_for_init(self, deadline: float) -> dict | None:
        """Block until INIT ends; the init error (Lambda's payload) if it failed, else None."""
        while not self._api.initialised.is_set():
            if self._process.poll() is not None or time.monotonic() > deadline:
                break
            self._watch_memory()
            self._api.initialised.wait(MEMORY_POLL_SECONDS)
        if self.init_ms is None:
            self.init_ms = (time.monotonic() - self._started) * 1000
        if self._api.init_error is not None:
            try:
                self._process.wait(timeout=5)  # awslambdaric exits after reporting; a stray thread may hold it
            except subprocess.TimeoutExpired:
                self._kill()
            return dict(self._api.init_error, errorType=self._api.init_error_type
                        or self._api.init_error.get("errorType", "Runtime.Unknown"))
        if not self._api.initialised.is_set():
            if time.monotonic() > deadline:
                return {"errorType": "Sandbox.Timedout", "errorMessage": "Init phase timed out"}
            return {"errorType": "Runtime.ExitError", "errorMessage": _exited(self._process.returncode)}
        return None

    # Invoke --------------------------------------------------------------------------------

    def invoke(self, request_id: str, payload: bytes, trace_id: str, invoked_arn: str | None = None) -> Outcome:
        config = self.config
        init_error = None
        if not self._api.initialised.is_set() or self._api.init_error is not None:
            # INIT has a limit of its own (10 s); past it, Lambda gives it the function's timeout once more
            init_error = self.wait_for_init(self._started + max(INIT_LIMIT_SECONDS, config.timeout))
            if init_error is not None:  # what INIT wrote comes first in the stream, then its report, as on AWS
                self._drain_output()
                self._write([f"INIT_REPORT Init Duration: {self.init_ms or 0:.2f} ms\tPhase: init\tStatus: error"
                             f"\tError Type: {init_error.get('errorType', 'Runtime.Unknown')}"])
        lines = self._current_lines = []  # _write collects the invocation's lines here, for the log tail
        self._write([f"START RequestId: {request_id} Version: $LATEST"])
        invocation_started = time.monotonic()  # the timeout counts the invoke phase only, as on Lambda
        deadline = invocation_started + config.timeout
        invocation = Invocation(request_id, payload, invoked_arn or config.function_arn,
                                int((time.time() + config.timeout) * 1000),
                                trace_id)
        timed_out = out_of_memory = False
        if init_error is None:
            self._api.submit(invocation)
            while not invocation.done.wait(MEMORY_POLL_SECONDS):
                if self._process.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                if self._watch_memory():
                    out_of_memory = True
                    break
        self._watch_memory()
        ended = invocation.finished_at or time.monotonic()
        duration_ms = (ended - (invocation.sent_at or invocation_started)) * 1000
        self._drain_output()
        tail: list[str] = []
        if timed_out:
            duration_ms = config.timeout * 1000
            tail.append(f"{_utc_now()} {request_id} Task timed out after {config.timeout:.2f} seconds")
            payload_out = {"errorType": "Sandbox.Timedout",
                           "errorMessage": f"RequestId: {request_id} Error: Task timed out after {config.timeout:.2f} seconds"}
            error_type, status = "Sandbox.Timedout", "timeout"
        elif out_of_memory:
            payload_out = {"errorType": "Runtime.OutOfMemory",
                           "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"}
            tail.append(f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory")
            error_type, status = "Runtime.OutOfMemory", "error"
        elif init_error is not None and init_error.get("errorType") == "Runtime.ExitError" \
                and self._api.init_error is None:  # the runtime died in INIT without a word: Lambda's two lines
            message = f"RequestId: {request_id} Error: {init_error['errorMessage']}"
            payload_out = {"errorType": "Runtime.ExitError", "errorMessage": message}
            tail.append(f"{message}\nRuntime.ExitError")
            error_type, status = "Runtime.ExitError", "error"
        elif init_error is not None:
            payload_out = init_error
            error_type, status = init_error.get("errorType"), "error"
        elif invocation.done.is_set() and invocation.error is None:
            payload_out, error_type, status = None, None, None
        elif invocation.done.is_set():
            payload_out = invocation.error
            error_type, status = invocation.error_type or invocation.error.get("errorType"), None
        else:
            message = f"RequestId: {request_id} Error: {_exited(self._process.returncode)}"
            payload_out = {"errorType": "Runtime.ExitError", "errorMessage": message}
            tail.append(f"{message}\nRuntime.ExitError")
            error_type, status = "Runtime.ExitError", "error"
        if timed_out or out_of_memory or init_error is not None or self._process.poll() is not None:
            self.retire(reason="after an error" if not timed_out else "after a timeout")
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                  f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\tMemory Size: {config.memory_mb} MB\t"
                  f"Max Memory Used: {self.max_memory_used_mb()} MB")
        if not self._init_reported:
            report += f"\tInit Duration: {self.init_ms or 0:.2f} ms"
            self._init_reported = True
        if status:
            report += f"\tStatus: {status}" + (f"\tError Type: {error_type}" if status == "error" else "")
        self._write(tail + [f"END RequestId: {request_id}", report])
        self._current_lines = None
        self.last_used = time.monotonic()
        ok = error_type is None
        body = invocation.response if ok else json.dumps(payload_out).encode()
        return Outcome(request_id, ok, body if body is not None else b"null", error_type, lines, timed_out)

    # Limits --------------------------------------------------------------------------------

    def _watch_memory(self) -> bool:
        """Track the environment's peak resident memory (its process tree's); True once it exceeds MemorySize."""
        limit = self.config.memory_mb * 1024 * 1024
        rss = self._tree.resident_bytes() if self._tree else 0
        self._peak_kb = max(self._peak_kb, rss // 1024)
        if rss > limit:
            self._peak_kb = self.config.memory_mb * 1024  # stopped at the limit, as Lambda stops it
            self._kill()
            return True
        if not self._sandboxed and self._tmp_over_limit():
            self._kill()
            return True
        return False

    def max_memory_used_mb(self) -> int:
        """REPORT's figure: the sampled peak, never above MemorySize (Lambda stops the function at it)."""
        return max(1, min(self.config.memory_mb, math.ceil(self._peak_kb / 1024)))

    def _tmp_over_limit(self) -> bool:
        now = time.monotonic()
        if now - self._tmp_checked < 0.5:
            return False
        self._tmp_checked = now
        return sandbox.tmp_usage(self._tmp_dir) > self.config.ephemeral_mb * 1024 * 1024

    def _kill(self) -> None:
        """End the environment and everything it started: its session at once, else its tree (psutil)."""
        if self._process and self._process.poll() is None:
            if capabilities.process_groups():
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            else:
                _kill_tree(self._process.pid)
            self._process.wait()

    def retire(self, reason: str = "") -> None:
        if self.dead:
            return
        self.dead = True
        self._kill()
        self._api.close()
        self._drain.set()
        shutil.rmtree(self._tmp_dir, ignore_errors=True)
        self.service.forget(self)

    # Logs ------------------------------------------------------------------------------

    def _write(self, lines: list[str]) -> None:
        with self._log_lock:
            self.service.write_logs(self.config, self.stream, [line for line in lines if line])
            if self._current_lines is not None:
                self._current_lines.extend(lines)

    def _read_output(self, stdout, telemetry_fd: int | None) -> None:
        """Stdout line by line (print), the telemetry fd frame by frame (logging, errors), into the stream."""
        selector = selectors.DefaultSelector()
        streams = {stdout.fileno(): "stdout"}
        if telemetry_fd is not None:
            streams[telemetry_fd] = "frames"
        for fd, kind in streams.items():
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ, kind)
        buffers = {"stdout": b"", "frames": b""}
        open_fds = len(streams)
        while open_fds:
            events = selector.select(timeout=QUIET_SECONDS)
            if not events and self._drain.is_set():
                self._drain.clear()
                self._drained.set()
                continue
            for key, _ in events:
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(key.fd)
                    open_fds -= 1
                self._take(key.data, chunk, buffers)
        if telemetry_fd is not None:
            os.close(telemetry_fd)
        self._drained.set()

    def _read_output_threads(self, stdout, telemetry_fd: int | None) -> None:
        """Where select cannot wait on pipes (Windows): one blocking reader per pipe; quiet output is drained."""
        buffers = {"stdout": b"", "frames": b""}
        streams = [(stdout.fileno(), "stdout")] + ([(telemetry_fd, "frames")] if telemetry_fd is not None else [])

        def pump(fd: int, kind: str) -> None:
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                self._last_output = time.monotonic()
                self._take(kind, chunk, buffers)
                if not chunk:
                    return

        pumps = [threading.Thread(target=pump, args=stream, daemon=True, name=f"lambda-{stream[1]}-{self.id[:8]}")
                 for stream in streams]
        for thread in pumps:
            thread.start()
        while any(thread.is_alive() for thread in pumps):
            if self._drain.is_set() and time.monotonic() - self._last_output >= QUIET_SECONDS:
                self._drain.clear()
                self._drained.set()
            time.sleep(0.01)
        if telemetry_fd is not None:
            os.close(telemetry_fd)
        self._drained.set()

    def _take(self, kind: str, chunk: bytes, buffers: dict) -> None:
        """A chunk of one pipe into the log: stdout's complete lines, the frames' complete messages."""
        if not chunk:  # end of the pipe: stdout's last line without its newline
            if kind == "stdout" and buffers["stdout"]:
                self._write([buffers["stdout"].decode("utf-8", "replace").replace("\r", "\n")])
                buffers["stdout"] = b""
            return
        buffers[kind] += chunk
        if kind == "stdout":
            *complete, buffers["stdout"] = buffers["stdout"].split(b"\n")
            self._write([line.decode("utf-8", "replace").replace("\r", "\n") for line in complete])
        else:
            messages, buffers["frames"] = _frames(buffers["frames"])
            self._write(messages)

    def _drain_output(self) -> None:
        """Everything the function wrote before it answered is in the pipes: put it in the log before END."""
        if self._reader.is_alive():
            self._drained.clear()
            self._drain.set()
            self._drained.wait(2.0)


class _Spawner:
    """Starts every environment's process from one thread that lives as long as the emulator.

    Where the kernel has PR_SET_PDEATHSIG, each process asks it to kill it when its parent goes, so
    that an emulator killed outright leaves no function running (bubblewrap's --die-with-parent is
    the same). Linux ties that to the *thread* that started the process, hence this one long-lived
    thread instead of the short-lived request ones. Elsewhere the launcher watches a pipe instead
    (``_PIXELKIT_PARENT_WATCH``), and no ``preexec_fn`` is given (Windows refuses one).
    """

    def __init__(self):
        self._queue: "queue.Queue" = queue.Queue()
        threading.Thread(target=self._run, daemon=True, name="lambda-spawner").start()

    def _run(self) -> None:
        while True:
            start, future = self._queue.get()
            try:
                future.set_result(start())
            except BaseException as error:
                future.set_exception(error)

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        future: Future = Future()
        if capabilities.pdeathsig():
            kwargs["preexec_fn"] = _die_with_parent
        self._queue.put((lambda: subprocess.Popen(*args, **kwargs), future))
        return future.result()


def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


SPAWNER = _Spawner()


def _frames(buffer: bytes) -> tuple[list[str], bytes]:
    """awslambdaric's telemetry frames: type (4), length (4), timestamp (8), message: one log event each."""
    messages = []
    while len(buffer) >= 16:
        (length,) = struct.unpack(">I", buffer[4:8])
        if len(buffer) < 16 + length:
            break
        messages.append(buffer[16:16 + length].decode("utf-8", "replace").rstrip("\n"))
        buffer = buffer[16 + length:]
    return messages, buffer


class _ProcessTree:
    """An environment's processes through psutil: listed every TREE_REFRESH_SECONDS, their memory read at each poll.

    bubblewrap's own processes are the sandbox, not the function: they are not counted.
    """

    def __init__(self, pid: int):
        self._members: list[psutil.Process] = []
        self._listed = 0.0
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._root = None

    def resident_bytes(self) -> int:
        if self._root is None:
            return 0
        now = time.monotonic()
        if not self._members or now - self._listed >= TREE_REFRESH_SECONDS:  # until the function's own process shows
            self._listed = now
            try:
                members = [self._root, *self._root.children(recursive=True)]
                self._members = [p for p in members if _name(p) != "bwrap"]
            except psutil.Error:
                pass
        total = 0
        for process in self._members:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                pass
        return total


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return ""


def _kill_tree(pid: int) -> None:
    """Kill a process and every descendant, listed before any of them dies (orphans would leave the tree)."""
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in members:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(members, timeout=5)


def _pure_client_note(runtime_env: runtimes.RuntimeEnvironment) -> str:
    why = (f"{capabilities.SWITCH} names native-runtime-client" if capabilities.without("native-runtime-client")
           else "pip builds it on Linux only")
    return (f"The {runtime_env.runtime} runtime has no compiled runtime_client of awslambdaric ({why}): functions "
            "talk to the Runtime API through the emulator's pure-Python client of it, with the same calls; "
            "handler resolution, errors and logs are still awslambdaric's.")


def _exited(returncode: int | None) -> str:
    """Lambda's words for a runtime that died: exit 0 gave no reason; else its status or signal."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: {_exit_reason(returncode)}"


# Lambda's runtime manager is written in Go: its "signal: …" words are Go's names of the signals, the same on every OS.
_SIGNAL_WORDS = {"SIGKILL": "killed", "SIGSEGV": "segmentation fault", "SIGABRT": "aborted", "SIGTERM": "terminated",
                 "SIGBUS": "bus error", "SIGFPE": "floating point exception", "SIGILL": "illegal instruction",
                 "SIGINT": "interrupt", "SIGHUP": "hangup", "SIGPIPE": "broken pipe", "SIGQUIT": "quit"}


# Windows has no signals: a crash is an exit status that is an NTSTATUS code; these are the signals Linux sends for
# the same faults (what the function would die of on Lambda).
_WINDOWS_CRASHES = {0xC0000005: "SIGSEGV", 0xC00000FD: "SIGSEGV", 0xC0000409: "SIGABRT", 0xC000001D: "SIGILL",
                    0xC0000094: "SIGFPE", 0xC000008E: "SIGFPE", 0x80000002: "SIGBUS"}


def _exit_reason(returncode: int | None) -> str:
    if returncode is None:
        return "exit status unknown"
    if returncode in _WINDOWS_CRASHES:
        name = _WINDOWS_CRASHES[returncode]
        return f"signal: {_SIGNAL_WORDS.get(name, name)}"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            return f"signal: {-returncode}"
        return f"signal: {_SIGNAL_WORDS.get(name, name.removeprefix('SIG').lower())}"
    return f"exit status {returncode}"


def _utc_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
