"""The pool of execution environments: which environment takes an invocation (LocalStack's ``assignment``).

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html and
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): an invocation goes to an
idle, warm environment of the same function version and configuration if there is one (the most recently
used), else a new environment starts (a cold start); an environment runs one invocation at a time; an
environment whose function changed is not reused; idle environments are retired after a while (Lambda:
minutes; here ``IDLE_SECONDS``), and so are those of a deleted function. A function's reserved concurrency
caps how many run at once (``Throttled``). The machine's cores cap all of them (``max_environments``):
past it, the least recently used idle environment of another function makes room, or the call waits.
"""

from __future__ import annotations

import threading
import time

IDLE_SECONDS = 300.0  # Lambda keeps an idle environment for minutes; so does the emulator


class Throttled(Exception):
    """The function's reserved concurrency is in use: a synchronous call gets 429, an event waits."""


class PoolStopped(Exception):
    """The emulator is stopping: no environment is handed out any more."""


class EnvironmentPool:
    """Warm environments by function; ``start(function, config, request_id)`` makes a new one."""

    def __init__(self, max_environments: int, cold: bool, idle_seconds: float, start, is_gone):
        self.max_environments = max_environments
        self.cold = cold  # no reuse: every invocation a cold start (``--cold``)
        self.idle_seconds = idle_seconds
        self._start = start
        self._is_gone = is_gone  # config -> whether its function was deleted
        self._environments: list = []
        self._starting: dict[str, int] = {}
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        threading.Thread(target=self._reap_idle, daemon=True, name="lambda-reaper").start()

    def acquire(self, function, config, request_id: str):
        """An environment for this invocation, marked busy: a warm one, or one started now."""
        while True:
            victims: list = []
            chosen = None
            with self._cond:
                if self._stopped.is_set():
                    raise PoolStopped()
                mine = [e for e in self._environments if e.config.function_arn == config.function_arn and not e.dead]
                victims += [(e, "its function changed") for e in mine if not e.busy and e.config != config]
                mine = [e for e in mine if e.busy or e.config == config]
                reserved = function.reserved_concurrency
                busy = sum(1 for e in mine if e.busy) + self._starting.get(config.function_arn, 0)
                if reserved is not None and busy >= int(reserved):
                    raise Throttled()
                idle = [e for e in mine if not e.busy]
                live = [e for e in self._environments if not e.dead and e not in [v for v, _ in victims]]
                if idle and not self.cold:
                    chosen = max(idle, key=lambda e: e.last_used)
                    chosen.busy = True
                elif len(live) + sum(self._starting.values()) >= self.max_environments:
                    spare = [e for e in live if not e.busy]
                    if spare:
                        victims.append((min(spare, key=lambda e: e.last_used), "room for another function"))
                    elif not victims:
                        self._cond.wait(0.5)
                        continue
                else:
                    self._starting[config.function_arn] = self._starting.get(config.function_arn, 0) + 1
                    chosen = "start"
                for victim, _ in victims:
                    victim.busy = True  # nobody takes it while it is retired, outside the lock
            for victim, reason in victims:
                victim.retire(reason)
            if chosen == "start":
                break
            if chosen is not None:
                return chosen
        try:
            environment = self._start(function, config, request_id)
        finally:
            with self._cond:
                self._starting[config.function_arn] -= 1
                self._cond.notify_all()
        with self._cond:
            environment.busy = True
            self._environments.append(environment)
        return environment

    def release(self, environment) -> None:
        """The invocation is over: the environment is idle (warm), or retired in cold mode."""
        if self.cold and not environment.dead:
            environment.retire("cold mode")
        with self._cond:
            environment.busy = False
            self._cond.notify_all()

    def forget(self, environment) -> None:
        with self._cond:
            if environment in self._environments:
                self._environments.remove(environment)
            self._cond.notify_all()

    def stop_taking(self) -> None:
        self._stopped.set()

    def retire_all(self, reason: str) -> None:
        self._stopped.set()
        with self._cond:
            environments = list(self._environments)
        for environment in environments:
            environment.retire(reason)

    def _reap_idle(self) -> None:
        while not self._stopped.wait(min(10.0, self.idle_seconds)):
            now = time.monotonic()
            with self._cond:
                idle = [e for e in self._environments if not e.busy and now - e.last_used > self.idle_seconds]
            for environment in idle:
                environment.retire("idle")
            with self._cond:
                gone = [e for e in self._environments if not e.busy and self._is_gone(e.config)]
            for environment in gone:
                environment.retire("its function was deleted")
