"""IAM: the function's role and its inline policy."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from pixelkit.aws.errors import error_code, log_and_raise
from pixelkit.aws.tags import select_named, tag_dict, tag_list

logger = logging.getLogger(__name__)


def get_role(iam_client, role_name: str) -> dict | None:
    try:
        return iam_client.get_role(RoleName=role_name)["Role"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        log_and_raise(error, f"look up role {role_name}")


def create_role(iam_client, role_name: str, trust_policy: dict, tags: dict[str, str]) -> tuple[dict, bool]:
    """Return the role and whether this call created it."""
    role = get_role(iam_client, role_name)
    if role is not None:
        return role, False
    try:
        role = iam_client.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(trust_policy),
            Description="Lets the pixelation workshop's Lambda function read and write its buckets and logs.",
            Tags=tag_list(tags),
        )["Role"]
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            log_and_raise(error, f"create role {role_name}")
        return get_role(iam_client, role_name), False
    iam_client.get_waiter("role_exists").wait(RoleName=role_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return role, True


def get_role_policy(iam_client, role_name: str, policy_name: str) -> dict | None:
    try:
        return iam_client.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        log_and_raise(error, f"read policy {policy_name} of role {role_name}")


def put_role_policy(iam_client, role_name: str, policy_name: str, document: dict) -> bool:
    """Set the inline policy; return False when it already said exactly this."""
    if get_role_policy(iam_client, role_name, policy_name) == document:
        return False
    iam_client.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return True


def delete_role(iam_client, role_name: str) -> bool:
    """Delete the role with its inline and attached policies; return False when it was gone."""
    try:
        for name in iam_client.list_role_policies(RoleName=role_name)["PolicyNames"]:
            iam_client.delete_role_policy(RoleName=role_name, PolicyName=name)
        for policy in iam_client.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            iam_client.detach_role_policy(RoleName=role_name, PolicyArn=policy["PolicyArn"])
        iam_client.delete_role(RoleName=role_name)
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        log_and_raise(error, f"delete role {role_name}")
    return True


def get_role_tags(iam_client, role_name: str) -> dict[str, str] | None:
    try:
        return tag_dict(iam_client.list_role_tags(RoleName=role_name)["Tags"])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        log_and_raise(error, f"read the tags of role {role_name}")


def list_roles(iam_client, prefix: str, tags: dict[str, str] | None = None) -> list[str]:
    """The names of the roles starting with ``prefix`` (and tagged ``tags``, if given; IAM lists no tags)."""
    pages = iam_client.get_paginator("list_roles").paginate()
    candidates = ((role["RoleName"], role) for page in pages for role in page["Roles"])
    return select_named(candidates, prefix, tags, lambda role: get_role_tags(iam_client, role["RoleName"]))
