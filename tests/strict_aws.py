"""AWS's strictness, put in front of moto (or the emulator) with botocore event hooks.

Real AWS refuses things moto accepts. Nobody here can reach AWS, so the tests
reproduce each refusal, as AWS words it, on one boto3 session:

1. A new role is not usable at once: the first ``role_not_ready`` CreateFunction calls
   naming a role fail with InvalidParameterValueException "... cannot be assumed by Lambda".
2. S3 validates a notification's destination: PutBucketNotificationConfiguration fails with
   InvalidArgument "Unable to validate the following destination configurations" unless the
   function's resource policy lets s3.amazonaws.com invoke it for that bucket.
3. Outside us-east-1, CreateBucket without a LocationConstraint fails with
   IllegalLocationConstraintException (and with one naming us-east-1 in us-east-1, InvalidLocationConstraint).
4. Bucket names are global: a name in ``taken`` is someone else's, so HeadBucket says 403 and
   CreateBucket says BucketAlreadyExists.

A ``before-call`` hook that returns ``(http_response, parsed)`` replaces the request, and
botocore raises the same ``ClientError`` as for a real answer. Every call is recorded in
``calls`` ("service.Operation"), in order, so that tests can assert what came before what.
"""

from __future__ import annotations

import json

import boto3
from botocore.awsrequest import AWSResponse

ROLE_NOT_READY_MESSAGE = "The role defined for the function cannot be assumed by Lambda."
UNVALIDATED_DESTINATION = "Unable to validate the following destination configurations"


class Interrupt(KeyboardInterrupt):
    """What Ctrl-C raises, at a chosen point of a run."""


class StrictAws:
    def __init__(self, session: boto3.Session, region: str, role_not_ready: int = 2, taken=(), interrupt_after=None):
        self.region = region
        self.role_not_ready = role_not_ready
        self.taken = set(taken)
        self.interrupt_after = interrupt_after
        self.calls: list[str] = []
        self.refused: list[tuple[str, str]] = []
        self._role_failures: dict[str, int] = {}
        # A client of its own (not hooked) to look at the target as AWS would before answering.
        self._lambda = boto3.Session(region_name=region).client("lambda")
        session.events.register("before-parameter-build", self._remember_params)
        session.events.register("before-call", self._before_call)
        session.events.register("after-call", self._after_call)

    @classmethod
    def on(cls, ws, **options) -> "StrictAws":
        """Make a Workshop's session strict (its cached clients are dropped, so every call goes through)."""
        strict = cls(ws.session, ws.target.region, **options)
        ws._clients.clear()
        return strict

    # botocore hooks -----------------------------------------------------------------------------

    def _remember_params(self, params, model, context, **_):
        context["strict_api_params"] = dict(params)

    def _before_call(self, model, context, **_):
        operation = f"{model.service_model.endpoint_prefix}.{model.name}"
        self.calls.append(operation)
        params = context.get("strict_api_params", {})
        check = getattr(self, "_check_" + model.name, None)
        refusal = check(params) if check else None
        if refusal:
            status, code, message = refusal
            self.refused.append((operation, code))
            return _error(status, code, message)
        return None

    def _after_call(self, model, http_response, **_):
        operation = f"{model.service_model.endpoint_prefix}.{model.name}"
        if operation == self.interrupt_after and http_response.status_code < 300:
            self.interrupt_after = None
            raise Interrupt(f"interrupted after {operation}")

    # the four behaviours ----------------------------------------------------------------------

    def _check_CreateFunction(self, params):
        role = params.get("Role", "")
        failures = self._role_failures.get(role, 0)
        if failures < self.role_not_ready:
            self._role_failures[role] = failures + 1
            return 400, "InvalidParameterValueException", ROLE_NOT_READY_MESSAGE
        return None

    def _check_PutBucketNotificationConfiguration(self, params):
        bucket = params["Bucket"]
        for trigger in params.get("NotificationConfiguration", {}).get("LambdaFunctionConfigurations", []):
            if not self._s3_may_invoke(trigger["LambdaFunctionArn"], bucket):
                return 400, "InvalidArgument", UNVALIDATED_DESTINATION
        return None

    def _check_CreateBucket(self, params):
        constraint = params.get("CreateBucketConfiguration", {}).get("LocationConstraint")
        if self.region != "us-east-1" and constraint is None:
            return 400, "IllegalLocationConstraintException", (
                "The unspecified location constraint is incompatible for the region specific endpoint "
                "this request was sent to."
            )
        if self.region == "us-east-1" and constraint == "us-east-1":
            return 400, "InvalidLocationConstraint", "The specified location-constraint is not valid"
        if params["Bucket"] in self.taken:
            return 409, "BucketAlreadyExists", (
                "The requested bucket name is not available. The bucket namespace is shared by all users "
                "of the system. Please select a different name and try again."
            )
        return None

    def _check_HeadBucket(self, params):
        if params["Bucket"] in self.taken:
            return 403, "403", "Forbidden"
        return None

    def _s3_may_invoke(self, function_arn: str, bucket: str) -> bool:
        try:
            policy = json.loads(self._lambda.get_policy(FunctionName=function_arn)["Policy"])
        except self._lambda.exceptions.ResourceNotFoundException:
            return False
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, dict) else principal
            if service == "s3.amazonaws.com" and f"arn:aws:s3:::{bucket}" in json.dumps(statement.get("Condition", {})):
                return True
        return False


def _error(status: int, code: str, message: str):
    response = AWSResponse("https://strict.invalid", status, {}, None)
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return response, parsed
