"""``.workshop/state.json``: what the kit created, so that any step or cleanup can find it.

With a student name (``--student NAME`` or ``WORKSHOP_STUDENT``) each learner of a
class sharing one account has a state file of their own, ``state-<name>.json``, and
the name in every resource name and tag, so that nobody's run touches another's.

The names are chosen once, on the first step, and kept until cleanup has removed
everything. Notebooks in separate kernels and scripts run one by one all read
the same file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import workshop_dir
from pixelkit.context.target import Target

WORKSHOP_TAG = "pixelation-workshop"
# The tag keys on every resource: ``cleanup --all-tagged`` finds earlier runs by them.
TAG_WORKSHOP = "workshop"
TAG_STUDENT = "student"
TAG_RUN = "workshop-run"
# The tutorial's names; buckets get a suffix because bucket names are global.
NAME_PREFIX = "day38"
# Short enough that "day38-<student>-destination-<suffix>" stays within S3's 63 characters.
STUDENT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def check_student(name: str | None) -> str | None:
    """The student name as the kit uses it in resource names, or a message saying what is allowed."""
    if name is None or not name.strip():
        return None
    name = name.strip()
    if not STUDENT_PATTERN.match(name) or name.endswith("-") or "--" in name:
        raise WorkshopError(
            f"The student name {name!r} cannot be part of a bucket name. Use 1 to 20 lowercase letters, "
            "digits and single hyphens, starting with a letter (e.g. --student alice)."
        )
    return name


def current_student() -> str | None:
    """The student of this shell: ``WORKSHOP_STUDENT``, or none (the tutorial's own names)."""
    return check_student(os.environ.get("WORKSHOP_STUDENT"))


def new_suffix() -> str:
    return secrets.token_hex(4)


@dataclass
class State:
    target: str
    region: str
    endpoint_url: str | None
    suffix: str
    source_bucket: str
    destination_bucket: str
    role_name: str
    policy_name: str
    function_name: str
    policy: str = "least-privilege"
    account_id: str | None = None
    role_arn: str | None = None
    student: str | None = None

    def use_suffix(self, suffix: str) -> None:
        """Name both buckets with ``suffix`` (step 1 does when a name is taken): the two always share one."""
        prefix = f"{NAME_PREFIX}-{self.student}" if self.student else NAME_PREFIX
        self.suffix = suffix
        self.source_bucket, self.destination_bucket = f"{prefix}-source-{suffix}", f"{prefix}-destination-{suffix}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def tags(self) -> dict[str, str]:
        return {**kit_tags(self.student), TAG_RUN: self.suffix}


def kit_tags(student: str | None = None) -> dict[str, str]:
    """The tags that mark the kit's resources (one student's, when a name is given)."""
    tags = {TAG_WORKSHOP: WORKSHOP_TAG}
    if student:
        tags[TAG_STUDENT] = student
    return tags


def state_path(student: str | None = None) -> Path:
    return workshop_dir() / (f"state-{student}.json" if student else "state.json")


def students_with_state() -> list[str]:
    """The students that have a state file here (the instructor's ``class cleanup`` reads them)."""
    return sorted(p.stem.removeprefix("state-") for p in workshop_dir().glob("state-*.json"))


def default_state(target: Target, suffix: str | None = None, student: str | None = None) -> State:
    prefix = f"{NAME_PREFIX}-{student}" if student else NAME_PREFIX
    state = State(
        target=target.name,
        region=target.region,
        endpoint_url=target.endpoint_url,
        suffix="",
        source_bucket="",
        destination_bucket="",
        role_name=f"{prefix}-role",
        policy_name=f"{prefix}-inline",
        function_name=f"{prefix}-image_pixelator",
        student=student,
    )
    state.use_suffix(suffix or new_suffix())
    return state


def load_state(student: str | None = None) -> State | None:
    path = state_path(student)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text())
    except IsADirectoryError:
        raise _unreadable(path, "it is a folder, not a file", f"rm -r {path}") from None
    except (OSError, ValueError) as error:
        raise _unreadable(path, f"it is not JSON ({error})") from None
    problems = state_problems(data, student)
    if problems:
        raise _unreadable(path, "; ".join(problems))
    known = {f.name for f in fields(State)}
    return State(**{k: v for k, v in data.items() if k in known})


def _unreadable(path: Path, what: str, remove: str | None = None) -> WorkshopError:
    return WorkshopError(
        f"{path} is not a state file the kit can read: {what}.\n"
        f"To recover: delete it (`{remove or f'rm {path}'}`), then `make orphans` removes whatever the kit made "
        "in earlier runs (found by its tags), and `make setup` starts a new run."
    )


# What each field of the state file must be: the kit builds names from them and cleanup deletes by them.
_REQUIRED = ("target", "region", "suffix", "source_bucket", "destination_bucket", "role_name", "policy_name",
             "function_name")
_OPTIONAL = ("endpoint_url", "policy", "account_id", "role_arn", "student")
SUFFIX_PATTERN = re.compile(r"^[0-9a-f]{8}$")


def state_problems(data, student: str | None = None) -> list[str]:
    """What is wrong with a state file's content, as a whole (empty when it is one the kit wrote)."""
    if not isinstance(data, dict):
        return [f"it holds {type(data).__name__ if data is not None else 'null'}, not an object of fields"]
    problems = []
    for name in _REQUIRED:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} is {json.dumps(value)}, not a non-empty text")
    for name in _OPTIONAL:
        if data.get(name) is not None and not isinstance(data.get(name), str):
            problems.append(f"{name} is {json.dumps(data.get(name))}, not a text")
    if problems:
        return problems
    from pixelkit.context.target import TARGETS, region_problem

    if data["target"] not in TARGETS:
        problems.append(f"target is {data['target']!r}, not one of {', '.join(TARGETS)}")
    region = region_problem(data["region"])
    if region:
        problems.append(f"region: {region}")
    if not SUFFIX_PATTERN.match(data["suffix"]):
        problems.append(f"suffix is {data['suffix']!r}, not 8 hexadecimal digits")
    if data.get("student") != student:
        problems.append(f"student is {data.get('student')!r}, but this file is for {student!r}")
    prefix = f"{NAME_PREFIX}-{student}-" if student else f"{NAME_PREFIX}-"
    for name in ("source_bucket", "destination_bucket", "role_name", "policy_name", "function_name"):
        if not data[name].startswith(prefix):
            problems.append(f"{name} is {data[name]!r}, not a name the kit makes (they start with {prefix})")
    return problems


def save_state(state: State) -> None:
    path = state_path(state.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(tmp, path)


def forget_state(student: str | None = None) -> None:
    state_path(student).unlink(missing_ok=True)


def check_same_target(state: State, target: Target) -> None:
    """Refuse to mix up the emulator's resources and a real account's."""
    if state.target != target.name or state.region != target.region:
        raise WorkshopError(
            f"{state_path(state.student)} describes resources on target {state.target!r} in {state.region}, "
            f"but this run targets {target.name!r} in {target.region}. Run the cleanup with "
            f"--target {state.target} (and AWS_REGION={state.region}) first, or delete the file "
            "if those resources are gone."
        )
