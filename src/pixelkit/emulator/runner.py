"""Runs one invocation of a deployed function, in a process of its own, as Lambda's Python runtime would.

The emulator starts this file with the function's unpacked code as the working
directory and Lambda's environment variables, and sends a JSON job on stdin:
``{"handler", "event", "request_id", "timeout", "result_path"}``. What the
function prints and logs goes to stdout, which the emulator sends to CloudWatch
Logs; the outcome goes to ``result_path``. It imports nothing of the kit: the
function sees what it would see on Lambda, its own code first on ``sys.path``.
"""

import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback


class LambdaContext:
    """The attributes and method of Lambda's context object that functions use."""

    def __init__(self, request_id, timeout, started):
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = os.environ.get("PIXELKIT_FUNCTION_ARN")
        self.identity = None
        self.client_context = None
        self._deadline = started + timeout

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class RequestIdFilter(logging.Filter):
    def __init__(self, request_id):
        super().__init__()
        self.request_id = request_id

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


def configure_logging(request_id):
    """Lambda's Python runtime format: level, UTC time, request id, message."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.formatter.converter = time.gmtime
    handler.addFilter(RequestIdFilter(request_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def write_result(path, **result):
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(path, "w") as file:
        json.dump(result, file)


def main():
    job = json.load(sys.stdin)
    sys.path.insert(0, os.getcwd())
    configure_logging(job["request_id"])
    started = time.monotonic()
    module_name, _, function_name = job["handler"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # what Lambda reports as Runtime.ImportModuleError
        print(f"[ERROR] Runtime.ImportModuleError: Unable to import module '{module_name}': {error}", flush=True)
        write_result(job["result_path"], ok=False, error_type="Runtime.ImportModuleError", error=str(error),
                     init_ms=(time.monotonic() - started) * 1000, duration_ms=0)
        return
    init_ms = (time.monotonic() - started) * 1000
    invoked = time.monotonic()
    context = LambdaContext(job["request_id"], job["timeout"], invoked)
    try:
        payload = handler(job["event"], context)
        json.dumps(payload)
        ok, error_type, error = True, None, None
    except Exception as exc:
        ok, payload, error_type, error = False, None, type(exc).__name__, str(exc)
        trace = "".join(traceback.format_exception(exc))
        print(f"[ERROR] {error_type}: {error}\n{trace}".rstrip(), flush=True)
    sys.stdout.flush()
    write_result(job["result_path"], ok=ok, payload=payload, error_type=error_type, error=error,
                 init_ms=init_ms, duration_ms=(time.monotonic() - invoked) * 1000)


if __name__ == "__main__":
    main()
