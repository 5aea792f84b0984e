"""IAM in the emulator, first half: what a request is, in IAM's terms (who, which action, which resource).

Every request to moto's server is read as IAM reads it before deciding
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
the *principal* (the assumed-role session that owns the access key, as ``identity.role_credentials``
gives one to each function; the learner's own keys when ``policies/learner-policy.json`` is enforced;
otherwise an administrator, ``None``), the *action* (``service:Operation`` in IAM's names, e.g.
``s3:ListBucket`` for HeadBucket), the *resource* ARN and the request's condition keys. A session key
presented with a token that is not its own is ``InvalidSessionToken``: AWS refuses such a request before
authorising anything. The decision itself is ``iam_enforcement``'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

from pixelkit.emulator import iam_evaluation
from pixelkit.emulator.identity import assumed_role_session

# The learner's keys are held to policies/learner-policy.json (``make emulator ENFORCE_LEARNER=1``).
settings = {"enforce_learner": False}


class InvalidSessionToken(Exception):
    """An assumed role's access key sent without its session token, or with another one."""


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



def principal_for(access_key: str, token: str | None, account_id: str, region: str) -> Principal | None:
    """Who signed with ``access_key``: an assumed role, the learner (when enforced), or None (an admin)."""
    from moto.utilities.utils import get_partition

    session = assumed_role_session(access_key)
    if session is not None:
        if token != session.session_token:
            raise InvalidSessionToken(access_key)
        return Principal(session.arn, session.account_id, session.partition,
                         session.role_arn.rsplit("/", 1)[-1], session.session_name)
    if settings["enforce_learner"]:
        partition = get_partition(region)
        return Principal(f"arn:{partition}:iam::{account_id}:user/moto", account_id, partition)
    return None


def principal_of(response) -> Principal | None:
    """The principal of the request moto's response object serves (``principal_for``)."""
    access_key = response.get_access_key()
    if access_key == "AKIAEXAMPLE":  # moto's answer when there is none: maybe a presigned URL
        credential = (response.querystring.get("X-Amz-Credential") or [""])[0]
        access_key = credential.split("/")[0] or access_key
    token = response.headers.get("X-Amz-Security-Token") or (response.querystring.get("X-Amz-Security-Token") or [None])[0]
    return principal_for(access_key, token, response.current_account, response.region)


def signing_service(response) -> str:
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", response.headers.get("Authorization", ""))
    if match:
        return match.group(1)
    credential = (response.querystring.get("X-Amz-Credential") or [""])[0].split("/")
    return credential[3] if len(credential) > 3 else (response.service_name or "")


def json_body(response) -> dict:
    try:
        return json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}


def _param(response, name: str) -> str | None:
    value = response.querystring.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value or json_body(response).get(name)


def normal_action_and_resource(response) -> tuple[str, str, dict]:
    """The IAM action, the resource ARN and the request's condition keys of a non-S3 request.

    Lambda's are ``lambda_api``'s, which resolves a function's name in all its forms first."""
    service = signing_service(response)
    operation = response._get_action() or ""
    region, account, partition = response.region, response.current_account, response.partition
    context: dict = {"aws:RequestedRegion": region}
    resource = "*"
    if service == "logs":
        body = json_body(response)
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


def s3_checks(response, bucket_name: str | None, key_name: str | None) -> list[tuple[str, str, dict]]:
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
        checks += [("s3:DeleteObject", f"arn:{partition}:s3:::{bucket_name}/{key}", context) for key in keys]
    else:
        checks.append((f"s3:{action}", resource, context))
    copy_source = response.headers.get("x-amz-copy-source")
    if copy_source and key_name and response.method == "PUT":
        source = unquote(copy_source.split("?versionId=")[0]).lstrip("/")
        checks.append(("s3:GetObject", f"arn:{partition}:s3:::{source}", context))
    return checks
