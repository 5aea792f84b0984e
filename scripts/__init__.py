"""The tutorial's steps, one boto3 script each: this folder is the package ``pixelkit.tutorial.steps``.

pyproject.toml maps it (``package-dir``), so the file a learner runs is the module that the
kit's commands, the dry run, the classroom commands, notebook 07 and the tests import. Each
script holds its step's AWS calls in order; what is not the lesson comes from the package's
helpers (pixelkit.aws, pixelkit.context, pixelkit.tutorial). The names below are the steps
as the rest of the kit calls them.
"""

from pixelkit.tutorial.resources import (
    check_distinct_buckets, find_tagged, forgotten_message, inventory, require_remembered, run_forgotten,
    same_bucket_problem, trigger_on_destination,
)
from pixelkit.tutorial.settings import (
    MEMORY_MB, PERMISSION_ID, TIMEOUT_SECONDS, TRIGGER_EVENTS, TRIGGER_ID,
)
from pixelkit.tutorial.steps.step1_create_buckets import create_buckets
from pixelkit.tutorial.steps.step2_create_role import create_role
from pixelkit.tutorial.steps.step3_deploy_function import deploy_function
from pixelkit.tutorial.steps.step4_configure_function import configure_function
from pixelkit.tutorial.steps.setup_pipeline import setup
from pixelkit.tutorial.steps.step5_upload_and_check import upload_and_check, upload_picture
from pixelkit.tutorial.steps.step6_cleanup import cleanup, cleanup_tagged

__all__ = [
    "create_buckets", "create_role", "deploy_function", "configure_function", "setup", "upload_and_check",
    "upload_picture", "cleanup", "cleanup_tagged", "inventory", "find_tagged", "run_forgotten", "forgotten_message",
    "require_remembered", "check_distinct_buckets", "same_bucket_problem", "trigger_on_destination",
    "TIMEOUT_SECONDS", "MEMORY_MB", "TRIGGER_ID", "PERMISSION_ID", "TRIGGER_EVENTS",
]
