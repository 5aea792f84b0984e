#!/usr/bin/env python3
"""Step 5: upload pictures, wait for the five outputs of each, read the function's log, download them.

Replaces: S3 > the source bucket > Upload; CloudWatch > Log groups > /aws/lambda/<function> > the
newest log stream (the event record); S3 > the destination bucket > each picture > Download.

Usage: python scripts/step5_upload_and_check.py [pictures or folders...] [--out out/] [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pixelkit.context.errors import WorkshopError
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial import pipeline
from pixelkit.tutorial.pipeline import Upload
from pixelkit.tutorial.settings import TIMEOUT_SECONDS

logger = logging.getLogger("pixelkit.tutorial.steps")


def upload_and_check(ws: Workshop, images: list[Path], out_dir: Path, progress=None,
                     keep_going: bool = False) -> tuple[list[Upload], list[str]]:
    """Upload each picture, wait for its outputs, download them; return the uploads and the function's log.

    With ``keep_going``, a picture the function refuses is noted in its ``problem`` and the
    others go on; without it, the first refusal raises its WorkshopError.
    """
    ws.require_state()
    images = pipeline.pictures(images)
    pipeline.check_ready_for_uploads(ws)  # the function is there and the source bucket triggers it
    logger.info("Step 5: upload %d picture(s) and wait for the function", len(images))
    since_ms = int(time.time() * 1000) - 1000
    uploads = [Upload(path, upload_picture(ws, path)) for path in images]
    # S3 calls the function once per picture, all at once: one deadline for them all.
    wait = pipeline.UPLOAD_WAIT_SECONDS
    deadline = time.monotonic() + wait
    logger.info("  waiting up to %d s for the %d pictures of each (the function may run %d s; a failed attempt is "
                "retried, and said here at once)", wait, len(pipeline.grids()), TIMEOUT_SECONDS)
    for upload in uploads:
        try:
            # A waiter on HeadObject per output; on a failed attempt it reads the log and says why at once.
            keys = pipeline.wait_for_outputs(ws, upload.key, since_ms, timeout=max(1.0, deadline - time.monotonic()),
                                             progress=progress, keys=[u.key for u in uploads])
        except WorkshopError as error:
            if not keep_going:
                raise
            upload.problem = str(error)
            why = " ".join(line.strip() for line in upload.problem.splitlines()[:2])
            logger.info("  %s: no pictures: %s", upload.key, why)
            continue
        upload.outputs = [download(ws, key, out_dir) for key in keys]
        logger.info("  %s: %d pictures downloaded to %s", upload.key, len(keys), out_dir)
    return uploads, read_function_log(ws, len(uploads), since_ms)


def upload_picture(ws: Workshop, path: Path, key: str | None = None) -> str:
    """Put one picture into the source bucket: S3 then calls the function with the bucket and the key."""
    state = ws.require_state()
    [path] = pipeline.pictures([path])
    key = key or path.name
    with open(path, "rb") as body:
        ws.client("s3").put_object(Bucket=state.source_bucket, Key=key, Body=body)
    logger.info("  uploaded %s to s3://%s/%s", path.name, state.source_bucket, key)
    return key


def download(ws: Workshop, key: str, out_dir: Path) -> Path:
    """One output of the function, from the destination bucket into ``out_dir``."""
    path = Path(out_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    answer = ws.client("s3").get_object(Bucket=ws.require_state().destination_bucket, Key=key)
    path.write_bytes(answer["Body"].read())
    return path


def read_function_log(ws: Workshop, invocations: int, since_ms: int) -> list[str]:
    """The function's log since the upload: START, the event it received, its lines, END and REPORT."""
    pipeline.wait_for_reports(ws, invocations, since_ms)  # Lambda writes REPORT when an invocation ends
    pages = ws.client("logs").get_paginator("filter_log_events").paginate(
        logGroupName=ws.require_state().log_group, startTime=since_ms)
    return pipeline.lines_by_stream([event for page in pages for event in page["events"]])


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("upload")
