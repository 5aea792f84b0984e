"""S3 event notifications to Lambda: one event per new object, delivered asynchronously, loops stopped.

AWS behaviour followed:
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html: the
  event record's fields (moto leaves some out; they are added here), and a multipart upload creates
  one object, hence one ``ObjectCreated:CompleteMultipartUpload`` event (moto also sends a Put).
- https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html: S3 invokes the function asynchronously
  (``invocation/event_manager.py`` retries it), and only if the function's resource policy lets
  ``s3.amazonaws.com`` invoke it for that bucket (checked by ``iam_enforcement.py``).
- https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html: Lambda follows a chain of
  invocations through the tracing header (``X-Amzn-Trace-Id``, its ``Lineage`` field) that the
  function's SDK sends with each call; after 16 rounds of the same function through S3 it stops the
  loop, drops the event (to the on-failure destination if there is one) and says so, unless the
  function's recursion config says ``RecursiveLoop: Allow`` (``PutFunctionRecursionConfig``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid

from pixelkit.emulator import function_configuration, request_context
from pixelkit.emulator.invocation.event_manager import AsyncEvent, invoke_config

logger = logging.getLogger("pixelkit.emulator")

RECURSION_LIMIT = 16
_request = threading.local()  # whether this thread completes a multipart upload


def _lineage(trace: str) -> dict[str, int]:
    for part in (trace or "").split(";"):
        name, _, value = part.partition("=")
        if name.strip() == "Lineage":
            counts = {}
            for item in value.split(","):
                key, _, count = item.partition(":")
                if key and count.isdigit():
                    counts[key] = int(count)
            return counts
    return {}


def new_trace(function_arn: str, parent: str = "") -> tuple[str, int]:
    """A trace id for an invocation, its Lineage counting this function once more; and that count."""
    counts = _lineage(parent)
    key = hashlib.sha256(function_arn.encode()).hexdigest()[:8]
    counts[key] = counts.get(key, 0) + 1
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    lineage = ",".join(f"{k}:{v}" for k, v in counts.items())
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0;Lineage={lineage}", counts[key]


def announced_once(send_event):
    """moto's ``send_event``: the object of a multipart upload is announced once, as CompleteMultipartUpload."""
    from moto.s3 import notifications

    def send_event_once(account_id, event_name, bucket, key):
        if getattr(_request, "completing_multipart", False) and event_name == notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT:
            return None
        return send_event(account_id, event_name, bucket, key)

    return send_event_once


def completing_multipart(complete_multipart_upload):
    """moto's ``complete_multipart_upload``, marking the thread while it runs (for ``announced_once``)."""

    def complete(backend, *args, **kwargs):
        _request.completing_multipart = True
        try:
            return complete_multipart_upload(backend, *args, **kwargs)
        finally:
            _request.completing_multipart = False

    return complete


def delivery_to(service):
    """What replaces moto's synchronous call of the function: Lambda's asynchronous delivery."""

    def invoke_function(account_id, event_body, fn_arn, region_name):
        deliver(service, account_id, event_body, fn_arn, region_name)

    return invoke_function


def deliver(service, account_id: str, event_body: dict, fn_arn: str, region: str) -> None:
    record = (event_body.get("Records") or [{}])[0]
    bucket = record.get("s3", {}).get("bucket", {}).get("name", "?")
    key = record.get("s3", {}).get("object", {}).get("key", "?")
    where = f"s3://{bucket}/{key}"
    name = fn_arn.rsplit(":", 1)[-1]
    function = service.find_function(fn_arn, account_id, region)
    if function is None:
        logger.warning("S3 event for %s dropped: function %s does not exist", where, name)
        return
    trace, rounds = new_trace(function.function_arn, request_context.header("x-amzn-trace-id"))
    event = AsyncEvent(function.function_arn, function.account_id, function.region,
                       json.dumps(complete_event(event_body, account_id)).encode(), trace_id=trace, description=where)
    loops_allowed = function_configuration.record_of(function.function_arn).recursive_loop == "Allow"
    if rounds > RECURSION_LIMIT and not loops_allowed:
        message = (f"recursive loop detected and stopped: {name} wrote {where}, which invoked {name} again "
                   f"({rounds - 1} times in a row through bucket {bucket}). Lambda dropped this event. "
                   "Make the function write to another bucket than the one that triggers it.")
        logger.warning("lambda %s", message)
        service.write_logs_for(function, [f"EMULATOR NOTE: {message}"])
        service.event_manager.on_failure(function, event, "RecursiveInvocationDetected", None,
                                       invoke_config(function)[2])
        return
    service.event_manager.submit(event)


def complete_event(event: dict, account_id: str) -> dict:
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

