"""The Lambda Runtime API, served on loopback to one execution environment's runtime.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): the
runtime (here AWS's own ``awslambdaric``) asks ``GET /2018-06-01/runtime/invocation/next`` for the
next event and blocks until there is one; it answers with
``POST /2018-06-01/runtime/invocation/{AwsRequestId}/response`` or ``.../error``; a runtime that
cannot initialise posts ``/2018-06-01/runtime/init/error`` and exits. The event comes with the
headers ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms``,
``Lambda-Runtime-Invoked-Function-Arn`` and ``Lambda-Runtime-Trace-Id``; error posts carry
``Lambda-Runtime-Function-Error-Type``. Everything else is answered 404, and every request whose
Host is not this server's loopback address is refused.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    """One request to a function, as the Runtime API hands it to the runtime."""

    request_id: str
    payload: bytes
    function_arn: str
    deadline_ms: int
    trace_id: str
    done: threading.Event = field(default_factory=threading.Event)
    sent_at: float | None = None  # when the runtime took it (monotonic)
    finished_at: float | None = None
    response: bytes | None = None
    error: dict | None = None
    error_type: str | None = None


class RuntimeAPI:
    """One server per execution environment, so that its address says which environment is asking."""

    def __init__(self, on_next=None):
        self._pending: "queue.Queue[Invocation | None]" = queue.Queue()
        self._current: Invocation | None = None
        self.init_error: dict | None = None
        self.init_error_type: str | None = None
        self.initialised = threading.Event()  # the runtime asked for its first event, or failed to init
        self._on_next = on_next
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()  # answers go out at once: no 40 ms of Nagle and delayed ACK per event
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # the emulator's console is for learners, not for every poll
                pass

            def handle(self):
                try:
                    super().handle()
                except ConnectionError:  # the runtime was ended between two requests (its function deleted,
                    pass                 # the environment retired): nobody is left to answer, nothing to print

            def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except ConnectionError:  # the runtime was ended while it waited (retired, killed): nobody to tell
                    self.close_connection = True

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _host_ok(self) -> bool:
                """Only the runtime, by its loopback address; never a web page (Origin, Sec-Fetch-*)."""
                if self.headers.get("Origin") is not None or self.headers.get("Sec-Fetch-Site") is not None:
                    return False
                return self.headers.get("Host", "") in api.hosts

            def do_GET(self):
                if not self._host_ok():
                    return self._answer(403, b'{"errorMessage":"Forbidden"}')
                if self.path != f"{PREFIX}/invocation/next":
                    return self._answer(404, b'{"errorMessage":"Not found"}')
                invocation = api._next()
                if invocation is None:  # the environment is shutting down
                    return self._answer(410, b'{"errorMessage":"Environment shut down"}')
                self._answer(200, invocation.payload, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                    "Lambda-Runtime-Trace-Id": invocation.trace_id,
                })

            def do_POST(self):
                body = self._body()
                if not self._host_ok():
                    return self._answer(403, b'{"errorMessage":"Forbidden"}')
                path = self.path
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                if path == f"{PREFIX}/init/error":
                    if api.initialised.is_set():  # INIT is over: only the runtime's own first words count
                        return self._answer(403, b'{"errorMessage":"INIT is over","errorType":"InvalidStateTransition"}')
                    api.init_error, api.init_error_type = _json(body), error_type
                    api.initialised.set()
                    return self._answer(202, b'{"status":"OK"}')
                parts = path[len(PREFIX):].strip("/").split("/")
                if path.startswith(PREFIX) and len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    current = api._current
                    if current is None or current.request_id != parts[1] or current.done.is_set():
                        return self._answer(400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}')
                    current.finished_at = time.monotonic()
                    if parts[2] == "response":
                        current.response = body
                    else:
                        current.error, current.error_type = _json(body), error_type
                    current.done.set()
                    return self._answer(202, b'{"status":"OK"}')
                self._answer(404, b'{"errorMessage":"Not found"}')

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self.hosts = {self.address, f"localhost:{self.port}"}
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name=f"runtime-api-{self.port}")
        self._thread.start()

    def _next(self) -> Invocation | None:
        self.initialised.set()
        if self._on_next:
            self._on_next()
        invocation = self._pending.get()
        if invocation is not None:
            invocation.sent_at = time.monotonic()
            self._current = invocation
        return invocation

    def submit(self, invocation: Invocation) -> None:
        self._pending.put(invocation)

    def close(self) -> None:
        self._pending.put(None)
        self._server.shutdown()
        self._server.server_close()


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {"errorMessage": body.decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"errorMessage": str(value)}
