"""``.workshop/state.json``: what the kit created, so that any step or cleanup can find it.

The names are chosen once, on the first step, and kept until cleanup has removed
everything. Notebooks in separate kernels and scripts run one by one all read
the same file.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pixelkit.errors import WorkshopError
from pixelkit.paths import workshop_dir
from pixelkit.target import Target

WORKSHOP_TAG = "pixelation-workshop"
# The tutorial's names; buckets get a suffix because bucket names are global.
NAME_PREFIX = "day38"


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
    function_arn: str | None = None
    created: list[str] = field(default_factory=list)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def tags(self) -> dict[str, str]:
        return {"workshop": WORKSHOP_TAG, "workshop-run": self.suffix}

    def note_created(self, resource: str) -> None:
        if resource not in self.created:
            self.created.append(resource)


def state_path() -> Path:
    return workshop_dir() / "state.json"


def default_state(target: Target, suffix: str | None = None) -> State:
    suffix = suffix or new_suffix()
    return State(
        target=target.name,
        region=target.region,
        endpoint_url=target.endpoint_url,
        suffix=suffix,
        source_bucket=f"{NAME_PREFIX}-source-{suffix}",
        destination_bucket=f"{NAME_PREFIX}-destination-{suffix}",
        role_name=f"{NAME_PREFIX}-role",
        policy_name=f"{NAME_PREFIX}-inline",
        function_name=f"{NAME_PREFIX}-image_pixelator",
    )


def load_state() -> State | None:
    path = state_path()
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        known = {f.name for f in fields(State)}
        return State(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError) as error:
        raise WorkshopError(
            f"{path} is not a state file the kit can read ({error}). If nothing of the kit is "
            "left in your account, delete the file and run the setup again."
        ) from error


def save_state(state: State) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(tmp, path)


def forget_state() -> None:
    state_path().unlink(missing_ok=True)


def check_same_target(state: State, target: Target) -> None:
    """Refuse to mix up the emulator's resources and a real account's."""
    if state.target != target.name or state.region != target.region:
        raise WorkshopError(
            f"{state_path()} describes resources on target {state.target!r} in {state.region}, "
            f"but this run targets {target.name!r} in {target.region}. Run the cleanup with "
            f"--target {state.target} (and AWS_REGION={state.region}) first, or delete the file "
            "if those resources are gone."
        )
