"""``--dry-run`` and ``make plan``: every AWS call that setup or cleanup would make, and none made.

The design, chosen to be truthful and simple: the very same steps run, call by call,
against a **private in-process copy of AWS** (moto's ``mock_aws``), never against the
target. A botocore ``before-parameter-build`` hook prints each call with its parameters
as the step makes it; each client's HTTP session is replaced by one that refuses to
send, so no request can leave the process even if moto did not answer one. So the plan cannot touch the target: no
client of the dry run has the target's endpoint or credentials.

What the copy knows: the names, region and account of your run (from its state file,
when there is one), so the plan shows the calls with the parameters the real run would
send. It starts empty, so a setup plan shows a setup from scratch (a real run first
reads what exists and skips it, saying so), and a cleanup plan shows the cleanup of a
complete setup of your run (it is built in the copy first, silently).

``cleanup --all-tagged --dry-run`` has to look at the target to find earlier runs: its
discovery reads (List*/Get*) go to the target through a guard that refuses every other call,
and it lists what it would delete.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager

import boto3

from pixelkit.tutorial import steps
from pixelkit.context.calls import Call, CallRecorder, is_write
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import check_same_target, load_state, state_path
from pixelkit.context.target import Target
from pixelkit.context.workshop import Workshop

logger = logging.getLogger(__name__)

# What the dry run hides from the copy: the target's endpoint, profile and credentials.
SANDBOX_CLEARED = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
SANDBOX_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dry-run", "AWS_SECRET_ACCESS_KEY": "dry-run", "AWS_SESSION_TOKEN": "dry-run"}


class _PlanPrinter:
    """Prints each call as the step makes it (before the copy answers), with the AWS CLI command."""

    def __init__(self, recorder: CallRecorder):
        self.recorder = recorder

    def __call__(self, params, model, **_):
        if self.recorder.recording:
            call = Call(model.service_model.service_name, model.name, dict(params))
            logger.info("  %s %s\n        $ %s", "WRITE" if call.writes else "read ", call, call.cli())


class _NoNetwork:
    """In place of a dry-run client's HTTP session: reached only if moto did not answer, and then it refuses."""

    def send(self, request):
        raise WorkshopError(
            f"Dry run: a request to {request.url} was about to leave this process; it was stopped. "
            "Nothing was sent. Please report this as a bug of the kit."
        )


class SandboxWorkshop(Workshop):
    """A Workshop whose clients can reach nothing but the in-process copy."""

    def client(self, service: str):
        if service not in self._clients:
            client = self.session.client(service)
            client._endpoint.http_session = _NoNetwork()
            self._clients[service] = client
        return self._clients[service]


class _PlanLogFilter(logging.Filter):
    """During a plan, show the step headings and the calls, not "created ..." lines that did not happen."""

    def __init__(self, recorder: CallRecorder):
        super().__init__()
        self.recorder = recorder

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == __name__:
            return True
        return self.recorder.recording and record.getMessage().startswith("Step ")


@contextmanager
def _plan_logging(recorder: CallRecorder):
    handlers = logging.getLogger("pixelkit").handlers
    only_plan = _PlanLogFilter(recorder)
    for handler in handlers:
        handler.addFilter(only_plan)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(only_plan)


@contextmanager
def sandbox(account_id: str | None, student: str | None):
    """moto in this process, with the target's endpoint and credentials out of sight, and a scratch state folder."""
    from moto import mock_aws

    saved = dict(os.environ)
    scratch = tempfile.mkdtemp(prefix="pixelkit-dry-run-")
    try:
        for name in list(os.environ):
            if name in SANDBOX_CLEARED or name.startswith("AWS_ENDPOINT_URL_"):
                del os.environ[name]
        os.environ.update(SANDBOX_CREDENTIALS)
        os.environ.pop("AWS_SECURITY_TOKEN", None)
        if account_id:
            os.environ["MOTO_ACCOUNT_ID"] = account_id
        real_state = state_path(student)
        os.environ["WORKSHOP_DIR"] = scratch
        if real_state.exists():
            shutil.copy(real_state, state_path(student))
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(scratch, ignore_errors=True)


def plan(command: str, target: Target, student: str | None = None, policy: str | None = None,
         architecture: str = "x86_64") -> list[Call]:
    """Print and return the calls ``setup`` or ``cleanup`` would make on the target; make none there."""
    if command not in ("setup", "cleanup"):
        raise ValueError(command)
    state = load_state(student)
    if state is not None:
        check_same_target(state, target)
    logger.info(
        "DRY RUN of %s on %s: nothing below is sent there. The calls run against a private copy of AWS "
        "in this process (moto), with your run's names%s.%s",
        command, target.describe(), "" if state else " (none chosen yet: these are examples)",
        # The copy starts empty: without this, a plan's create_bucket reads as if your buckets were gone.
        " The copy starts empty, so this is a setup from scratch: a real run finds what already exists "
        "and keeps it." if command == "setup" else "",
    )
    with sandbox(state.account_id if state else None, student):
        session = boto3.Session(region_name=target.region)
        ws = SandboxWorkshop(target, session, load_state(student), student)
        recorder = ws.calls
        recorder.echo = False  # the plan prints its own lines, as each call is made
        session.events.register("before-parameter-build", _PlanPrinter(recorder))
        with _plan_logging(recorder):
            if command == "setup":
                steps.setup(ws, policy, architecture)
            elif ws.state is None:
                logger.info("There is no %s: cleanup would make no call. "
                            "(`cleanup --all-tagged` finds earlier runs by their tags.)", state_path(student))
            else:
                recorder.recording = False
                steps.setup(ws, policy or ws.state.policy, architecture)
                recorder.recording = True
                steps.cleanup(ws)
    writes = sum(c.writes for c in recorder.calls)
    logger.info("Plan: %d calls, %d of them would change something. None was sent to %s.",
                len(recorder.calls), writes, target.describe())
    return recorder.calls


def _refuse_writes(model, **_):
    if is_write(model.name):
        raise WorkshopError(f"Dry run: {model.service_model.service_name}.{model.name} would change something; not sent.")


def plan_cleanup_tagged(ws: Workshop, student: str | None = None) -> dict[str, list[str]]:
    """``cleanup --all-tagged --dry-run``: find the kit's resources by their tags (reads only) and list them."""
    ws.session.events.register("before-call", _refuse_writes)
    ws._clients.clear()
    logger.info("DRY RUN of cleanup --all-tagged on %s: only reads are sent, to find what is tagged.", ws.target.describe())
    found = steps.find_tagged(ws, student)
    verbs = {
        "buckets": "s3.PutBucketNotificationConfiguration (the kit's trigger), s3.DeleteObjects, s3.DeleteBucket",
        "functions": "lambda.RemovePermission, lambda.DeleteFunction",
        "log groups": "logs.DeleteLogGroup",
        "roles": "iam.DeleteRolePolicy, iam.DeleteRole",
    }
    for kind in ("buckets", "functions", "log groups", "roles"):
        for name in found[kind]:
            logger.info("  would delete %s %s  (%s)", kind.rstrip("s"), name, verbs[kind])
    if not any(found.values()):
        logger.info("  nothing tagged workshop=pixelation-workshop%s in %s", f", student={student}" if student else "", ws.target.region)
    return found
