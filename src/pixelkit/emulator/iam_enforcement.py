"""IAM in the emulator, second half: the decision, and what it is recorded and enforced on.

A function's calls are authorised against its role's policies, as on AWS. ``iam_requests`` reads each
request as IAM does (principal, action, resource); this module decides (``iam_evaluation``) and acts:

- Every request signed with an assumed-role session's keys (a function's credentials,
  see ``identity.role_credentials``, or any ``sts assume-role`` session) is authorised
  against that role's inline and attached managed policies. A denied call gets AWS's error:
  ``AccessDenied`` (403) from S3, IAM and STS, ``AccessDeniedException`` (403) from Lambda,
  CloudWatch Logs and the JSON services, with AWS's message naming the principal, the action and
  the resource. The learner's own keys (``testing``, or any key that is not an assumed role) stay an
  administrator's, unless ``enforce_learner``: then ``policies/learner-policy.json`` applies to them.
- CloudWatch Logs written by the Lambda service for a function (in this process) are
  the role's calls too, as on AWS: authorised and recorded; denied, they are lost.
- ``lambda_may_assume``: whether a role's trust policy lets ``lambda.amazonaws.com`` assume it
  (``lambda_api`` refuses CreateFunction and UpdateFunctionConfiguration otherwise, as Lambda does).
- An S3 event reaches a function only if the function's resource policy lets
  ``s3.amazonaws.com`` invoke it for that bucket; otherwise it is dropped, with a line
  on the console saying why.
- Every action and resource a role used, allowed or denied, is recorded; the loopback
  endpoint ``GET /_pixelkit/iam/used`` returns it (``pixelkit policy used`` reads it).

``moto_changes`` installs the hooks below into moto.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from functools import lru_cache

from pixelkit.emulator import iam_evaluation, iam_requests
from pixelkit.emulator.iam_requests import Principal

logger = logging.getLogger("pixelkit.emulator")

USED_PATH = "/_pixelkit/iam/used"
LAMBDA_SERVICE = "lambda.amazonaws.com"
ROLE_CANNOT_BE_ASSUMED = "The role defined for the function cannot be assumed by Lambda."

# What each role used: (role ARN, session, action, resource, outcome) -> count
_used: Counter = Counter()
# Each role's policies as they were at its last call: the role may be gone when the learner asks.
_role_policies: dict[str, list[dict]] = {}
USED_FILE = "iam-used.json"
_used_lock = threading.Lock()
# The service of the HTTP request this thread serves, if any: tells a learner's
# CloudWatch Logs call from a write the Lambda service makes in-process.
_request = threading.local()


# Recording --------------------------------------------------------------------------------

def record(principal: Principal, action: str, resource: str, outcome: str,
           policies: list[iam_evaluation.NamedPolicy] = ()) -> None:
    if principal.role_name is None:
        return
    with _used_lock:
        _used[(principal.role_arn, principal.session_name, action, resource, outcome)] += 1
        _role_policies[principal.role_arn] = [{"name": p.name, "document": p.document} for p in policies]


def usage() -> dict:
    """What ``GET /_pixelkit/iam/used`` answers: every call of each role, and the role's policies."""
    with _used_lock:
        policies = dict(_role_policies)
    return {"calls": used_calls(), "policies": policies}


def save_usage() -> None:
    """When the emulator stops (``make demo`` stops its own), its record stays in .workshop/ for the learner."""
    from pixelkit.context.paths import workshop_dir

    if not _used:
        return
    try:
        workshop_dir().mkdir(parents=True, exist_ok=True)
        (workshop_dir() / USED_FILE).write_text(json.dumps(usage(), indent=1))
    except OSError as error:
        logger.warning("Could not keep the record of the roles' calls: %s", error)


def used_calls() -> list[dict]:
    with _used_lock:
        items = sorted(_used.items())
    return [
        {"role": role, "session": session, "action": action, "resource": resource,
         "outcome": outcome, "count": count}
        for (role, session, action, resource, outcome), count in items
    ]


# Authorising one call ---------------------------------------------------------------------

def authorize(principal: Principal, action: str, resource: str, context: dict | None = None) -> str | None:
    """None when allowed; else AWS's message. Records the call and says a denial on the console."""
    context = {
        "aws:PrincipalArn": principal.role_arn or principal.arn,
        "aws:PrincipalAccount": principal.account_id,
        "aws:SecureTransport": "true",  # on AWS the SDK always uses HTTPS; the emulator's plain HTTP stays local
        **(context or {}),
    }
    policies = principal.policies()
    decision = iam_evaluation.evaluate(policies, action, resource, context)
    record(principal, action, resource, decision.outcome, policies)
    if decision.allowed:
        return None
    message = iam_evaluation.denial_message(principal.arn, action, resource, decision, quote_resource=action.startswith("s3:"))
    logger.warning("IAM denied: %s", message)
    return message


@lru_cache(maxsize=None)
def _protocol(service_name: str) -> str:
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model(service_name).metadata["protocol"]
    except Exception:
        return "json"


def _deny(response, message: str):
    from moto.core.exceptions import JsonRESTError, _RESTError

    if _protocol(response.boto3_service_name) in ("query", "ec2", "rest-xml"):
        error = _RESTError("AccessDenied", message)
    else:
        error = JsonRESTError("AccessDeniedException", message)
    error.code = 403
    return error


# What moto's server is given (``moto_changes`` installs these, in its order) ----------------------

def authorize_normal_action(response, resource: str = "*") -> None:
    """moto's hook before every non-S3 request: authorise the principal's action on the resource.

    Lambda's requests are authorised by ``lambda_api`` (with its name resolution), not here.
    """
    _request.service = response.service_name
    try:
        principal = iam_requests.principal_of(response)
    except iam_requests.InvalidSessionToken:
        from moto.core.exceptions import InvalidClientTokenIdError

        raise InvalidClientTokenIdError() from None
    if principal is None or iam_requests.signing_service(response) == "lambda":
        return
    action, resource, context = iam_requests.normal_action_and_resource(response)
    if action == "sts:GetCallerIdentity":
        return  # always allowed, as on AWS
    message = authorize(principal, action, resource, context)
    if message is not None:
        raise _deny(response, message)


def authorize_s3_action(response, bucket_name: str | None = None, key_name: str | None = None) -> None:
    """moto's hook before every S3 request: each action it is (DeleteObjects: one per key) authorised."""
    from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError, S3InvalidTokenError

    _request.service = "s3"
    try:
        principal = iam_requests.principal_of(response)
    except iam_requests.InvalidSessionToken:
        raise S3InvalidTokenError() from None
    if principal is None:
        return
    for action, resource, context in iam_requests.s3_checks(response, bucket_name, key_name):
        message = authorize(principal, action, resource, context)
        if message is not None:
            error = BucketAccessDeniedError(bucket_name) if bucket_name else S3AccessDeniedError()
            error.message = message
            error.args = (message,)
            raise error


def serve_usage(app):
    """WSGI: ``GET /_pixelkit/iam/used`` answered before moto's routing, everything else passed on."""

    def with_usage(environ, start_response):
        if environ.get("PATH_INFO") == USED_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(usage()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return with_usage


def lambda_may_assume(trust_policy) -> bool:
    """Whether a role's trust policy lets the Lambda service call sts:AssumeRole (no Deny for it)."""
    document = iam_evaluation._as_dict(trust_policy)
    statements = document.get("Statement", [])
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = iam_evaluation._listed(statement.get("Action"))
        if not any(iam_evaluation._matches(a, "sts:AssumeRole", ignore_case=True) for a in actions):
            continue
        principal = statement.get("Principal", {})
        if principal == "*":
            names = ["*"]
        else:
            names = iam_evaluation._listed(principal.get("Service")) + iam_evaluation._listed(principal.get("AWS"))
        if "*" in names or LAMBDA_SERVICE in names:
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def s3_may_invoke_function(account_id: str, region: str, function_arn: str, bucket: str) -> bool:
    """The function's resource policy lets s3.amazonaws.com call lambda:InvokeFunction for this bucket."""
    from moto.awslambda.utils import get_backend

    from pixelkit.aws.functions import s3_may_invoke

    try:
        policy = json.loads(get_backend(account_id, region).get_policy(function_arn))
        statements = json.loads(policy["Policy"])["Statement"]
    except Exception:
        return False
    statements = [
        s for s in statements
        if any(iam_evaluation._matches(a, "lambda:InvokeFunction", ignore_case=True) for a in iam_evaluation._listed(s.get("Action")))
    ]
    return s3_may_invoke(statements, bucket)


def permitted_deliveries(deliver):
    """S3's delivery of an event to a function, made to need the function's permission: no permission, no run."""

    def deliver_if_permitted(account_id, event_body, fn_arn, region_name):
        try:
            record = (event_body.get("Records") or [{}])[0]["s3"]
            bucket, key = record["bucket"]["name"], record["object"]["key"]
        except (AttributeError, KeyError, IndexError, TypeError):
            return deliver(account_id, event_body, fn_arn, region_name)
        if not s3_may_invoke_function(account_id, region_name, fn_arn, bucket):
            logger.warning(
                "S3 event for s3://%s/%s not delivered: %s has no resource-based policy statement that lets "
                "s3.amazonaws.com call lambda:InvokeFunction for arn:aws:s3:::%s (lambda add-permission)",
                bucket, key, fn_arn.rsplit(":", 1)[-1], bucket,
            )
            return None
        return deliver(account_id, event_body, fn_arn, region_name)

    return deliver_if_permitted


def role_log_writes(ensure_log_group, create_log_stream, put_log_events) -> tuple:
    """moto's log writes, made the function's role's when the Lambda service writes a function's logs:
    authorised and recorded (denied, they are lost, as on AWS). Returns the three replacements."""

    def role_of(backend, group: str) -> Principal | None:
        if getattr(_request, "service", None) == "logs" or not group.startswith("/aws/lambda/"):
            return None  # a CloudWatch Logs request, authorised as such, or not a function's log group
        from moto.awslambda.utils import get_backend
        from moto.utilities.utils import get_partition

        try:
            function = get_backend(backend.account_id, backend.region_name).get_function(group.removeprefix("/aws/lambda/"))
        except Exception:
            return None
        partition = get_partition(backend.region_name)
        role_name = function.role.rsplit("/", 1)[-1]
        arn = f"arn:{partition}:sts::{backend.account_id}:assumed-role/{role_name}/{function.function_name}"
        return Principal(arn, backend.account_id, partition, role_name, function.function_name)

    def group_arn(backend, group: str) -> str:
        from moto.utilities.utils import get_partition

        return f"arn:{get_partition(backend.region_name)}:logs:{backend.region_name}:{backend.account_id}:log-group:{group}"

    def has_group(backend, group: str) -> bool:
        return group in backend.groups

    def checked_ensure_log_group(backend, log_group_name, *args, **kwargs):
        principal = role_of(backend, log_group_name)
        if principal is not None:
            denied = authorize(principal, "logs:CreateLogGroup", group_arn(backend, log_group_name))
            if denied is not None:
                return None  # Lambda cannot create it: the function's logs are lost, as on AWS
        return ensure_log_group(backend, log_group_name, *args, **kwargs)

    def checked_create_log_stream(backend, log_group_name, log_stream_name, *args, **kwargs):
        principal = role_of(backend, log_group_name)
        if principal is not None:
            resource = f"{group_arn(backend, log_group_name)}:log-stream:{log_stream_name}"
            if authorize(principal, "logs:CreateLogStream", resource) is not None or not has_group(backend, log_group_name):
                return None
        return create_log_stream(backend, log_group_name, log_stream_name, *args, **kwargs)

    def checked_put_log_events(backend, log_group_name, log_stream_name, *args, **kwargs):
        principal = role_of(backend, log_group_name)
        if principal is not None:
            resource = f"{group_arn(backend, log_group_name)}:log-stream:{log_stream_name}"
            if authorize(principal, "logs:PutLogEvents", resource) is not None:
                return None
            group = backend.groups.get(log_group_name)
            if group is None or log_stream_name not in group.streams:
                return None
        return put_log_events(backend, log_group_name, log_stream_name, *args, **kwargs)

    return checked_ensure_log_group, checked_create_log_stream, checked_put_log_events
