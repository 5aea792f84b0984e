"""Notebook 07, "When it goes wrong": what its cells need besides the boto3 calls that break and fix things.

The notebook's cells make each mistake and its fix with boto3 calls the learner reads; this module
holds what is not the lesson: the run's names (and the pipeline set up again when notebook 06 has
taken it down), the large photo and the two deployment packages, a policy without one action, AWS's
answer to a call word for word, and ``watch_upload``: an upload followed through the function's
log until Lambda has made every attempt it will make (``MaximumRetryAttempts`` of the function's
event invoke config, two retries by default:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), then its outputs.
Notebook 07 sets that to 0 first, so that no retry of one mistake's upload runs in the next section.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from botocore.exceptions import ClientError

from pixelkit.aws import functions
from pixelkit.aws.errors import error_code, error_message
from pixelkit.context.paths import IMAGES_DIR, output_dir
from pixelkit.context.state import State
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial import invocations, pipeline, steps
from pixelkit.tutorial import package as packaging
from pixelkit.tutorial.policies import render_policy

PORTRAIT = IMAGES_DIR / "grace_hopper.jpg"
# A package for the Python before the function's runtime: Pillow's native code is built for one Python.
WRONG_RUNTIME = "python3.12"
LARGE_PHOTO_MEGAPIXELS = 40
LOOK_EVERY = 0.5  # seconds between two readings of the function's log


@dataclass
class Symptom:
    """What a learner sees after an upload: the attempts Lambda made, the function's log, the outputs that came."""

    key: str
    outputs: list[str] = field(default_factory=list)
    wanted: int = 0
    log_lines: list[str] = field(default_factory=list)
    attempts: int = 0  # attempts Lambda made (REPORT lines)
    of: int = 1  # attempts Lambda makes at most (1 + MaximumRetryAttempts)
    request_ids: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return self.attempts > 0


def pipeline_ready(ws: Workshop) -> State:
    """The run's state; when nothing is set up (notebook 06 ran first), steps 1 to 4 set the pipeline up again."""
    if ws.state is None or functions.get_function(ws.client("lambda"), ws.state.function_name) is None:
        steps.setup(ws)
    return ws.require_state()


def aws_answer(call, **params) -> str:
    """Make one call and return AWS's answer: "OK", or the error's code and message exactly as AWS sent them."""
    try:
        call(**params)
        return "OK"
    except ClientError as error:
        return f"{error_code(error)}: {error_message(error)}"


def watch_upload(ws: Workshop, key: str, wait_seconds: float = 20,
                 progress: Callable[[float, str, bool], None] | None = None) -> Symptom:
    """Follow the upload of ``key`` (already put in the source bucket) until Lambda has made its last attempt.

    Done when an attempt succeeded, or when as many attempts failed as Lambda makes (1 plus the
    function's ``MaximumRetryAttempts``); otherwise after ``wait_seconds`` (an upload that calls nothing).
    ``progress(elapsed, what_is_seen, over)`` is called at each look, the last time with ``over`` true. Then the outputs of this upload.
    """
    state = ws.require_state()
    s3 = ws.client("s3")
    # The upload's time as S3 has it (whole seconds): the log's timestamps come from the same side.
    uploaded = s3.head_object(Bucket=state.source_bucket, Key=key)["LastModified"]
    since_ms = int(uploaded.timestamp() * 1000) - 1000
    retries = functions.max_retry_attempts(ws.client("lambda"), state.function_name)
    symptom = Symptom(key, wanted=len(pipeline.grids()), of=retries + 1)
    started = time.monotonic()
    while True:
        attempts = invocations.parse_attempts(pipeline.function_log_events(ws, since_ms))
        # The window starts a second before the upload (S3 keeps whole seconds): an attempt at the
        # previous section's upload may be in it. It names its own object, so it is left out here.
        attempts = [a for a in attempts if a.mentions(key) or "Received event: " not in a.text]
        seen = invocations.progress_of(key, attempts, [key], retries)
        finished = [a for a in seen.attempts if a.finished]
        symptom.log_lines = [line for attempt in seen.attempts for line in attempt.lines]
        symptom.attempts = len(finished)
        symptom.request_ids = list(dict.fromkeys(a.request_id for a in seen.attempts))
        done = any(a.succeeded for a in finished) or len([a for a in finished if a.failed]) >= symptom.of
        elapsed = time.monotonic() - started
        over = done or elapsed > wait_seconds
        if progress is not None:
            progress(elapsed, _what_is_seen(symptom, done, over), over)
        if over:
            break
        time.sleep(LOOK_EVERY)
    for output in pipeline.expected_outputs(key):
        try:
            found = s3.head_object(Bucket=state.destination_bucket, Key=output)
        except ClientError:
            continue
        if found["LastModified"] >= uploaded:
            symptom.outputs.append(output)
    return symptom


def _what_is_seen(symptom: Symptom, done: bool, over: bool) -> str:
    if not symptom.attempts:
        return "no invocation in the function's log" + (": S3 called nothing" if over else " yet")
    made = f"attempt {symptom.attempts} of at most {symptom.of} finished"
    return made + (": Lambda makes no other" if done else "")


# 3. Lambda's defaults on a large photo --------------------------------------------------------------------------------------

def large_photo(megapixels: int = LARGE_PHOTO_MEGAPIXELS) -> Path:
    """A photo-sized JPEG (the portrait enlarged to ``megapixels``), made once in out/mistakes/."""
    from PIL import Image

    path = output_dir() / "mistakes" / f"large-photo-{megapixels}mp.jpg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(PORTRAIT) as portrait:
            scale = (megapixels * 1_000_000 / (portrait.width * portrait.height)) ** 0.5
            size = (round(portrait.width * scale), round(portrait.height * scale))
            portrait.convert("RGB").resize(size, Image.BICUBIC).save(path, quality=90)
    return path


# 4. The role's policy without s3:PutObject ----------------------------------------------------

def policy_without_put_object(state: State) -> dict:
    """The role's policy (as step 2 writes it) with s3:PutObject (or s3:*) taken out of every statement."""
    document = render_policy(state)
    kept = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        actions = [a for a in actions if a not in ("s3:PutObject", "s3:*")]
        if actions:
            kept.append({**statement, "Action": actions if len(actions) > 1 else actions[0]})
    return {**document, "Statement": kept}


# 5. A deployment package built for the wrong Python -------------------------------------------

def wrong_python_package(architecture: str = "x86_64") -> packaging.Package:
    """The kit's handler with Pillow built for Python 3.12 (the function's runtime is 3.13); `make prepare` builds it once."""
    return packaging.build_package(WRONG_RUNTIME, architecture)
