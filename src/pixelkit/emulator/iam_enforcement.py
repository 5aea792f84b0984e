"""IAM enforced in the emulator: a function's calls are authorised against its role's policies.

What it adds to moto's server (``install``):

- Every request signed with an assumed-role session's keys (a function's credentials,
  see ``identity.role_credentials``, or any ``sts assume-role`` session) is authorised
  against that role's inline and attached managed policies (``iam_evaluation``). A
  denied call gets AWS's error: ``AccessDenied`` (403) from S3, IAM and STS,
  ``AccessDeniedException`` (403) from Lambda, CloudWatch Logs and the JSON services,
  with AWS's message naming the principal, the action and the resource. The learner's own
  keys (``testing``, or any key that is not an assumed role) stay an administrator's,
  unless ``enforce_learner``: then ``policies/learner-policy.json`` applies to them.
- CloudWatch Logs written by the Lambda service for a function (in this process) are
  the role's calls too, as on AWS: authorised and recorded; denied, they are lost.
- CreateFunction (and a configuration update) with a role whose trust policy does not
  let ``lambda.amazonaws.com`` assume it is refused as Lambda refuses it.
- An S3 event reaches a function only if the function's resource policy lets
  ``s3.amazonaws.com`` invoke it for that bucket; otherwise it is dropped, with a line
  on the console saying why.
- Every action and resource a role used, allowed or denied, is recorded; the loopback
  endpoint ``GET /_pixelkit/iam/used`` returns it (``pixelkit policy used`` reads it).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from pixelkit.emulator import iam_evaluation
from pixelkit.emulator.identity import assumed_role_session

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
_settings = {"enforce_learner": False}


@dataclass
class Principal:
    arn: str
    account_id: str
    partition: str
    role_name: str | None = None  # None: the learner's own keys
    session_name: str | None = None

    @property
    def role_arn(self) -> str | None:
        if self.role_name is None:
            return None
        return f"arn:{self.partition}:iam::{self.account_id}:role/{self.role_name}"

    def policies(self) -> list[iam_evaluation.NamedPolicy]:
        if self.role_name is None:
            return [learner_policy()]
        return iam_evaluation.role_policies(self.account_id, self.partition, self.role_name)


def learner_policy() -> iam_evaluation.NamedPolicy:
    from pixelkit.context.paths import POLICIES_DIR

    path = POLICIES_DIR / "learner-policy.json"
    return iam_evaluation.NamedPolicy(path.name, json.loads(path.read_text()))


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


def _principal_of(response) -> Principal | None:
    """The function's (or any assumed role's) identity, the learner's when enforced, else None (admin)."""
    from moto.utilities.utils import get_partition

    access_key = response.get_access_key()
    if access_key == "AKIAEXAMPLE":  # moto's answer when there is none: maybe a presigned URL
        credential = (response.querystring.get("X-Amz-Credential") or [""])[0]
        access_key = credential.split("/")[0] or access_key
    session = assumed_role_session(access_key)
    if session is not None:
        token = response.headers.get("X-Amz-Security-Token") or (response.querystring.get("X-Amz-Security-Token") or [None])[0]
        if token != session.session_token:
            return Principal(session.arn, session.account_id, session.partition, "\0invalid-token", session.session_name)
        return Principal(session.arn, session.account_id, session.partition,
                         session.role_arn.rsplit("/", 1)[-1], session.session_name)
    if _settings["enforce_learner"]:
        partition = get_partition(response.region)
        return Principal(f"arn:{partition}:iam::{response.current_account}:user/moto", response.current_account, partition)
    return None


def _signing_service(response) -> str:
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", response.headers.get("Authorization", ""))
    if match:
        return match.group(1)
    credential = (response.querystring.get("X-Amz-Credential") or [""])[0].split("/")
    return credential[3] if len(credential) > 3 else (response.service_name or "")


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


def _invalid_token(response):
    from moto.core.exceptions import InvalidClientTokenIdError

    return InvalidClientTokenIdError()


# Actions and resources of the services a function calls -----------------------------------

LAMBDA_ACTIONS = {"Invoke": "InvokeFunction"}


def _json_body(response) -> dict:
    try:
        return json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}


def _param(response, name: str) -> str | None:
    value = response.querystring.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value or _json_body(response).get(name)


def normal_action_and_resource(response) -> tuple[str, str, dict]:
    """The IAM action, the resource ARN and the request's condition keys of a non-S3 request."""
    service = _signing_service(response)
    operation = response._get_action() or ""
    region, account, partition = response.region, response.current_account, response.partition
    context: dict = {"aws:RequestedRegion": region}
    resource = "*"
    if service == "lambda":
        operation = LAMBDA_ACTIONS.get(operation, operation)
        match = response.uri_match or {}
        name = match.get("FunctionName") or (_json_body(response).get("FunctionName") if operation == "CreateFunction" else None)
        if match.get("Resource"):
            resource = unquote(match["Resource"])
        elif name:
            name = unquote(name)
            if name.startswith("arn:"):
                resource = name
            elif ":function:" in name:
                resource = f"arn:{partition}:lambda:{region}:{name}"
            else:
                resource = f"arn:{partition}:lambda:{region}:{account}:function:{name}"
            qualifier = (response.querystring.get("Qualifier") or [None])[0]
            if qualifier and resource.count(":") == 6:
                resource += f":{qualifier}"
    elif service == "logs":
        body = _json_body(response)
        group = body.get("logGroupName") or body.get("logGroupIdentifier")
        if body.get("resourceArn"):
            resource = body["resourceArn"]
        elif group and group.startswith("arn:"):
            resource = group
        elif group:
            resource = f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
            if body.get("logStreamName") and operation in ("CreateLogStream", "PutLogEvents", "DeleteLogStream", "GetLogEvents"):
                resource += f":log-stream:{body['logStreamName']}"
        elif operation == "DescribeLogGroups":
            resource = f"arn:{partition}:logs:{region}:{account}:log-group::log-stream:"
    elif service == "iam":
        for param, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group"),
                            ("InstanceProfileName", "instance-profile")):
            value = _param(response, param)
            if value:
                resource = f"arn:{partition}:iam::{account}:{kind}/{value}"
                if kind == "role":
                    resource = _role_arn(account, partition, value)
                break
        else:
            resource = _param(response, "PolicyArn") or resource
        if _param(response, "PolicyArn"):
            context["iam:PolicyARN"] = _param(response, "PolicyArn")
    elif service == "sts":
        resource = _param(response, "RoleArn") or resource
    return f"{service}:{operation}", resource, context


def _role_arn(account: str, partition: str, name: str) -> str:
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account][partition].get_role(name).arn
    except Exception:
        return f"arn:{partition}:iam::{account}:role/{name}"


# moto's S3 action names where IAM's differ (bucket- or object-level request, query parameter)
S3_BUCKET_ACTIONS = {
    ("HEAD", None): "ListBucket",
    ("GET", "publicAccessBlock"): "GetBucketPublicAccessBlock",
    ("PUT", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("GET", "encryption"): "GetEncryptionConfiguration",
    ("PUT", "encryption"): "PutEncryptionConfiguration",
    ("DELETE", "encryption"): "PutEncryptionConfiguration",
    ("GET", "ownershipControls"): "GetBucketOwnershipControls",
    ("PUT", "ownershipControls"): "PutBucketOwnershipControls",
    ("DELETE", "ownershipControls"): "PutBucketOwnershipControls",
    ("GET", "object-lock"): "GetBucketObjectLockConfiguration",
    ("PUT", "object-lock"): "PutBucketObjectLockConfiguration",
    ("GET", "replication"): "GetReplicationConfiguration",
    ("PUT", "replication"): "PutReplicationConfiguration",
    ("DELETE", "replication"): "PutReplicationConfiguration",
}
S3_OBJECT_ACTIONS = {
    ("DELETE", "tagging"): "DeleteObjectTagging",
    ("GET", "attributes"): "GetObjectAttributes",
    ("PUT", "retention"): "PutObjectRetention",
    ("PUT", "legal-hold"): "PutObjectLegalHold",
}


def s3_action(response, bucket_name: str | None, key_name: str | None) -> str:
    action = response.data.get("Action") or ""
    action = action[0] if isinstance(action, list) else action
    table = S3_OBJECT_ACTIONS if key_name else S3_BUCKET_ACTIONS if bucket_name else {}
    params = set(response.querystring) if response.parsed_url.query else set()
    for param in sorted(params):
        if (response.method, param) in table:
            return table[(response.method, param)]
    if (response.method, None) in table:
        return table[(response.method, None)]
    return {"GetPublicAccessBlock": "GetBucketPublicAccessBlock", "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
            "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "ListBuckets": "ListAllMyBuckets",
            "HeadBucket": "ListBucket"}.get(action, action)


def _s3_checks(response, bucket_name: str | None, key_name: str | None) -> list[tuple[str, str, dict]]:
    partition = response.partition
    action = s3_action(response, bucket_name, key_name)
    context: dict = {"aws:RequestedRegion": response.region}
    prefix = (response.querystring.get("prefix") or [None])[0] if response.parsed_url.query else None
    if prefix is not None:
        context["s3:prefix"] = prefix
    if key_name:
        resource = f"arn:{partition}:s3:::{bucket_name}/{key_name}"
    elif bucket_name:
        resource = f"arn:{partition}:s3:::{bucket_name}"
    else:
        resource = "*"
    checks = []
    if action == "DeleteObject" and not key_name and bucket_name:  # DeleteObjects: each key is a DeleteObject
        body = response.body.decode(errors="replace") if isinstance(response.body, bytes) else str(response.body or "")
        from xml.sax.saxutils import unescape

        keys = [unescape(k) for k in re.findall(r"<Key>(.*?)</Key>", body, re.DOTALL)]
        checks += [(f"s3:DeleteObject", f"arn:{partition}:s3:::{bucket_name}/{key}", context) for key in keys]
    else:
        checks.append((f"s3:{action}", resource, context))
    copy_source = response.headers.get("x-amz-copy-source")
    if copy_source and key_name and response.method == "PUT":
        source = unquote(copy_source.split("?versionId=")[0]).lstrip("/")
        checks.append(("s3:GetObject", f"arn:{partition}:s3:::{source}", context))
    return checks


# Installing into moto ---------------------------------------------------------------------

def install(emulator=None, enforce_learner: bool = False) -> None:
    """Wire the enforcement into moto (once); with ``emulator``, serve ``GET /_pixelkit/iam/used`` too."""
    from moto.core.authorization import ActionAuthenticatorMixin

    _settings["enforce_learner"] = enforce_learner
    if emulator is not None:
        import atexit

        _serve_usage(emulator)
        atexit.register(save_usage)
    if getattr(ActionAuthenticatorMixin, "_pixelkit_iam", False):
        return
    ActionAuthenticatorMixin._pixelkit_iam = True
    from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError

    def authorize_normal(self, resource: str = "*") -> None:
        _request.service = self.service_name
        principal = _principal_of(self)
        if principal is None:
            return
        if principal.role_name == "\0invalid-token":
            raise _invalid_token(self)
        action, resource, context = normal_action_and_resource(self)
        if action == "sts:GetCallerIdentity":
            return  # always allowed, as on AWS
        message = authorize(principal, action, resource, context)
        if message is None and action in ("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"):
            role = _json_body(self).get("Role")
            if role:  # handing a role to Lambda needs iam:PassRole on it
                message = authorize(principal, "iam:PassRole", role, {"iam:PassedToService": LAMBDA_SERVICE})
        if message is not None:
            raise _deny(self, message)

    def authorize_s3(self, bucket_name: str | None = None, key_name: str | None = None) -> None:
        _request.service = "s3"
        principal = _principal_of(self)
        if principal is None:
            return
        if principal.role_name == "\0invalid-token":
            from moto.s3.exceptions import S3InvalidTokenError

            raise S3InvalidTokenError()
        for action, resource, context in _s3_checks(self, bucket_name, key_name):
            message = authorize(principal, action, resource, context)
            if message is not None:
                error = BucketAccessDeniedError(bucket_name) if bucket_name else S3AccessDeniedError()
                error.message = message
                error.args = (message,)
                raise error

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize_normal
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_s3
    _install_trust_check()
    _install_s3_invoke_permission()
    _install_lambda_log_writes()


def _serve_usage(emulator) -> None:
    """``GET /_pixelkit/iam/used`` on the emulator's own server, before moto's routing."""
    guard = emulator._server.app  # http_guard.LoopbackOnly: this route stays behind it, like every other
    app = guard.app

    def with_usage(environ, start_response):
        if environ.get("PATH_INFO") == USED_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(usage()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    guard.app = with_usage


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


def _install_trust_check() -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.iam.models import iam_backends

    create_function = LambdaBackend.create_function
    update_configuration = LambdaBackend.update_function_configuration

    def check(backend, role_arn: str | None) -> None:
        if not role_arn:
            return
        try:
            account = role_arn.split(":")[4] or backend.account_id
            role = iam_backends[account][backend.partition].get_role_by_arn(role_arn)
        except Exception:
            return  # moto says what is wrong with a role that does not exist
        if not lambda_may_assume(role.assume_role_policy_document):
            logger.warning("CreateFunction refused: the trust policy of %s does not let %s assume it",
                           role_arn, LAMBDA_SERVICE)
            raise InvalidParameterValueException(ROLE_CANNOT_BE_ASSUMED)

    def checked_create_function(backend, spec):
        check(backend, spec.get("Role"))
        return create_function(backend, spec)

    def checked_update_configuration(backend, function_name, qualifier, body):
        check(backend, (body or {}).get("Role"))
        return update_configuration(backend, function_name, qualifier, body)

    LambdaBackend.create_function = checked_create_function
    LambdaBackend.update_function_configuration = checked_update_configuration


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


def _install_s3_invoke_permission() -> None:
    """Guard whatever delivers S3's events to Lambda (the executor replaces it): no permission, no run."""
    from moto.s3 import notifications

    send_event = notifications.send_event

    def guard(deliver):
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

        deliver_if_permitted._pixelkit_guarded = True
        return deliver_if_permitted

    def guarded_send_event(*args, **kwargs):
        if not getattr(notifications._invoke_awslambda, "_pixelkit_guarded", False):
            notifications._invoke_awslambda = guard(notifications._invoke_awslambda)
        return send_event(*args, **kwargs)

    notifications._invoke_awslambda = guard(notifications._invoke_awslambda)
    notifications.send_event = guarded_send_event


def _install_lambda_log_writes() -> None:
    """The Lambda service writes a function's logs with the function's role: authorised and recorded."""
    from moto.logs.models import LogsBackend

    ensure_log_group = LogsBackend.ensure_log_group
    create_log_stream = LogsBackend.create_log_stream
    put_log_events = LogsBackend.put_log_events

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

    LogsBackend.ensure_log_group = checked_ensure_log_group
    LogsBackend.create_log_stream = checked_create_log_stream
    LogsBackend.put_log_events = checked_put_log_events
