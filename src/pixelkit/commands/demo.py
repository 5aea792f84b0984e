"""``make demo``: the whole tutorial on the emulator, from buckets to cleanup, pictures left in out/."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pixelkit.tutorial import pipeline, steps
from pixelkit.teaching.cost import estimate_run_cost
from pixelkit.context.errors import WorkshopError
from pixelkit.emulator.server import emulator_running
from pixelkit.context.paths import sample_images, workshop_dir
from pixelkit.teaching.pictures import save_contact_sheet
from pixelkit.context.state import load_state
from pixelkit.context.target import emulator_is_listening, use_target
from pixelkit.context.workshop import open_workshop

logger = logging.getLogger(__name__)


def run_demo(out_dir: Path) -> Path:
    """Run steps 1 to 6 on the emulator (started here if none listens); return the contact sheet."""
    target = use_target("local")
    already_running = emulator_is_listening(target.endpoint_url)
    learner_run = load_state()
    if already_running and learner_run is not None and learner_run.target == target.name:
        raise WorkshopError(
            f"Workshop run {learner_run.suffix} is set up on the emulator at {target.endpoint_url}. The demo uses "
            "the same role and function names and cleans up after itself, so it would take yours down. "
            "Finish your run with `make cleanup` first, or stop that emulator and run `make demo` again."
        )
    # The demo keeps its own state, apart from a learner's run on another target.
    os.environ["WORKSHOP_DIR"] = str(workshop_dir() / "demo")
    # Its own session: a Ctrl-C in the terminal reaches the demo, which cleans up on the emulator, then stops it.
    with emulator_running(target, "the demo", new_session=True):
        ws = None
        try:
            ws = open_workshop("local")
            ws.calls.echo = False  # the demo shows the pipeline; the step scripts and notebooks show each AWS call
            steps.setup(ws)
            uploads, log_lines = steps.upload_and_check(ws, sample_images(), out_dir)
            logger.info("The function's log, as step 5 reads it in CloudWatch:")
            for line in log_lines:
                if line.startswith(("START", "END", "REPORT")) or "Received event" in line:
                    logger.info("  %s", line if len(line) < 160 else line[:157] + "...")
            for line in estimate_run_cost(log_lines, len(uploads), len(pipeline.grids())).lines():
                logger.info("%s", line)
            sheet = save_contact_sheet([(u.original, u.outputs) for u in uploads], out_dir / "contact-sheet.png")
        finally:
            # Clean up even when a step failed: the demo leaves nothing behind on the emulator.
            if ws is not None and ws.state is not None:
                steps.cleanup(ws)
    total = sum(len(u.outputs) for u in uploads)
    logger.info("\nDone: %d pixelated pictures of %d originals are in %s/", total, len(uploads), out_dir)
    logger.info("Look at them side by side: %s", sheet)
    return sheet
