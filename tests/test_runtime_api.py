"""The Runtime API's server: a runtime that goes away prints nothing on the emulator's console."""

from __future__ import annotations

import socket
import struct
import time

from pixelkit.emulator.invocation.runtime_api import RuntimeAPI


def test_a_runtime_reset_between_requests_prints_no_traceback(capfd):
    api = RuntimeAPI()
    try:
        with socket.create_connection(("127.0.0.1", api.port)) as runtime:
            runtime.sendall(b"GET /2018-06-01/runtime/nothing HTTP/1.1\r\nHost: " + api.address.encode() + b"\r\n\r\n")
            assert runtime.recv(65536).startswith(b"HTTP/1.1 404")
            time.sleep(0.2)  # the server is back waiting for the next request line
            # Killed while its keep-alive connection waits: the kernel resets it (SO_LINGER 0 does the same).
            runtime.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.3)  # the server's thread reads the reset
    finally:
        api._server.shutdown()
    assert "Traceback" not in capfd.readouterr().err
