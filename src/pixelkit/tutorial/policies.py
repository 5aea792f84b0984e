"""The IAM documents in ``policies/``, filled in with this run's names and account."""

from __future__ import annotations

import json
from string import Template

from pixelkit.aws.sts import partition_for
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import POLICIES_DIR
from pixelkit.context.state import State

POLICY_FILES = {
    "least-privilege": "least-privilege-policy.json",
    "tutorial": "tutorial-inline-policy.json",
}


def trust_policy() -> dict:
    return json.loads((POLICIES_DIR / "trust-policy.json").read_text())


def render_policy(state: State, kind: str | None = None) -> dict:
    """Fill the ``${...}`` placeholders of a policy template from the state."""
    kind = kind or state.policy
    if kind not in POLICY_FILES:
        raise WorkshopError(f"Unknown policy {kind!r}: choose one of {', '.join(POLICY_FILES)}.")
    if not state.account_id:
        raise WorkshopError("The account id is not known yet: run step 1 (create the buckets) first.")
    template = Template((POLICIES_DIR / POLICY_FILES[kind]).read_text())
    return json.loads(
        template.substitute(
            partition=partition_for(state.region),
            region=state.region,
            account_id=state.account_id,
            source_bucket=state.source_bucket,
            destination_bucket=state.destination_bucket,
            function_name=state.function_name,
        )
    )
