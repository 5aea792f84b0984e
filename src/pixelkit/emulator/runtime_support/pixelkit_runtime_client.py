"""A pure-Python client of the Lambda Runtime API, with the interface of awslambdaric's ``runtime_client``.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, and
awslambdaric's ``runtime_client.cpp`` over aws-lambda-cpp's ``runtime.cpp``, whose calls this
mirrors): ``initialize_client(user_agent)``; ``next()`` blocks on ``GET /invocation/next`` and
returns ``(body, headers)`` with the same header names (absent ones None, the deadline an int);
``post_invocation_result(request_id, body, content_type[, invocation_id])`` posts ``/response``;
``post_error(request_id, error_json, xray_fault[, invocation_id])`` posts ``/error`` as JSON with
the ``Lambda-Runtime-Function-XRay-Error-Cause`` header. The optional ``invocation_id`` is
awslambdaric 4.1's (``Lambda-Runtime-Invocation-Id``, sent back when given). A non-2xx answer raises ``RuntimeError`` with
the compiled module's messages, so awslambdaric handles it as it handles the native one's.

awslambdaric's wheels exist for Linux only; elsewhere pip builds its sdist, which leaves the
compiled module out, and the bootstrap would die at its first ``next()``. The emulator's launcher
installs this module under the name ``runtime_client`` in that case only.
"""

import http.client
import os
import socket

_PREFIX = "/2018-06-01/runtime"
_HEADERS = ("Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Invoked-Function-Arn",
            "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Client-Context", "Content-Type",
            "Lambda-Runtime-Cognito-Identity", "Lambda-Runtime-Aws-Tenant-Id", "Lambda-Runtime-Invocation-Id")
_endpoint = os.environ.get("AWS_LAMBDA_RUNTIME_API") or "127.0.0.1:9001"
_user_agent = None


def initialize_client(user_agent):
    global _user_agent
    _user_agent = str(user_agent)


def _request(method, path, body=None, headers=None):
    host, _, port = _endpoint.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port))
    try:
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = {"User-Agent": _user_agent or "aws-lambda-python"}
        sent.update(headers or {})
        connection.request(method, _PREFIX + path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def next():  # noqa: A001 (the compiled module's name)
    if _user_agent is None:
        raise RuntimeError("Client not yet initalized")
    try:
        status, headers, body = _request("GET", "/invocation/next")
    except OSError as error:
        raise RuntimeError("Failed to get next") from error
    received = {name.lower(): value for name, value in headers}
    if status != 200 or "lambda-runtime-aws-request-id" not in received:
        raise RuntimeError("Failed to get next")
    found = {name: received.get(name.lower()) or None for name in _HEADERS}
    try:
        found["Lambda-Runtime-Deadline-Ms"] = int(found["Lambda-Runtime-Deadline-Ms"] or 0)
    except ValueError:
        found["Lambda-Runtime-Deadline-Ms"] = 0
    return body, found


def _post(path, body, headers, failure):
    if _user_agent is None:
        raise RuntimeError("Client not yet initalized")
    try:
        status, _, _ = _request("POST", path, body, headers)
    except OSError as error:
        raise RuntimeError(failure) from error
    if not 200 <= status < 300:
        raise RuntimeError(failure)


def _invocation(invocation_id):
    return {"lambda-runtime-invocation-id": str(invocation_id)} if invocation_id else {}


def post_invocation_result(invoke_id, result, content_type, invocation_id=None):
    if not isinstance(result, bytes):
        raise RuntimeError("Wrong arguments")
    _post(f"/invocation/{invoke_id}/response", result,
          {"Content-Type": content_type or "text/html", **_invocation(invocation_id)},
          "Failed to post invocation response")


def post_error(invoke_id, error_response_data, xray_fault, invocation_id=None):
    body = error_response_data.encode("utf-8") if isinstance(error_response_data, str) else error_response_data
    _post(f"/invocation/{invoke_id}/error", body,
          {"Content-Type": "application/json", "Lambda-Runtime-Function-XRay-Error-Cause": xray_fault or "",
           **_invocation(invocation_id)},
          "Failed to post invocation error")
