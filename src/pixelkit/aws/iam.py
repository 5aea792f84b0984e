"""IAM: the function's role and its inline policy."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws.errors import error_code, log_and_raise
from pixelkit.aws.tags import select_named, tag_dict

logger = logging.getLogger(__name__)


def get_role(iam_client, role_name: str) -> dict | None:
    try:
        return iam_client.get_role(RoleName=role_name)["Role"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        log_and_raise(error, f"look up role {role_name}")


def get_role_policy(iam_client, role_name: str, policy_name: str) -> dict | None:
    try:
        return iam_client.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        log_and_raise(error, f"read policy {policy_name} of role {role_name}")


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
