"""CloudWatch Logs: the function's log group, where step 5 reads what the function printed."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws.errors import error_code, log_and_raise
from pixelkit.aws.tags import select_named

logger = logging.getLogger(__name__)

def log_group_exists(logs_client, name: str) -> bool:
    groups = logs_client.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def read_log_events(logs_client, name: str, start_time_ms: int = 0) -> list[dict]:
    """Every event of the group since start_time_ms, oldest first; [] when there is no group yet."""
    events = []
    try:
        paginator = logs_client.get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=name, startTime=start_time_ms):
            events += page.get("events", [])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return []
        log_and_raise(error, f"read log group {name}")
    return sorted(events, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))


def get_log_group_tags(logs_client, group: dict) -> dict[str, str] | None:
    """The tags of a group as DescribeLogGroups lists it; None when it went meanwhile."""
    arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
    try:
        return logs_client.list_tags_for_resource(resourceArn=arn).get("tags", {})
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        log_and_raise(error, f"read the tags of log group {group['logGroupName']}")


def list_log_groups(logs_client, prefix: str, tags: dict[str, str] | None = None) -> list[str]:
    """The names of the log groups starting with ``prefix`` (and tagged ``tags``, if given)."""
    pages = logs_client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
    candidates = ((group["logGroupName"], group) for page in pages for group in page["logGroups"])
    return select_named(candidates, prefix, tags, lambda group: get_log_group_tags(logs_client, group))
