#!/usr/bin/env python3
"""Step 3: build the deployment package and create the Lambda function from it.

Replaces: Lambda console > Create function > Author from scratch > name, Runtime Python,
Architecture > Use an existing role > Create function; then Upload from > .zip file > Save.

Usage: python scripts/step3_deploy_function.py [--target local|aws] [--student NAME] [--architecture arm64] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging

from pixelkit.aws import functions
from pixelkit.aws.errors import unless_already_there
from pixelkit.context.errors import WorkshopError
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.package import HANDLER, RUNTIME, build_package
from pixelkit.tutorial.resources import say_created
from pixelkit.tutorial.settings import LOG_RETENTION_DAYS

logger = logging.getLogger("pixelkit.tutorial.steps")


def deploy_function(ws: Workshop, architecture: str = "x86_64") -> dict:
    """The function, from the kit's package; run again, it updates only what changed."""
    state = ws.require_state()
    if not state.role_arn:
        raise WorkshopError("The function needs its role: run step 2 (create the role) first.")
    logger.info("Step 3: function %s (%s, %s)", state.function_name, RUNTIME, architecture)
    # The zip: handler/lambda_function.py at its root, and Pillow built for Lambda's Linux (kept in build/).
    package = build_package(RUNTIME, architecture)
    code = package.read_bytes()
    logs_client, lambda_client = ws.client("logs"), ws.client("lambda")

    # The log group first: Lambda would make it at the first run, untagged, and keep its logs forever.
    created = unless_already_there(logs_client.create_log_group, logGroupName=state.log_group, tags=state.tags)
    logs_client.put_retention_policy(logGroupName=state.log_group, retentionInDays=LOG_RETENTION_DAYS)
    say_created(created, f"log group {state.log_group} (logs kept {LOG_RETENTION_DAYS} days)")

    existing = functions.get_function(lambda_client, state.function_name)
    if existing is None:
        # A new role takes a few seconds to reach Lambda: the helper retries, bounded, while it is refused.
        response = functions.until_role_is_usable(
            lambda_client.create_function,
            FunctionName=state.function_name,
            Runtime=RUNTIME,
            Handler=HANDLER,  # lambda_function.lambda_handler
            Role=state.role_arn,
            Code={"ZipFile": code},
            Architectures=[architecture],
            Description="Pixelates each image put into the source bucket (pixelation workshop).",
            Tags=state.tags,
        )
        functions.wait_until_active(lambda_client, state.function_name)  # Lambda refuses to run a Pending function
        say_created(True, f"function {state.function_name} from {package.path.name} ({package.size / 1e6:.1f} MB)")
    else:
        response = config = existing["Configuration"]
        # The package holds native Pillow for one architecture: code and architecture change together.
        before = ", ".join(config.get("Architectures", ["x86_64"]))
        if before != architecture or config.get("CodeSha256") != package.code_sha256:
            response = lambda_client.update_function_code(
                FunctionName=state.function_name, ZipFile=code, Architectures=[architecture])
            functions.wait_until_updated(lambda_client, state.function_name)
            logger.info("  updated the code of %s%s", state.function_name,
                        f" and its architecture {before} -> {architecture}" if before != architecture else "")
        else:
            say_created(False, f"function {state.function_name} with this code")
        drift = {key: value for key, value in (("Runtime", RUNTIME), ("Handler", HANDLER), ("Role", state.role_arn))
                 if config.get(key) != value}
        if drift:  # changed by hand (the console, or notebook 07): set back
            response = lambda_client.update_function_configuration(FunctionName=state.function_name, **drift)
            functions.wait_until_updated(lambda_client, state.function_name)
            logger.info("  set %s", ", ".join(f"{k}={v}" for k, v in drift.items()))
    return {"function_arn": response["FunctionArn"], "runtime": RUNTIME, "handler": HANDLER,
            "package": str(package.path), "package_bytes": package.size}


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("deploy-function")
