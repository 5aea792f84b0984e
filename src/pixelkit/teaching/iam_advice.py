"""The policy the function's calls needed (``pixelkit policy used``), beside the role's own and the tutorial's.

What one denial means is ``pixelkit.tutorial.denials`` (step 5's verdict uses it).
``policy_used_report`` turns the calls the emulator recorded for a
role into the least-privilege policy they needed, and sets it beside the role's own
policy and the tutorial's ``s3:*`` one.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from pixelkit.emulator import iam_evaluation
from pixelkit.emulator.iam_enforcement import USED_FILE, USED_PATH
from pixelkit.context.errors import WorkshopError
from pixelkit.tutorial.denials import generalize

# pixelkit policy used ---------------------------------------------------------------------

def recorded_usage(endpoint_url: str | None, workshop_dir: Path) -> tuple[dict, str]:
    """The emulator's record: from the running emulator, else the copy the last one left when it stopped."""
    if endpoint_url:
        try:
            with urlopen(endpoint_url.rstrip("/") + USED_PATH, timeout=5) as answer:
                return json.loads(answer.read()), f"the emulator at {endpoint_url}"
        except (URLError, OSError, ValueError):
            pass
    # `make demo` keeps its state (and its emulator's record) in .workshop/demo
    kept = [path for path in (workshop_dir / USED_FILE, workshop_dir / "demo" / USED_FILE) if path.is_file()]
    if kept:
        saved = max(kept, key=lambda path: path.stat().st_mtime)
        return json.loads(saved.read_text()), f"{saved} (kept when the last emulator stopped)"
    raise WorkshopError(
        "The emulator has recorded no calls of a function's role yet. Run the pipeline first (`make demo`, or "
        "`make setup` and `make upload` with `make emulator` running), then `pixelkit policy used` again. "
        "On a real account, IAM Access Analyzer generates a policy from CloudTrail instead."
    )


def needed_policy(calls: list[dict]) -> dict:
    """The least-privilege policy of the calls: one statement per resource, its actions sorted."""
    by_resource: dict[str, set[str]] = {}
    for call in calls:
        by_resource.setdefault(generalize(call["resource"]), set()).add(call["action"])
    order = sorted(by_resource, key=lambda r: (not r.startswith("arn:aws:s3"), sorted(by_resource[r])[0], r))
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": sorted(by_resource[r]) if len(by_resource[r]) > 1 else next(iter(by_resource[r])),
         "Resource": r}
        for r in order
    ]}


def _grants(document: dict) -> list[tuple[str, str]]:
    statements = document.get("Statement", [])
    pairs = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        for action in iam_evaluation.listed(statement.get("Action") or "(NotAction)"):
            for resource in iam_evaluation.listed(statement.get("Resource") or "(NotResource)"):
                pairs.append((action, resource))
    return pairs


def _unused_grants(document: dict, calls: list[dict]) -> list[str]:
    lines = []
    for action, resource in _grants(document):
        covered = sorted({c["action"] for c in calls
                          if iam_evaluation.matches(action, c["action"], ignore_case=True)
                          and iam_evaluation.matches(resource, c["resource"])})
        if not covered:
            lines.append(f"{action} on {resource}: never used")
        elif "*" in action and covered != [action]:
            lines.append(f"{action} on {resource}: every action it matches, but only {', '.join(covered)} used")
    return lines


def policy_used_report(usage: dict, source: str, tutorial_policy: dict | None = None, role: str | None = None) -> str:
    """The needed policy, and what the role's policy and the tutorial's grant beyond it or lack."""
    calls = [c for c in usage.get("calls", []) if role is None or c["role"].rsplit("/", 1)[-1] == role]
    if not calls:
        raise WorkshopError(f"No calls of {'role ' + role if role else 'any role'} are recorded in {source}. "
                            "Run the pipeline first (`make demo`, or `make upload`).")
    out = []
    for role_arn in sorted({c["role"] for c in calls}):
        role_calls = [c for c in calls if c["role"] == role_arn]
        sessions = sorted({c["session"] for c in role_calls})
        role_policies = [iam_evaluation.NamedPolicy(p["name"], p["document"]) for p in usage.get("policies", {}).get(role_arn, [])]
        needed = needed_policy(role_calls)
        out.append(f"Role {role_arn.rsplit('/', 1)[-1]} (as {', '.join(sessions)}): "
                   f"{sum(c['count'] for c in role_calls)} calls recorded by {source}.")
        out.append("\nThe policy those calls needed (least privilege):")
        out.append(json.dumps(needed, indent=2))
        columns = [("role's policy", role_policies)]
        if tutorial_policy is not None:
            columns.append(("tutorial's policy", [iam_evaluation.NamedPolicy("tutorial", tutorial_policy)]))
        rows = []
        for statement in needed["Statement"]:
            for action in iam_evaluation.listed(statement["Action"]):
                example = next(c["resource"] for c in role_calls
                               if c["action"] == action and generalize(c["resource"]) == statement["Resource"])
                verdicts = [iam_evaluation.evaluate(policies, action, example).outcome for _, policies in columns]
                rows.append((f"{action} on {statement['Resource']}", *[
                    "allows" if v == iam_evaluation.ALLOWED else "DENIES (explicit)" if v == iam_evaluation.DENIED else "DENIES"
                    for v in verdicts]))
        header = ("needed", *[name for name, _ in columns])
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        out.append("")
        out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
        for name, policies in columns:
            unused = [line for policy in policies for line in _unused_grants(policy.document, role_calls)]
            out.append(f"\nGranted and never used, {name}:" + (" nothing" if not unused else ""))
            out += [f"  {line}" for line in unused]
        denied = sorted({(c["action"], c["resource"], c["outcome"]) for c in role_calls if c["outcome"] != iam_evaluation.ALLOWED})
        out.append("\nUsed and denied:" + (" nothing" if not denied else ""))
        out += [f"  {action} on {resource} ({outcome})" for action, resource, outcome in denied]
        out.append("")
    return "\n".join(out).rstrip()


def tutorial_policy_for(usage: dict, state=None) -> dict:
    """The tutorial's policy for this run: from the state, else for the buckets and function the calls name."""
    from string import Template

    from pixelkit.context.paths import POLICIES_DIR
    from pixelkit.tutorial.policies import render_policy

    if state is not None and state.account_id:
        return render_policy(state, "tutorial")
    calls = usage.get("calls", [])

    def bucket_of(action: str) -> str:
        return next((c["resource"].split(":::", 1)[1].split("/")[0] for c in calls if c["action"] == action), "${%s}" % action)

    role = next((c["role"] for c in calls), "arn:aws:iam::123456789012:role/x")
    region = next((c["resource"].split(":")[3] for c in calls if c["resource"].startswith("arn:aws:logs:")), "us-east-1")
    template = Template((POLICIES_DIR / "tutorial-inline-policy.json").read_text())
    return json.loads(template.safe_substitute(
        partition=role.split(":")[1], region=region, account_id=role.split(":")[4],
        source_bucket=bucket_of("s3:GetObject"), destination_bucket=bucket_of("s3:PutObject"),
        function_name=next((c["session"] for c in calls), "function"),
    ))


def policy_used(target, state=None, role: str | None = None) -> str:
    """``pixelkit policy used`` and notebook 05: the report for the emulator at ``target``."""
    from pixelkit.context.paths import workshop_dir

    if not target.is_local:
        raise WorkshopError("Only the local emulator records each call of the function's role. On a real account, "
                            "IAM Access Analyzer generates a policy from CloudTrail (console: IAM > Roles > "
                            "Generate policy).")
    usage, source = recorded_usage(target.endpoint_url, workshop_dir())
    return policy_used_report(usage, source, tutorial_policy_for(usage, state), role)
