"""policies/learner-policy.json, enforced in front of moto (or the emulator) with a botocore hook.

Neither moto nor the emulator evaluates IAM, so a kit call the learner policy does not
allow would only fail in a classroom account. ``LearnerPolicy.on(ws)`` maps every call
the kit makes to the IAM action(s) and resource ARN(s) AWS would check, evaluates them
against the policy's Allow statements (Action and Resource; conditions are not
evaluated), records each, and (``deny=True``) answers a call the policy does not allow
with AccessDenied, as AWS does. ``hook_every_session`` does it for every Workshop the
kit opens, so that the CLI's own calls are covered too.
"""

from __future__ import annotations

import fnmatch
import json

import boto3

from pixelkit.context.paths import KIT_ROOT
from strict_aws import _error

LEARNER_POLICY = KIT_ROOT / "policies" / "learner-policy.json"

# Operations whose IAM action is not "<service>:<Operation>".
IRREGULAR_ACTIONS = {
    "s3.ListBuckets": "s3:ListAllMyBuckets",
    "s3.HeadBucket": "s3:ListBucket",
    "s3.ListObjects": "s3:ListBucket",
    "s3.ListObjectsV2": "s3:ListBucket",
    "s3.ListObjectVersions": "s3:ListBucketVersions",
    "s3.HeadObject": "s3:GetObject",
    "s3.PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "s3.GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "s3.PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3.GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3.PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3.GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3.CreateMultipartUpload": "s3:PutObject",
    "s3.UploadPart": "s3:PutObject",
    "s3.CompleteMultipartUpload": "s3:PutObject",
    "lambda.Invoke": "lambda:InvokeFunction",
}
# Calls AWS answers for any identity.
NEEDS_NO_PERMISSION = {"sts.GetCallerIdentity"}

DENIED_CODE = {"lambda": (403, "AccessDeniedException"), "logs": (400, "AccessDeniedException")}


def load_statements() -> list[dict]:
    return [s for s in json.loads(LEARNER_POLICY.read_text())["Statement"] if s["Effect"] == "Allow"]


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allows(statements: list[dict], action: str, resource: str) -> bool:
    for statement in statements:
        if any(fnmatch.fnmatch(action.lower(), pattern.lower()) for pattern in _as_list(statement["Action"])) and any(
            fnmatch.fnmatchcase(resource, pattern) for pattern in _as_list(statement["Resource"])
        ):
            return True
    return False


class LearnerPolicy:
    def __init__(self, region: str, account: str = "123456789012", deny: bool = True):
        self.region, self.account, self.deny = region, account, deny
        self.statements = load_statements()
        self.checked: list[tuple[str, str]] = []  # (action, resource), every one the kit needed
        self.denied: list[tuple[str, str]] = []

    def attach(self, session: boto3.Session) -> boto3.Session:
        session.events.register("before-parameter-build", self._remember_params)
        session.events.register("before-call", self._before_call)
        return session

    @classmethod
    def on(cls, ws, **options) -> "LearnerPolicy":
        """Enforce the policy on one Workshop (its cached clients are dropped, so every call goes through)."""
        policy = cls(ws.target.region, **options)
        policy.attach(ws.session)
        ws._clients.clear()
        return policy

    def on_every_workshop(self, monkeypatch) -> None:
        """Enforce the policy on every Workshop ``open_workshop`` opens from now on (the CLI's too)."""
        from pixelkit.context import target, workshop

        monkeypatch.setattr(workshop, "new_session", lambda chosen: self.attach(target.new_session(chosen)))

    # botocore hooks -----------------------------------------------------------------------------

    def _remember_params(self, params, context, **_):
        context["learner_policy_params"] = dict(params)

    def _before_call(self, model, context, **_):
        service = model.service_model.endpoint_prefix
        operation = f"{service}.{model.name}"
        if operation in NEEDS_NO_PERMISSION:
            return None
        params = context.get("learner_policy_params", {})
        for action, resource in self.needs(service, model.name, params):
            self.checked.append((action, resource))
            if not allows(self.statements, action, resource):
                self.denied.append((action, resource))
                if self.deny:
                    status, code = DENIED_CODE.get(service, (403, "AccessDenied"))
                    return _error(status, code, f"not authorized to perform: {action} on resource: {resource}")
        return None

    # what AWS checks for a call -------------------------------------------------------------------

    def needs(self, service: str, operation: str, params: dict) -> list[tuple[str, str]]:
        action = IRREGULAR_ACTIONS.get(f"{service}.{operation}", f"{service}:{operation}")
        if operation == "DeleteObjects":
            versions = any("VersionId" in o for o in params["Delete"]["Objects"])
            action = "s3:DeleteObjectVersion" if versions else "s3:DeleteObject"
            return [(action, f"arn:aws:s3:::{params['Bucket']}/{o['Key']}") for o in params["Delete"]["Objects"]]
        needed = [(action, self.resource(service, params))]
        if service == "lambda" and "Role" in params:  # giving a role to a function is iam:PassRole
            needed.append(("iam:PassRole", params["Role"]))
        return needed

    def resource(self, service: str, params: dict) -> str:
        if service == "s3" and "Bucket" in params:
            key = params.get("Key")
            return f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key is not None else "")
        if service == "lambda":
            name = params.get("FunctionName") or params.get("Resource")
            if name:
                return name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        if service == "iam" and "RoleName" in params:
            return f"arn:aws:iam::{self.account}:role/{params['RoleName']}"
        if service == "logs":
            if "resourceArn" in params:
                return params["resourceArn"]
            name = params.get("logGroupName") or params.get("logGroupIdentifier")
            if name:
                return name if name.startswith("arn:") else f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}"
        return "*"  # a List/Describe call on the whole account
