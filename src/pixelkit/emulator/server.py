"""``make emulator``: an AWS-compatible endpoint on http://127.0.0.1:4566 that really runs functions.

It is moto's server (S3, IAM, STS, Lambda, CloudWatch Logs and the rest), bound
to loopback only, with Lambda's API read per operation first (``lambda_api``), every change to
moto installed in one place (``moto_changes``), and ``LambdaService`` in place of moto's
Docker runner.
boto3, the kit's scripts and notebooks, and the AWS CLI reach it through
``AWS_ENDPOINT_URL``. Everything lives in memory: stopping it forgets it all.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from pixelkit.emulator.http_guard import scrubbed
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import environment_settings, venv_command, workshop_dir
from pixelkit.context.target import Target, emulator_is_listening

HOST = "127.0.0.1"
DEFAULT_PORT = 4566

logger = logging.getLogger("pixelkit.emulator")


def _check_port_free(port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows, where SO_REUSEADDR binds even a port in use
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds (TIME_WAIT is free)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise WorkshopError(
                f"Port {port} on {HOST} is taken ({error.strerror}). Is the emulator already running? "
                f"Use that one, or stop it; or choose another port: `{venv_command('pixelkit')} emulator --port 4567` "
                f"and `{environment_settings(WORKSHOP_ENDPOINT_URL='http://127.0.0.1:4567')}`."
            ) from error


def _quiet_about_departed_clients(handle_error):
    """A client that closes its connection without reading all of an answer (a boto3 Invoke whose Payload
    it never read) resets it: nothing went wrong here, so no traceback on the learner's console."""

    def handle(request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        handle_error(request, client_address)

    return handle


def _load_iam() -> None:
    """The default account's IAM, with AWS's managed policies, made before the first request needs it."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    iam_backends[DEFAULT_ACCOUNT_ID]["aws"]


class Emulator:
    """The server and its Lambda service; ``port=0`` picks a free port (the tests use that)."""

    def __init__(self, port: int = DEFAULT_PORT, verbose: bool = False, strict: bool = True,
                 enforce_learner: bool = False, max_environments: int | None = None, cold: bool = False):
        # AWS's managed policies (AWSLambdaBasicExecutionRole, AWSLambdaExecute...) exist, as on AWS. moto
        # loads them when the account's IAM is first used (about 1.3 s and 40 MB): started below, in the
        # background, so that no request waits for it.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from pixelkit.emulator import iam_enforcement, moto_changes
        from pixelkit.emulator.invocation.lambda_service import LambdaService
        from pixelkit.emulator.http_guard import LoopbackOnly
        from pixelkit.emulator.lambda_api import LambdaAPI
        from pixelkit.emulator.strict import ROLE_PROPAGATION_SECONDS

        logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
        # The layers a request passes, outermost first: only this computer's programs; the emulator's
        # own IAM record; Lambda's API read per operation; moto.
        app = LoopbackOnly(iam_enforcement.serve_usage(LambdaAPI(DomainDispatcherApplication(create_backend_app))),
                           lambda: self.port)
        _check_port_free(port)  # werkzeug would print its own message and exit
        self._server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_address[1]
        self._server.handle_error = _quiet_about_departed_clients(self._server.handle_error)
        self.url = f"http://{HOST}:{self.port}"
        self.lambda_service = LambdaService(self.url, max_environments=max_environments, cold=cold)
        moto_changes.install(self.lambda_service, strict_mode=strict, enforce_learner=enforce_learner,
                             role_propagation_seconds=float(os.environ.get("WORKSHOP_EMULATOR_ROLE_PROPAGATION",
                                                                           ROLE_PROPAGATION_SECONDS)))
        import atexit

        atexit.register(iam_enforcement.save_usage)
        threading.Thread(target=_load_iam, daemon=True, name="iam-managed-policies").start()
        self.strict = strict
        self.enforce_learner = enforce_learner
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> "Emulator":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[str]:
        self._server.shutdown()
        if self._thread:
            self._thread.join()
        return self.lambda_service.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pixelkit.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("WORKSHOP_EMULATOR_PORT", DEFAULT_PORT)),
                        help="port on 127.0.0.1 (default 4566; 0 picks a free one)")
    parser.add_argument("--ready-file", type=Path, help="write the endpoint URL here once it listens")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    parser.add_argument("--lenient", action="store_true",
                        default=os.environ.get("WORKSHOP_EMULATOR_LENIENT", "") not in ("", "0"),
                        help="turn off AWS's strict behaviours that moto lacks (new roles usable at once, triggers "
                             "unvalidated, bucket names free; see pixelkit/emulator/strict.py). IAM stays enforced.")
    parser.add_argument("--enforce-learner", action="store_true",
                        default=os.environ.get("WORKSHOP_ENFORCE_LEARNER", "") not in ("", "0"),
                        help="authorise the learner's own keys against policies/learner-policy.json too (classroom check)")
    parser.add_argument("--max-environments", type=int, default=None,
                        help="execution environments running at once (default: the number of cores)")
    parser.add_argument("--cold", action="store_true",
                        help="a fresh execution environment for every invocation (the benchmark's baseline)")
    parser.add_argument("--stop-at-end-of-input", action="store_true", help=argparse.SUPPRESS)  # EmulatorProcess's
    args = parser.parse_args(argv)
    kept = scrubbed(dict(os.environ))
    if kept != dict(os.environ):
        # The shell's credentials and tokens: never needed, never to be found in this process. A
        # process's initial environment stays readable in /proc/<pid>/environ whatever it unsets, so
        # the emulator starts itself again without them.
        command = [sys.executable, "-m", "pixelkit.emulator", *(sys.argv[1:] if argv is None else argv)]
        if os.name == "posix":  # exec replaces this process only there (Python documents os.exec* so)
            os.execve(sys.executable, command, kept)
        # Windows' exec starts a new process and ends this one, which hands the console back to the shell
        # while the emulator still runs: a child, waited for (the console's Ctrl-C reaches it too), instead.
        child = subprocess.Popen(command, env=kept)
        while True:
            try:
                sys.exit(child.wait())
            except KeyboardInterrupt:
                continue
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stdout)
    try:
        emulator = Emulator(args.port, args.verbose, strict=not args.lenient, enforce_learner=args.enforce_learner,
                            max_environments=args.max_environments, cold=args.cold)
    except WorkshopError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=emulator._server.shutdown).start())
    if args.stop_at_end_of_input:
        threading.Thread(target=_stop_at_end_of_input, args=(emulator,), daemon=True, name="stop-at-eof").start()
    scripts = (
        "the kit's scripts and notebooks use it by default"
        if emulator.port == DEFAULT_PORT
        else f"for the kit's scripts and notebooks, `{environment_settings(WORKSHOP_ENDPOINT_URL=emulator.url)}`"
    )
    cli_settings = environment_settings(AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID="testing",
                                        AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    print(
        f"AWS emulator listening on {emulator.url} (loopback only). Lambda functions run here, without Docker.\n"
        f"Use it from another terminal: {scripts}; for the AWS CLI,\n"
        f"  {cli_settings}\n"
        + "IAM is enforced: a function's calls are authorised against its role's policies"
        + (", and yours against policies/learner-policy.json" if emulator.enforce_learner else "")
        + "; each denial is logged here.\n"
        + ("As on AWS: new roles need a moment, triggers need S3's permission first, and the tutorial's bare "
           "bucket names are taken (--lenient turns these off).\n" if emulator.strict else "LENIENT: roles, triggers and bucket names are not checked as AWS checks them.\n")
        + "Everything is kept in memory. Stop it with Ctrl-C.",
        flush=True,
    )
    if args.ready_file:
        args.ready_file.write_text(emulator.url)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for line in emulator.lambda_service.shutdown():
            print(line, flush=True)
        print("Emulator stopped; everything it held is gone.", flush=True)


def _stop_at_end_of_input(emulator: Emulator) -> None:
    """Block on standard input; at its end (the parent closed it, or is gone), stop as a Ctrl-C stops it."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    emulator._server.shutdown()


class EmulatorProcess:
    """An emulator in a child process, for ``make demo`` and the tests: started, waited for, stopped."""

    def __init__(self, port: int = DEFAULT_PORT, log_path: Path | None = None, new_session: bool = False,
                 strict: bool = True, enforce_learner: bool = False, extra_args: list[str] | None = None):
        self.port = port
        self.strict = strict
        self.enforce_learner = enforce_learner
        self.extra_args = list(extra_args or [])
        self.log_path = log_path
        # new_session: out of the terminal's process group, so a Ctrl-C meant for another program spares it
        self.new_session = new_session
        self.url: str | None = None
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> str:
        with tempfile.TemporaryDirectory(prefix="pixelkit-emulator-") as tmp:
            ready = Path(tmp) / "ready"
            log = open(self.log_path, "w") if self.log_path else subprocess.DEVNULL
            # Out of the console's Ctrl-C: a session of its own where there are sessions; on Windows a new
            # process group, which Ctrl-C does not reach (start_new_session does nothing there).
            apart = {}
            if self.new_session and hasattr(os, "setsid"):
                apart["start_new_session"] = True
            elif self.new_session and hasattr(subprocess, "CREATE_NEW_PROCESS_GROUP"):
                apart["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "pixelkit.emulator", "--port", str(self.port), "--ready-file", str(ready)]
                    + ([] if self.strict else ["--lenient"]) + (["--enforce-learner"] if self.enforce_learner else [])
                    + self.extra_args + ["--stop-at-end-of-input"],
                    stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=scrubbed(dict(os.environ)), **apart,
                )
            finally:
                if log is not subprocess.DEVNULL:
                    log.close()  # the child holds its own copy
            try:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if ready.exists() and ready.read_text():
                        self.url = ready.read_text()
                        if emulator_is_listening(self.url):
                            return self.url
                    if self._process.poll() is not None:
                        raise WorkshopError(
                            f"The emulator exited at start (status {self._process.returncode}); see {self.log_path}."
                        )
                    time.sleep(0.1)
                raise WorkshopError(f"The emulator did not start within {timeout:.0f} s; see {self.log_path}.")
            except BaseException:  # a Ctrl-C while it starts too: never leave it holding the port
                self.stop()
                raise

    def stop(self) -> None:
        """Stop it as Ctrl-C does (its environments ended, its temp folder removed), on every OS.

        The request is the end of its standard input: Windows' ``terminate()`` is TerminateProcess, which
        skips all cleaning up. Terminated, then killed, only if it has not stopped after that.
        """
        if self._process is None:
            return
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        if self._process.poll() is None:
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()


@contextmanager
def emulator_running(target: Target, who: str, new_session: bool = False):
    """Use the emulator at the target's endpoint, or start one there for the length of the block."""
    if emulator_is_listening(target.endpoint_url):
        logger.info("Using the emulator already running at %s", target.endpoint_url)
        yield None
        return
    workshop_dir().mkdir(parents=True, exist_ok=True)
    log_path = workshop_dir() / "emulator.log"
    process = EmulatorProcess(urlparse(target.endpoint_url).port or DEFAULT_PORT, log_path, new_session)
    logger.info("Starting the local AWS emulator on %s (its log: %s)", target.endpoint_url, log_path)
    try:
        process.start()
        yield process
    finally:
        process.stop()
        logger.info("Stopped the emulator %s started; everything it held is gone.", who)
