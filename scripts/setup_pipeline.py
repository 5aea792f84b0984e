#!/usr/bin/env python3
"""Steps 1 to 4 in one go: the buckets, the role, the function, its configuration and trigger.

Usage: python scripts/setup_pipeline.py [--target local|aws] [--student NAME] [--policy tutorial]
       [--architecture arm64] [--dry-run] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging

from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.steps.step1_create_buckets import create_buckets
from pixelkit.tutorial.steps.step2_create_role import create_role
from pixelkit.tutorial.steps.step3_deploy_function import deploy_function
from pixelkit.tutorial.steps.step4_configure_function import configure_function

logger = logging.getLogger("pixelkit.tutorial.steps")


def setup(ws: Workshop, policy: str | None = None, architecture: str = "x86_64") -> dict:
    """Steps 1 to 4, each as its script does it; return what each made."""
    summary = {}
    summary.update(create_buckets(ws))
    summary.update(create_role(ws, policy))
    summary.update(deploy_function(ws, architecture))
    summary.update(configure_function(ws))
    logger.info("Ready: upload a picture to s3://%s and find five in s3://%s",
                ws.state.source_bucket, ws.state.destination_bucket)
    return summary


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("setup")
