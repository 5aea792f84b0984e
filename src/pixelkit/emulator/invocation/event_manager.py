"""Asynchronous invocation: the queue behind S3 events and ``InvocationType=Event``.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html and
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): the caller gets
202 at once and the event waits in a queue; a function error is retried twice by default
(``MaximumRetryAttempts`` 0-2 in the function's event invoke config) with the same request id; an
event older than ``MaximumEventAgeInSeconds`` (default 6 hours) is dropped; a dropped or failed
event goes to the on-failure destination (SQS, SNS, Lambda or S3) as an invocation record, or to
the dead-letter queue with ``RequestID``, ``ErrorCode`` and ``ErrorMessage`` (the exception's message)
attributes; reserved concurrency makes events wait, not fail, except a reserved concurrency of 0: the
event goes to the on-failure destination at once, ``condition: ZeroReservedConcurrency``,
``approximateInvokeCount: 0`` (AWS's recordings: LocalStack's ``test_lambda.snapshot.json``,
``TestLambdaConcurrency::test_reserved_concurrency``;
``test_lambda_destinations.snapshot.json``, ``TestLambdaDLQ::test_dead_letter_queue``). Lambda waits about 1 and 2 minutes before its retries; the
emulator keeps the count and shortens the waits (1 and 2 seconds) so that a class sees the outcome.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

logger = logging.getLogger("pixelkit.emulator")

RETRY_DELAYS = (1.0, 2.0)
THROTTLED_WAIT = 1.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600


@dataclass
class AsyncEvent:
    function_arn: str
    account_id: str
    region: str
    payload: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str | None = None
    received: float = field(default_factory=time.time)
    attempts: int = 0
    description: str = ""  # what a learner recognises: "s3://bucket/key"


class EventManager:
    def __init__(self, service, workers: int, retry_delays=RETRY_DELAYS):
        self.service = service
        self.retry_delays = retry_delays
        self._heap: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running: dict[str, AsyncEvent] = {}
        self._stopping = False
        self._threads = [threading.Thread(target=self._work, daemon=True, name=f"lambda-async-{n}")
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, event: AsyncEvent, delay: float = 0.0) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), event))
            self._cond.notify()

    def _take(self) -> AsyncEvent | None:
        with self._cond:
            while not self._stopping:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    event = heapq.heappop(self._heap)[2]
                    self._running[event.request_id] = event
                    return event
                self._cond.wait(timeout=(self._heap[0][0] - time.monotonic()) if self._heap else None)
            return None

    def _work(self) -> None:
        while (event := self._take()) is not None:
            try:
                self._attempt(event)
            except Exception as error:  # a bug of the emulator's: said in one line, never a silent loss
                if self._stopping:
                    return  # reported by shutdown() as not run
                logger.error("lambda event %s for %s lost to an emulator error: %s", event.request_id,
                             event.function_arn.rsplit(":", 1)[-1], error)
            finally:
                with self._cond:
                    self._running.pop(event.request_id, None)

    def _attempt(self, event: AsyncEvent) -> None:
        function = self.service.find_function(event.function_arn, event.account_id, event.region)
        name = event.function_arn.rsplit(":", 1)[-1]
        if function is None:
            logger.warning("lambda %s: event %s dropped, the function no longer exists", name, event.description or event.request_id)
            return
        retries, max_age, destination_config = invoke_config(function)
        if time.time() - event.received > max_age:
            logger.warning("lambda %s: event %s dropped, older than MaximumEventAgeInSeconds=%d", name,
                           event.description or event.request_id, max_age)
            self.on_failure(function, event, "EventAgeExceeded", None, destination_config)
            return
        if function.reserved_concurrency is not None and int(function.reserved_concurrency) == 0:
            # Lambda cannot run it at all: straight to the on-failure destination, never attempted.
            logger.warning("lambda %s: event %s dropped, the function's reserved concurrency is 0", name,
                           event.description or event.request_id)
            self.on_failure(function, event, "ZeroReservedConcurrency", None, destination_config)
            return
        from pixelkit.emulator.invocation.environment_pool import Throttled

        try:
            outcome = self.service.run(function, event.payload, event.request_id, event.trace_id)
        except Throttled:  # reserved concurrency in use: the event waits in the queue, its age counting
            self.submit(event, THROTTLED_WAIT)
            return
        event.attempts += 1
        if self._stopping:
            return  # the emulator stopped it; shutdown() has said so
        total = retries + 1
        what = event.description or "event"
        if outcome.ok:
            logger.info("lambda %s <- %s: ok%s", name, what, f" (attempt {event.attempts} of {total})" if event.attempts > 1 else "")
            self.on_success(function, event, outcome, destination_config)
            return
        error = _error_summary(outcome)
        if event.attempts <= retries:
            delay = self.retry_delays[min(event.attempts - 1, len(self.retry_delays) - 1)]
            logger.warning("lambda %s <- %s: attempt %d of %d failed: %s; Lambda retries in %.0f s", name, what,
                           event.attempts, total, error, delay)
            self.submit(event, delay)
            return
        logger.warning("lambda %s <- %s: attempt %d of %d failed: %s; no retries left, event dropped", name, what,
                       event.attempts, total, error)
        self.on_failure(function, event, "RetriesExhausted", outcome, destination_config)

    # Where the outcome goes --------------------------------------------------------------

    def on_success(self, function, event: AsyncEvent, outcome, destination_config) -> None:
        target = ((destination_config or {}).get("OnSuccess") or {}).get("Destination")
        if target:
            self._send(function, target, _record(function, event, "Success", outcome))

    def on_failure(self, function, event: AsyncEvent, condition: str, outcome, destination_config) -> None:
        target = ((destination_config or {}).get("OnFailure") or {}).get("Destination")
        if target:
            self._send(function, target, _record(function, event, condition, outcome))
            return
        from pixelkit.emulator.function_configuration import record_of

        dead_letter = record_of(function.function_arn).dead_letter_target
        if dead_letter:
            message = json.loads(outcome.payload).get("errorMessage", "") if outcome else condition
            attributes = {  # as recorded: the exception's message alone
                "RequestID": {"DataType": "String", "StringValue": event.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": str(message)[:1000]},
            }
            self._send(function, dead_letter, event.payload.decode("utf-8", "replace"), attributes)

    def _send(self, function, arn: str, body, attributes: dict | None = None) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        service, region, account = arn.split(":")[2], arn.split(":")[3], arn.split(":")[4]
        try:
            if service == "sqs":
                from moto.sqs.models import sqs_backends

                sqs_backends[account][region].send_message(queue_name=arn.rsplit(":", 1)[-1], message_body=text,
                                                           message_attributes=attributes)
            elif service == "sns":
                from moto.sns.models import sns_backends

                sns_backends[account][region].publish(message=text, arn=arn, message_attributes=attributes)
            elif service == "lambda":
                self.submit(AsyncEvent(arn, account, region, text.encode(), description="an invocation record"))
            elif service == "s3":
                from moto.s3.models import s3_backends

                bucket = arn.split(":::", 1)[-1]
                key = (f"aws/lambda/async/{function.function_name}/{time.strftime('%Y/%m/%d/%H', time.gmtime())}/"
                       f"{uuid.uuid4()}")
                s3_backends[function.account_id]["aws"].put_object(bucket, key, text.encode())
            logger.info("lambda %s: invocation record sent to %s", function.function_name, arn)
        except Exception as error:
            logger.warning("lambda %s: could not send the invocation record to %s: %s", function.function_name, arn, error)

    def shutdown(self) -> list[str]:
        """Stop; one line for each event that will not run (queued or running)."""
        with self._cond:
            self._stopping = True
            left = [event for _, _, event in self._heap] + list(self._running.values())
            self._heap.clear()
            self._cond.notify_all()
        return [f"lambda {e.function_arn.rsplit(':', 1)[-1]}: event {e.description or e.request_id} not run "
                f"(emulator stopped after {e.attempts} attempt(s))" for e in left]


def invoke_config(function) -> tuple[int, int, dict | None]:
    configs = getattr(function, "event_invoke_config", None) or []
    config = configs[0].config if configs else {}
    retries = config.get("MaximumRetryAttempts", DEFAULT_RETRIES)
    max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
    return int(retries), int(max_age), config.get("DestinationConfig")


def _error_summary(outcome) -> str:
    try:
        payload = json.loads(outcome.payload)
    except ValueError:
        payload = {}
    kind = outcome.error_type or payload.get("errorType") or "error"
    message = str(payload.get("errorMessage", "")).splitlines()[0:1]
    return f"{kind}: {message[0]}" if message else kind


def _record(function, event: AsyncEvent, condition: str, outcome) -> dict:
    """Lambda's invocation record, as destinations receive it."""
    try:
        request_payload = json.loads(event.payload or b"{}")
    except ValueError:
        request_payload = event.payload.decode("utf-8", "replace")
    record = {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z",
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{function.function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": request_payload,
    }
    if outcome is not None:
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if not outcome.ok:
            record["responseContext"]["functionError"] = "Unhandled"
        try:
            record["responsePayload"] = json.loads(outcome.payload)
        except ValueError:
            record["responsePayload"] = outcome.payload.decode("utf-8", "replace")
    return record
