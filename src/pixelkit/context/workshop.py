"""The workshop's context: the target, its boto3 clients, and the state of this run."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

import boto3

from pixelkit.aws.sts import get_account_id, partition_for
from pixelkit.context.calls import CallRecorder
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import (
    State, check_same_target, check_student, current_student, default_state, load_state, save_state, state_path,
)
from pixelkit.context.target import (
    ATTEMPTS, CONNECT_TIMEOUT, START_EMULATOR, Target, client_config, new_session, require_emulator, use_target,
)

logger = logging.getLogger("pixelkit")


@dataclass
class Workshop:
    target: Target
    session: boto3.Session
    state: State | None
    student: str | None = None
    _clients: dict = field(default_factory=dict, repr=False)
    _checked_account: str | None = field(default=None, repr=False)
    # Every call this workshop's clients make, in order (pixelkit.context.calls): scripts print them, notebooks show a table.
    calls: CallRecorder = field(default_factory=CallRecorder, repr=False)

    def __post_init__(self):
        self.calls.attach(self.session.events)

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=client_config(service))
        return self._clients[service]

    @property
    def partition(self) -> str:
        return partition_for(self.target.region)

    def require_state(self) -> State:
        if self.state is None:
            who = f" for student {self.student}" if self.student else ""
            raise WorkshopError(
                f"Nothing has been set up yet{who} (there is no {state_path(self.student)}). "
                "Run step 1 first, or `make setup` for steps 1 to 4."
            )
        self.check_account()
        return self.state

    def check_account(self) -> None:
        """The run's policy and its trigger's permission name its account: other credentials must not touch it."""
        if self.state is None or self._checked_account == self.state.account_id:
            return
        account_id = get_account_id(self.client("sts"))
        if not self.state.account_id:
            self.state.account_id = account_id
            save_state(self.state)
        elif account_id != self.state.account_id:
            raise WorkshopError(
                f"Run {self.state.suffix} was set up in account {self.state.account_id}, but your credentials "
                f"are for account {account_id}. Switch back (AWS_PROFILE) to finish or clean up that run, "
                f"or move {state_path(self.student)} aside to start a new one here."
            )
        self._checked_account = account_id

    def start_run(self) -> State:
        """The state of this run, made (names chosen, account read) and saved on first use."""
        if self.state is None:
            state = default_state(self.target, student=self.student)
            state.account_id = get_account_id(self.client("sts"))
            save_state(state)
            self.state = state
            self._checked_account = state.account_id
            who = f" for student {self.student}" if self.student else ""
            logger.info("New workshop run %s%s on %s; names are kept in %s",
                        state.suffix, who, self.target.describe(), state_path(self.student))
        self.check_account()
        return self.state

    def save(self) -> None:
        save_state(self.require_state())


def open_workshop(target: str | None = None, student: str | None = None,
                  how_to_start: str = START_EMULATOR) -> Workshop:
    """Choose the target, check that it answers, and load this run's state if there is one.

    ``student`` (default: ``WORKSHOP_STUDENT``) puts a learner's name in every resource
    name and tag and gives them a state file of their own; ``""`` means no student.
    ``how_to_start`` is what to tell the learner when the local emulator does not answer.
    """
    student = check_student(student) if student is not None else current_student()
    chosen = use_target(target)
    require_emulator(chosen, how_to_start)
    if not chosen.is_local:
        # A network that drops packets would otherwise look like a hang: say what a silence means.
        logger.info("Talking to %s (a call that gets no answer is tried %d times, %d s each to connect)",
                    chosen.describe(), ATTEMPTS, CONNECT_TIMEOUT)
    state = load_state(student)
    if state is not None:
        check_same_target(state, chosen)
    return Workshop(chosen, new_session(chosen), state, student)


class _CurrentStdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (Jupyter and pytest replace it), not the one at creation."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_console_logging(verbose: bool = False) -> None:
    """Show the kit's progress lines as plain text (scripts and notebooks call this)."""
    kit_logger = logging.getLogger("pixelkit")
    if not any(getattr(h, "_pixelkit", False) for h in kit_logger.handlers):
        handler = _CurrentStdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._pixelkit = True
        kit_logger.addHandler(handler)
        kit_logger.propagate = False
    kit_logger.setLevel(logging.DEBUG if verbose else logging.INFO)
