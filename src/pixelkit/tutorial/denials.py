"""What an AccessDenied in the function's log means, and the statement that fixes it.

``explain_denial`` reads AWS's message ("User: <arn> is not authorized to perform: <action>
on resource: <arn> because no identity-based policy allows the <action> action", as IAM
words it: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)
and says which statement is missing: the action, the resource, the file in ``policies/`` to
edit and the step to rerun. Step 5's verdict (``invocations.Attempt.fix``) shows it.
"""

from __future__ import annotations

import json
import re

DENIAL = re.compile(
    r"User: (?P<principal>arn:[^\s]+) is not authorized to perform: (?P<action>[\w-]+:[\w*]+)"
    r"(?: on resource: \"?(?P<resource>[^\"\s]+)\"?)?"
    r" (?P<why>because no identity-based policy allows|with an explicit deny)"
)


def generalize(resource: str) -> str:
    """The resource a policy names for a call: a bucket's objects (``/*``), a log group's streams (``:*``)."""
    if resource.startswith("arn:") and ":s3:::" in resource and "/" in resource:
        return resource.split("/", 1)[0] + "/*"
    if ":log-stream:" in resource:
        return resource.split(":log-stream:", 1)[0] + ":*"
    return resource


def _placeholders(text: str, state) -> str:
    """Put the policy templates' ``${...}`` names back in, so that the statement can be pasted into policies/."""
    if state is None:
        return text
    for value, name in ((state.source_bucket, "source_bucket"), (state.destination_bucket, "destination_bucket"),
                        (state.function_name, "function_name"), (state.account_id, "account_id"), (state.region, "region")):
        if value:
            text = text.replace(value, "${" + name + "}")
    return re.sub(r"^arn:aws(-[a-z-]+)?:", "arn:${partition}:", text)


def explain_denial(log_line: str, state=None) -> str | None:
    """Say what to add for the AccessDenied message in ``log_line``; None if it holds none.

    With the run's ``state``, the statement uses the policy template's placeholders and
    names the file the kit deploys (least-privilege or tutorial).
    """
    match = DENIAL.search(log_line)
    if not match:
        return None
    principal, action = match["principal"], match["action"]
    resource = match["resource"] or "*"
    needed = generalize(resource)
    is_role = ":assumed-role/" in principal
    role = principal.split(":assumed-role/", 1)[1].split("/")[0] if is_role else None
    if is_role:
        kind = getattr(state, "policy", None) or "least-privilege"
        policy_file = f"policies/{'tutorial-inline-policy.json' if kind == 'tutorial' else 'least-privilege-policy.json'}"
        who = f"The function's role {role}"
        from pixelkit.context.paths import venv_command

        rerun = (f"then run step 2 again (`{venv_command('python')} scripts/step2_create_role.py`, or `make setup`), which "
                 "rewrites the role's inline policy, and upload again (step 5)")
    else:
        policy_file = "policies/learner-policy.json"
        who = f"Your identity ({principal})"
        rerun = "then give your identity that policy again (or restart `make emulator ENFORCE_LEARNER=1`) and rerun the step"
    if match["why"].startswith("with an explicit deny"):
        return (f"{who} may not call {action} on {resource}: a Deny statement in one of its policies forbids it, "
                f"and an explicit Deny beats any Allow. Remove or narrow that Deny (in {policy_file}, or a policy "
                f"attached to the role), {rerun}.")
    statement = {"Effect": "Allow", "Action": action, "Resource": _placeholders(needed, state)}
    return (f"{who} may not call {action} on {resource}: no statement of its policy allows it. "
            f"Add this statement to the \"Statement\" list of {policy_file}:\n"
            f"    {json.dumps(statement)}\n"
            f"{rerun}.")


def find_denial(lines: list[str], state=None) -> str | None:
    """The explanation of the first denial in a function's log, if there is one."""
    for line in lines:
        explained = explain_denial(line, state)
        if explained:
            return explained
    return None
