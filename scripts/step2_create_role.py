#!/usr/bin/env python3
"""Step 2: create the IAM role the function runs as, and its inline policy.

Replaces: IAM console > Roles > Create role > AWS service: Lambda > Role name > Create role; then
the role > Add permissions > Create inline policy > JSON > Create policy.

Usage: python scripts/step2_create_role.py [--target local|aws] [--student NAME] [--policy tutorial] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import json
import logging

from pixelkit.aws import iam
from pixelkit.aws.errors import unless_already_there
from pixelkit.aws.tags import tag_list
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.policies import render_policy, trust_policy
from pixelkit.tutorial.resources import say_created, start_run

logger = logging.getLogger("pixelkit.tutorial.steps")


def create_role(ws: Workshop, policy: str | None = None) -> dict:
    """The role Lambda may assume, and its inline policy (least privilege, or ``policy="tutorial"``: s3:*)."""
    state = start_run(ws)
    if policy:
        state.policy = policy
    logger.info("Step 2: role %s with inline policy %s (%s)", state.role_name, state.policy_name, state.policy)
    iam_client = ws.client("iam")
    document = render_policy(state)  # policies/*.json with this run's buckets and account (read from STS)
    created = False
    if iam.get_role(iam_client, state.role_name) is None:
        # The trust policy says who may take the role on: the Lambda service, nobody else.
        created = unless_already_there(
            iam_client.create_role,
            RoleName=state.role_name,
            AssumeRolePolicyDocument=json.dumps(trust_policy()),
            Description="Lets the pixelation workshop's Lambda function read and write its buckets and logs.",
            Tags=tag_list(state.tags),
        )
        iam_client.get_waiter("role_exists").wait(RoleName=state.role_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    say_created(created, f"role {state.role_name}")
    state.role_arn = iam.get_role(iam_client, state.role_name)["Arn"]
    ws.save()
    # What the role may do: read the source bucket, write the destination bucket, write its own logs.
    if iam.get_role_policy(iam_client, state.role_name, state.policy_name) != document:
        iam_client.put_role_policy(
            RoleName=state.role_name,
            PolicyName=state.policy_name,
            PolicyDocument=json.dumps(document),
        )
        logger.info("  wrote inline policy %s", state.policy_name)
    else:
        logger.info("  already there, kept: inline policy %s", state.policy_name)
    return {"role_arn": state.role_arn, "policy_name": state.policy_name, "policy": document}


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("create-role")
