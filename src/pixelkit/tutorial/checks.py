"""Proof that a step worked, read back from the target; or one message that says what to fix.

Each notebook ends with ``check_step(ws, n)``. It looks at what exists now (not
at what the step said it did), returns the facts it verified, and raises a
``WorkshopError`` naming the step to run again when something is missing.
"""

from __future__ import annotations

from pixelkit.aws import functions, iam, logs, s3
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import State, state_path
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial import package as packaging
from pixelkit.tutorial.pipeline import expected_outputs
from pixelkit.tutorial.policies import render_policy, trust_policy
from pixelkit.tutorial.resources import inventory, require_remembered, same_bucket_problem, trigger_on_destination
from pixelkit.tutorial.settings import TIMEOUT_SECONDS, TRIGGER_ID


def _require(condition: bool, problem: str, fix: str) -> None:
    if not condition:
        raise WorkshopError(f"{problem}\nTo fix it: {fix}")


def _state(ws: Workshop) -> State:
    _require(ws.state is not None, f"There is no {state_path(ws.student)}: nothing has been set up.",
             "run the notebooks from 01 on, in order (or `make setup`).")
    require_remembered(ws)
    return ws.state


def check_buckets(ws: Workshop) -> list[str]:
    state = _state(ws)
    problem = same_bucket_problem(state.source_bucket, state.destination_bucket)
    _require(problem is None, problem, "run step 6, then step 1 again.")
    facts = []
    for role, bucket in (("source", state.source_bucket), ("destination", state.destination_bucket)):
        _require(s3.bucket_exists(ws.client("s3"), bucket), f"The {role} bucket {bucket} does not exist.",
                 "run notebook 01 (create the buckets) again.")
        facts.append(f"the {role} bucket {bucket} exists")
    return facts


def check_role(ws: Workshop) -> list[str]:
    state = _state(ws)
    role = iam.get_role(ws.client("iam"), state.role_name)
    _require(role is not None, f"The role {state.role_name} does not exist.", "run notebook 02 (create the role) again.")
    principals = [s.get("Principal", {}).get("Service") for s in role["AssumeRolePolicyDocument"]["Statement"]]
    _require(principals == [s["Principal"]["Service"] for s in trust_policy()["Statement"]],
             f"The role {state.role_name} does not let Lambda assume it.", "run step 6, then steps 1 and 2 again.")
    document = iam.get_role_policy(ws.client("iam"), state.role_name, state.policy_name)
    _require(document is not None, f"The role has no inline policy {state.policy_name}.", "run notebook 02 again.")
    _require(document == render_policy(state), f"The inline policy {state.policy_name} is not the one the kit renders.",
             "run notebook 02 again: it writes the policy back.")
    return [f"the role {state.role_name} may be assumed by lambda.amazonaws.com",
            f"its inline policy {state.policy_name} is the {state.policy} policy for this run's buckets"]


def check_function(ws: Workshop) -> list[str]:
    state = _state(ws)
    found = functions.get_function(ws.client("lambda"), state.function_name)
    _require(found is not None, f"The function {state.function_name} does not exist.",
             "run notebook 03 (deploy the function) again.")
    config = found["Configuration"]
    for key, wanted in (("Runtime", packaging.RUNTIME), ("Handler", packaging.HANDLER), ("Role", state.role_arn)):
        _require(config.get(key) == wanted, f"The function's {key} is {config.get(key)!r}, not {wanted!r}.",
                 "run notebook 03 again: it sets it back.")
    _require(config.get("State", "Active") == "Active", f"The function is {config.get('State')}, not Active.",
             "wait a few seconds and run this check again; if it stays so, run notebook 03 again.")
    _require(logs.log_group_exists(ws.client("logs"), state.log_group), f"The log group {state.log_group} is missing.",
             "run notebook 03 again.")
    return [f"the function {state.function_name} exists: {config['Runtime']}, handler {config['Handler']}, role {state.role_name}",
            f"its log group {state.log_group} exists"]


def check_configuration(ws: Workshop) -> list[str]:
    state = _state(ws)
    found = functions.get_function(ws.client("lambda"), state.function_name)
    _require(found is not None, f"The function {state.function_name} does not exist.", "run notebooks 03 and 04 again.")
    config = found["Configuration"]
    destination = config.get("Environment", {}).get("Variables", {}).get("destination_bucket")
    _require(destination != state.source_bucket,
             "destination_bucket names the SOURCE bucket: every output would trigger the function again, forever.",
             "run notebook 04 again: it sets destination_bucket to the destination bucket.")
    _require(destination == state.destination_bucket,
             f"destination_bucket is {destination!r}, not {state.destination_bucket!r}.", "run notebook 04 again.")
    _require(config.get("Timeout") == TIMEOUT_SECONDS, f"The timeout is {config.get('Timeout')} s, not {TIMEOUT_SECONDS} s.",
             "run notebook 04 again.")
    statements = functions.get_policy_statements(ws.client("lambda"), state.function_name)
    _require(functions.s3_may_invoke(statements, state.source_bucket),
             f"S3 has no permission to invoke the function for s3://{state.source_bucket}.", "run notebook 04 again.")
    triggers = s3.triggers_calling(ws.client("s3"), state.source_bucket, config["FunctionArn"]) or []
    _require(any(t.get("Id") == TRIGGER_ID for t in triggers),
             f"The source bucket {state.source_bucket} has no trigger for the function.", "run notebook 04 again.")
    looping = trigger_on_destination(ws, config["FunctionArn"])
    _require(looping is None,
             f"The destination bucket {state.destination_bucket} has a trigger ({(looping or {}).get('Id', '?')}) "
             f"that calls {state.function_name}: every output would call it again, forever.",
             "remove it (S3 console: Properties, Event notifications), then run notebook 04 again.")
    return [f"destination_bucket={destination} (not the source bucket)",
            f"timeout {config['Timeout']} s",
            f"S3 may invoke the function, and s3://{state.source_bucket} triggers it on new objects",
            f"s3://{state.destination_bucket} does not trigger the function"]


def check_outputs(ws: Workshop, keys: list[str] | None = None) -> list[str]:
    """Every picture of this run (``keys``; default: every one in the source bucket) has its five outputs."""
    state = _state(ws)
    sources = keys if keys is not None else s3.list_keys(ws.client("s3"), state.source_bucket)
    _require(bool(sources), f"The source bucket {state.source_bucket} is empty: nothing was uploaded.",
             "run notebook 05 again.")
    present = set(s3.list_keys(ws.client("s3"), state.destination_bucket))
    facts = []
    for key in sources:
        missing = [k for k in expected_outputs(key) if k not in present]
        _require(not missing, f"{key} has no {', '.join(missing)} in s3://{state.destination_bucket}.",
                 "read the function's log above; then run notebook 04 and notebook 05 again.")
        facts.append(f"{key}: all {len(expected_outputs(key))} outputs are in s3://{state.destination_bucket}")
    return facts


def check_clean(ws: Workshop) -> list[str]:
    left = {kind: names for kind, names in inventory(ws).items() if names}
    _require(not left, "Some of the kit is still there: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in left.items()),
             "run notebook 06 (the cleanup) again.")
    path = state_path(ws.student)
    _require(not path.exists(), f"{path} is still there.", "run notebook 06 again.")
    return ["no bucket, function, role or log group of the kit is left", f"{path.name} is gone"]


CHECKS = {1: check_buckets, 2: check_role, 3: check_function, 4: check_configuration, 5: check_outputs, 6: check_clean}


def check_step(ws: Workshop, step: int, **options) -> list[str]:
    """The facts that prove step ``step`` worked; WorkshopError with the fix if one does not hold.

    ``keys=[...]`` (step 5) judges those pictures only: notebook 05 passes this run's uploads.
    """
    if step not in CHECKS:
        raise WorkshopError(f"There is no step {step}: the tutorial has steps 1 to 6.")
    return CHECKS[step](ws, **options)
