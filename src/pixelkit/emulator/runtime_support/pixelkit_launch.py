"""Starts AWS's runtime interface client in an execution environment, as ``python -m awslambdaric``.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and
awslambdaric's ``__main__``): the runtime is awslambdaric's bootstrap, run with the handler as its
one argument; it resolves the handler, shapes errors and formats the log. This launcher adds only
what the learner's computer may lack, each asked for by the emulator in a variable it then removes
(the function sees none of them):

- ``_PIXELKIT_PARENT_WATCH=stdin``: where the kernel cannot kill this process with the emulator
  (no ``prctl(PR_SET_PDEATHSIG)``: macOS, Windows), standard input is a pipe from the emulator; its
  end of file means the emulator is gone, and the environment (its whole session, where there is
  one) ends at once. The function's own standard input is the null device, as on Lambda.
- ``_PIXELKIT_RUNTIME_CLIENT=pure``: awslambdaric's compiled ``runtime_client`` is not importable
  (pip builds it on Linux only), so ``pixelkit_runtime_client`` takes its name; everything else is
  awslambdaric's own.
"""

import os
import runpy
import sys
import threading


def _end_with_parent(fd: int) -> None:
    """Block on the emulator's pipe; at its end of file, end this environment and what it started."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():  # a session of its own: take its children too
        try:
            os.killpg(os.getpgrp(), 9)
        except OSError:
            pass
    os._exit(137)


def main() -> None:
    if os.environ.pop("_PIXELKIT_PARENT_WATCH", None) == "stdin":
        watched = os.dup(0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        threading.Thread(target=_end_with_parent, args=(watched,), daemon=True, name="emulator-watch").start()
    if os.environ.pop("_PIXELKIT_RUNTIME_CLIENT", None) == "pure":
        import pixelkit_runtime_client  # beside this file, which is sys.path[0] now

        sys.modules["runtime_client"] = pixelkit_runtime_client
    sys.path[0] = os.getcwd()  # as `python -m awslambdaric` has it: the task root first, not this folder
    sys.argv = ["awslambdaric", *sys.argv[1:]]
    runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
