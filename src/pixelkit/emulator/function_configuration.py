"""A function's configuration as Lambda answers it: its states, its revision, and the members moto lacks.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html, and
AWS's recordings in LocalStack's ``tests/aws/services/lambda_/test_lambda_api.snapshot.json``,
``TestLambdaFunction::test_function_lifecycle`` and ``test_lambda_code_location_zipfile``):

- CreateFunction answers ``State: Pending``, ``StateReason: "The function is being created."``,
  ``StateReasonCode: Creating`` and no ``LastUpdateStatus``; a moment later the function is ``Active``
  with ``LastUpdateStatus: Successful``. An update answers ``LastUpdateStatus: InProgress`` (with
  ``LastUpdateStatusReason`` "The function is being created." and code ``Creating``, as recorded), then
  ``Successful``. botocore's waiters ``function_active_v2`` and ``function_updated_v2`` wait for these.
- While the function is Pending or an update is in progress, another update is refused
  (``ResourceConflictException``), and while it is Pending an invoke is refused (``lambda_api``).
- Every configuration carries a ``RevisionId`` (a new one at every change, and when the state
  changes), ``LoggingConfig`` (``Text``, ``/aws/lambda/<name>``) and ``RuntimeVersionConfig``;
  ``Environment`` appears as it was given (``{"Variables": {}}`` too) and not when it was not;
  ``Layers``, ``VpcConfig`` and other members appear only when they are set.

The transition takes ``STATE_SECONDS`` (``WORKSHOP_EMULATOR_STATE_SECONDS``): on AWS it is the time
Lambda takes to prepare the function, usually under a few seconds.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

STATE_SECONDS = 0.5
BEING_CREATED = "The function is being created."


def state_seconds() -> float:
    return float(os.environ.get("WORKSHOP_EMULATOR_STATE_SECONDS", STATE_SECONDS))


@dataclass
class FunctionRecord:
    """What Lambda keeps of a function that moto does not: where it is in the state machine (each
    change opens a new revision), whether ``Environment`` was given, its dead-letter queue and its
    recursive-loop setting (``PutFunctionRecursionConfig``)."""

    active_at: float
    environment_given: bool
    updating_until: float | None = None  # None: never updated since it became Active
    revisions: list = field(default_factory=list)  # (from time, RevisionId), in time order
    dead_letter_target: str | None = None
    recursive_loop: str = "Terminate"

    def pending(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.active_at

    def updating(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return self.updating_until is not None and now < self.updating_until

    def revision_id(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        return [revision for since, revision in self.revisions if since <= now][-1]

    def begin(self) -> None:
        """A change begins: a new revision, and no end yet."""
        self.revisions = [(time.monotonic(), str(uuid.uuid4()))]

    def settle(self, seconds: float) -> None:
        """The change is made (the API has answered): it completes ``seconds`` later, with a revision of its own."""
        done = time.monotonic() + seconds
        if self.active_at == math.inf:
            self.active_at = done
        if self.updating_until == math.inf:
            self.updating_until = done
        self.revisions = self.revisions[:1] + [(done, str(uuid.uuid4()))]


_records: dict[str, FunctionRecord] = {}
_lock = threading.Lock()


def creating(function_arn: str, spec: dict) -> FunctionRecord:
    """CreateFunction is being served: the function is Pending until ``settle``."""
    record = FunctionRecord(math.inf, "Environment" in spec,
                            dead_letter_target=(spec.get("DeadLetterConfig") or {}).get("TargetArn"))
    record.begin()
    with _lock:
        _records[function_arn] = record
    return record


def updating(function_arn: str, spec: dict | None = None) -> None:
    """UpdateFunctionConfiguration/Code is being served: the update is InProgress until ``settle``."""
    record = record_of(function_arn)
    with _lock:
        record.updating_until = math.inf
        if spec and "Environment" in spec:
            record.environment_given = True
        if spec and "DeadLetterConfig" in spec:
            record.dead_letter_target = (spec.get("DeadLetterConfig") or {}).get("TargetArn")
        record.begin()


def settle(function_arn: str) -> None:
    """The operation has been answered: the function becomes Active (the update Successful) shortly."""
    record = record_of(function_arn)
    with _lock:
        record.settle(state_seconds())


def deleted(function_arn: str) -> None:
    with _lock:
        _records.pop(function_arn, None)


def record_of(function_arn: str) -> FunctionRecord:
    """The function's record; a function the emulator did not see created is Active."""
    with _lock:
        record = _records.get(function_arn)
        if record is None:
            record = _records[function_arn] = FunctionRecord(0.0, True, revisions=[(0.0, str(uuid.uuid4()))])
        return record


def runtime_version_arn(region: str, partition: str, runtime: str | None) -> str:
    """The runtime version's ARN: one per runtime here (AWS: one per release of the runtime)."""
    digest = hashlib.sha256(f"pixelkit-emulated-{runtime}".encode()).hexdigest()
    return f"arn:{partition}:lambda:{region}::runtime:{digest}"


def shaped(function, config: dict, on_create: bool = False) -> dict:
    """moto's configuration of the function, answered as Lambda answers it."""
    record = record_of(function.function_arn)
    now = time.monotonic()
    shaped_config = {key: value for key, value in config.items() if value is not None and value != []}
    for key in ("State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
                "LastUpdateStatusReasonCode", "Environment"):
        shaped_config.pop(key, None)
    if not (function.vpc_config or {}).get("SubnetIds"):
        shaped_config.pop("VpcConfig", None)
    if record.environment_given or function.environment_vars:
        shaped_config["Environment"] = {"Variables": dict(function.environment_vars or {})}
    if record.pending(now):
        shaped_config.update(State="Pending", StateReason=BEING_CREATED, StateReasonCode="Creating")
    else:
        shaped_config["State"] = "Active"
        if record.updating(now):
            shaped_config.update(LastUpdateStatus="InProgress", LastUpdateStatusReason=BEING_CREATED,
                                 LastUpdateStatusReasonCode="Creating")
        elif not on_create:
            shaped_config["LastUpdateStatus"] = "Successful"
    shaped_config["RevisionId"] = record.revision_id(now)
    shaped_config.setdefault("LoggingConfig", {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"})
    if function.package_type == "Zip":
        shaped_config["RuntimeVersionConfig"] = {
            "RuntimeVersionArn": runtime_version_arn(function.region, function.partition, function.run_time)}
    if record.dead_letter_target:
        shaped_config["DeadLetterConfig"] = {"TargetArn": record.dead_letter_target}
    return dict(sorted(shaped_config.items()))
