"""Notebook 07, "When it goes wrong": five mistakes, each broken with one boto3 call, seen, and fixed.

Each ``break_*`` makes one visible call to AWS (the notebook's call table shows it), each
``fix_*`` puts back what the kit's steps make, and ``try_upload`` shows the symptom as a
learner meets it: an upload, then what the function wrote to its log, and whether the
outputs came. What AWS answers comes back as it is, never reworded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from pixelkit.tutorial import package as packaging
from pixelkit.tutorial import invocations, pipeline, steps
from pixelkit.aws import functions
from pixelkit.aws.errors import error_code, error_message
from pixelkit.context.paths import IMAGES_DIR, output_dir
from pixelkit.tutorial.policies import render_policy
from pixelkit.context.workshop import Workshop

PORTRAIT = IMAGES_DIR / "grace_hopper.jpg"
# A package for the Python before the function's runtime: Pillow's native code is built for one Python.
WRONG_RUNTIME = "python3.12"
LARGE_PHOTO_MEGAPIXELS = 40


@dataclass
class Symptom:
    """What a learner sees after an upload: the outputs that came, the function's log, AWS's answers."""

    key: str
    outputs: list[str] = field(default_factory=list)
    wanted: int = 0
    log_lines: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # AWS's error answers, as "Code: message"

    @property
    def ran(self) -> bool:
        return any(line.startswith("REPORT ") for line in self.log_lines)


def lines_of_upload(events: list[dict], key: str) -> list[str]:
    """The invocations of the upload of ``key``, START to REPORT, each read in its own log stream.

    An environment runs one invocation at a time, so a stream's lines from a START to its REPORT are
    one invocation's, even while another environment retries an earlier upload. With no invocation
    naming ``key`` (an init error stops the function before it logs its event), the ones that name no
    upload at all.
    """
    attempts = invocations.parse_attempts(events)
    mine = [a for a in attempts if a.mentions(key)]
    ids = {a.request_id for a in mine}
    mine = [a for a in attempts if a in mine or (a.request_id in ids and "Received event: " not in a.text)]
    if not mine:
        mine = [a for a in attempts if "Received event: " not in a.text]
    return [line for attempt in mine for line in attempt.lines]


def aws_answer(call, **params) -> str:
    """Make one call and return AWS's answer: "OK", or the error's code and message exactly as AWS sent them."""
    try:
        call(**params)
        return "OK"
    except ClientError as error:
        return f"{error_code(error)}: {error_message(error)}"


def try_upload(ws: Workshop, picture: Path = PORTRAIT, key: str | None = None, wait_seconds: float = 20) -> Symptom:
    """Upload a picture and watch: the function's log until it has finished once (or ``wait_seconds``), then the outputs."""
    state = ws.require_state()
    since_ms = int(time.time() * 1000) - 1000
    key = pipeline.upload_image(ws, Path(picture), key)
    s3 = ws.client("s3")
    uploaded = s3.head_object(Bucket=state.source_bucket, Key=key)["LastModified"]
    deadline = time.monotonic() + wait_seconds
    symptom = Symptom(key, wanted=len(pipeline.grids()))
    named = json.dumps(key)[1:-1]
    while True:
        symptom.log_lines = lines_of_upload(pipeline.function_log_events(ws, since_ms), key)
        ours = any("Received event: " in line and named in line for line in symptom.log_lines)
        init_failed = any("[ERROR] Runtime." in line for line in symptom.log_lines)
        if (symptom.ran and (ours or init_failed)) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for output in pipeline.expected_outputs(key):
        try:
            found = s3.head_object(Bucket=state.destination_bucket, Key=output)
        except ClientError:
            continue
        if found["LastModified"].timestamp() >= uploaded.timestamp() - 1:
            symptom.outputs.append(output)
    return symptom


# 1. The trigger without its permission ------------------------------------------------------

def break_permission(ws: Workshop) -> None:
    """Remove the statement that lets S3 invoke the function; the trigger stays."""
    state = ws.require_state()
    ws.client("lambda").remove_permission(FunctionName=state.function_name, StatementId=steps.PERMISSION_ID)


def permission_symptoms(ws: Workshop) -> list[str]:
    """The function's resource policy, and S3 asked to (re)validate the trigger, as AWS answers both."""
    state = ws.require_state()
    lam, s3 = ws.client("lambda"), ws.client("s3")
    config = s3.get_bucket_notification_configuration(Bucket=state.source_bucket)
    config.pop("ResponseMetadata", None)
    return [
        "lambda.get_policy: " + aws_answer(lam.get_policy, FunctionName=state.function_name),
        "s3.put_bucket_notification_configuration (the same trigger again): "
        + aws_answer(s3.put_bucket_notification_configuration, Bucket=state.source_bucket,
                     NotificationConfiguration=config),
    ]


def fix_permission(ws: Workshop) -> dict:
    return steps.configure_function(ws)


# 2. destination_bucket missing, or naming the source bucket ------------------------------------

def _set_environment(ws: Workshop, variables: dict) -> None:
    state = ws.require_state()
    lam = ws.client("lambda")
    lam.update_function_configuration(FunctionName=state.function_name, Environment={"Variables": variables})
    lam.get_waiter("function_updated_v2").wait(FunctionName=state.function_name, WaiterConfig=functions.WAIT)


def break_destination_missing(ws: Workshop) -> None:
    """The function without its environment variable, as the console leaves it before step 4."""
    _set_environment(ws, {})


def break_destination_is_source(ws: Workshop) -> None:
    """destination_bucket naming the source bucket: each output would be a new upload, forever."""
    _set_environment(ws, {"destination_bucket": ws.require_state().source_bucket})


def fix_destination(ws: Workshop) -> dict:
    return steps.configure_function(ws)


# 3. Lambda's defaults (3 s, 128 MB) on a large photo ------------------------------------------

def break_timeout_and_memory(ws: Workshop) -> None:
    """Lambda's defaults: a 3-second timeout and 128 MB (and so about a fourteenth of a vCPU)."""
    state = ws.require_state()
    lam = ws.client("lambda")
    lam.update_function_configuration(FunctionName=state.function_name, Timeout=3, MemorySize=128)
    lam.get_waiter("function_updated_v2").wait(FunctionName=state.function_name, WaiterConfig=functions.WAIT)


def large_photo(megapixels: int = LARGE_PHOTO_MEGAPIXELS) -> Path:
    """A photo-sized JPEG (the portrait enlarged to ``megapixels``), made once in out/."""
    from PIL import Image

    path = output_dir() / "mistakes" / f"large-photo-{megapixels}mp.jpg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(PORTRAIT) as portrait:
            scale = (megapixels * 1_000_000 / (portrait.width * portrait.height)) ** 0.5
            size = (round(portrait.width * scale), round(portrait.height * scale))
            portrait.convert("RGB").resize(size, Image.BICUBIC).save(path, quality=90)
    return path


def fix_timeout_and_memory(ws: Workshop) -> dict:
    return steps.configure_function(ws)


# 4. The role's policy without s3:PutObject ----------------------------------------------------

def policy_without_put_object(ws: Workshop) -> dict:
    document = render_policy(ws.require_state())
    kept = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        actions = [a for a in actions if a not in ("s3:PutObject", "s3:*")]
        if actions:
            kept.append({**statement, "Action": actions if len(actions) > 1 else actions[0]})
    return {**document, "Statement": kept}


def break_policy(ws: Workshop) -> dict:
    """Write the role's inline policy back without s3:PutObject: the function may read but not write."""
    state = ws.require_state()
    document = policy_without_put_object(ws)
    ws.client("iam").put_role_policy(RoleName=state.role_name, PolicyName=state.policy_name,
                                     PolicyDocument=json.dumps(document))
    return document


def fix_policy(ws: Workshop) -> dict:
    return steps.create_role(ws)


# 5. A deployment package built for the wrong Python -------------------------------------------

def wrong_python_package(architecture: str = "x86_64") -> packaging.Package:
    """The same handler, with Pillow built for Python 3.12 instead of the function's 3.13."""
    return packaging.build_package(WRONG_RUNTIME, architecture)


def break_package(ws: Workshop) -> packaging.Package:
    """Deploy the package built for Python 3.12 to the function, whose runtime stays python3.13."""
    state = ws.require_state()
    config = ws.client("lambda").get_function_configuration(FunctionName=state.function_name)
    package = wrong_python_package(config.get("Architectures", ["x86_64"])[0])
    lam = ws.client("lambda")
    lam.update_function_code(FunctionName=state.function_name, ZipFile=package.read_bytes())
    lam.get_waiter("function_updated_v2").wait(FunctionName=state.function_name, WaiterConfig=functions.WAIT)
    return package


def fix_package(ws: Workshop) -> dict:
    config = ws.client("lambda").get_function_configuration(FunctionName=ws.require_state().function_name)
    return steps.deploy_function(ws, config.get("Architectures", ["x86_64"])[0])
