"""The instructor's commands: set up a class of students in one account, and tear it all down.

Each student is one ordinary run with a student name (see state.py): their own names,
tags and state file. ``class setup`` runs the setup for each in turn, says how far it
is, and ends with a table; a student whose setup fails is reported and the next one
goes on. ``class cleanup`` cleans up each student, by state file and by tags.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from pixelkit.tutorial import steps
from pixelkit.context.errors import LEARNER_ERRORS, WorkshopError, explain
from pixelkit.context.state import check_student, students_with_state
from pixelkit.context.workshop import open_workshop

logger = logging.getLogger(__name__)

MAX_STUDENTS = 100


@dataclass
class StudentRow:
    student: str
    status: str
    source_bucket: str = "-"
    destination_bucket: str = "-"
    function: str = "-"
    removed: int = 0
    seconds: float = 0.0


def student_names(students: str | None = None, count: int | None = None) -> list[str]:
    """``--students alice,bob`` or ``--count N`` (student01 ... studentNN)."""
    if students:
        names = [check_student(name) for name in students.split(",") if name.strip()]
    elif count:
        if not 1 <= count <= MAX_STUDENTS:
            raise WorkshopError(f"--count must be between 1 and {MAX_STUDENTS}.")
        names = [f"student{i:02d}" for i in range(1, count + 1)]
    else:
        raise WorkshopError("Say who is in the class: --students alice,bob or --count 30.")
    if len(set(names)) != len(names):
        raise WorkshopError("A student name appears twice in --students; each needs a name of their own.")
    return names


def _explain(error: Exception) -> str:
    """The first line of the learner's message: one row of the summary table."""
    return explain(error).splitlines()[0]


def class_setup(target: str | None, names: list[str], policy: str | None = None, architecture: str = "x86_64") -> list[StudentRow]:
    rows = []
    for number, name in enumerate(names, 1):
        logger.info("[%d/%d] student %s", number, len(names), name)
        started = time.monotonic()
        try:
            ws = open_workshop(target, student=name)
            summary = steps.setup(ws, policy, architecture)
            rows.append(StudentRow(name, "ready", summary["source_bucket"], summary["destination_bucket"],
                                   ws.state.function_name, seconds=time.monotonic() - started))
        except LEARNER_ERRORS as error:
            logger.error("  student %s: setup failed: %s", name, _explain(error))
            rows.append(StudentRow(name, "FAILED: " + _explain(error), seconds=time.monotonic() - started))
    return rows


def class_cleanup(target: str | None, names: list[str] | None = None) -> list[StudentRow]:
    """Clean up the named students, or every student with a state file and then every tagged resource."""
    sweep_all = names is None
    names = names if names is not None else students_with_state()
    rows = []
    for number, name in enumerate(names, 1):
        logger.info("[%d/%d] student %s", number, len(names), name)
        started = time.monotonic()
        try:
            removed = steps.cleanup_tagged(open_workshop(target, student=name), name)
            rows.append(StudentRow(name, "clean", removed=len(removed), seconds=time.monotonic() - started))
        except LEARNER_ERRORS as error:
            logger.error("  student %s: cleanup failed: %s", name, _explain(error))
            rows.append(StudentRow(name, "FAILED: " + _explain(error), seconds=time.monotonic() - started))
    if sweep_all:
        logger.info("Every other resource tagged workshop=pixelation-workshop in this region:")
        started = time.monotonic()
        removed = steps.cleanup_tagged(open_workshop(target, student=""), None)
        rows.append(StudentRow("(any other)", "clean", removed=len(removed), seconds=time.monotonic() - started))
    return rows


def format_table(rows: list[StudentRow], cleanup: bool = False) -> str:
    if cleanup:
        header = ("student", "status", "removed", "seconds")
        body = [(r.student, r.status, str(r.removed), f"{r.seconds:.1f}") for r in rows]
    else:
        header = ("student", "status", "source bucket", "destination bucket", "function", "seconds")
        body = [(r.student, r.status, r.source_bucket, r.destination_bucket, r.function, f"{r.seconds:.1f}") for r in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    ok = sum(not r.status.startswith("FAILED") for r in rows)
    lines.append(f"{ok} of {len(rows)} {'clean' if cleanup else 'ready'}.")
    return "\n".join(lines)
