"""The variables and limits Lambda gives a function's runtime process.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper, and AWS's recordings in
LocalStack's ``tests/aws/services/lambda_/``: ``test_lambda_common.snapshot.json``,
``TestLambdaRuntimesCommon::test_introspection_invoke[python3.13]`` for the variables and
``::test_runtime_wrapper_invoke``; ``test_lambda.snapshot.json``, ``TestLambdaBehavior::test_runtime_ulimits``
for the limits and the log events of ``TestLambdaBaseFeatures`` for ``INIT_START``):

- Lambda sets its reserved variables itself (``_HANDLER``, ``AWS_REGION``, the role's credentials...);
  a function may not set them (CreateFunction/UpdateFunctionConfiguration refuse them, ``lambda_api``).
- Besides, every environment has ``PATH`` and ``LD_LIBRARY_PATH`` as Lambda's (``/var/task/lib`` and
  ``/opt/lib`` among the libraries), ``LANG``, ``LC_CTYPE``, ``TZ``, ``SHLVL=0`` and X-Ray's daemon address
  (``AWS_XRAY_*``, ``_AWS_XRAY_*``); a function may set ``PATH`` and the others itself.
- ``AWS_LAMBDA_EXEC_WRAPPER`` names a program that Lambda runs with the runtime's command as its
  arguments, so that it can change the environment before the runtime starts.
- Its limits: 1024 open files, 742 processes, 8 MB of stack (soft), 64 KB of locked memory, 10 GB core.
- Its first log line: ``INIT_START Runtime Version: python:3.13.vN\\tRuntime Version ARN: arn:...``, the
  ARN GetFunction's ``RuntimeVersionConfig`` names.
"""

from __future__ import annotations

import sys

# Lambda's reserved variables: refused in a function's configuration, set by Lambda itself.
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
TASK_ROOT = "/var/task"
OPT = "/opt"
XRAY_DAEMON = ("169.254.100.1", "2000")  # as recorded; nothing listens there in the emulator, as no daemon runs
# resource limit name -> (soft, hard), as recorded (-1: unlimited)
LIMITS = {
    "RLIMIT_NOFILE": (1024, 1024),
    "RLIMIT_NPROC": (742, 742),
    "RLIMIT_STACK": (8388608, -1),
    "RLIMIT_MEMLOCK": (65536, 65536),
    "RLIMIT_CORE": (10737418240, 10737418240),
}


def defaults(task_root: str = TASK_ROOT, opt: str = OPT) -> dict[str, str]:
    """Lambda's variables that a function may set itself, with its paths as the function sees them."""
    host, port = XRAY_DAEMON
    return {
        "PATH": f"/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:{opt}/bin",
        "LD_LIBRARY_PATH": (f"/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:{task_root}:"
                            f"{task_root}/lib:{opt}/lib"),
        "LANG": "en_US.UTF-8",
        "LC_CTYPE": "C.UTF-8",
        "TZ": ":UTC",
        "SHLVL": "0",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
        "_AWS_XRAY_DAEMON_ADDRESS": host,
        "_AWS_XRAY_DAEMON_PORT": port,
    }


def wrapped(argv: list[str], env: dict[str, str], seen: dict[str, str] | None = None) -> list[str]:
    """The runtime's command behind ``AWS_LAMBDA_EXEC_WRAPPER``, when the function names one.

    ``seen`` maps the paths the function sees (``/var/task``, ``/opt``) to the real folders, for an
    environment without a sandbox, where the wrapper is found at its real place.
    """
    wrapper = env.get("AWS_LAMBDA_EXEC_WRAPPER")
    if not wrapper:
        return argv
    for seen_path, real in (seen or {}).items():
        if wrapper == seen_path or wrapper.startswith(seen_path + "/"):
            wrapper = real + wrapper[len(seen_path):]
            break
    return [wrapper, *argv]


def limited(argv: list[str], python: str = sys.executable) -> list[str]:
    """The command, started with Lambda's resource limits (those this system has and allows).

    ``python`` sets them and then becomes the command (same process), so give one the function's
    environment can run (the runtime's own, in the sandbox)."""
    try:
        import resource
    except ImportError:  # a system without POSIX resource limits: the command as it is
        return argv

    wanted = {name: limits for name, limits in LIMITS.items() if hasattr(resource, name)}
    if not wanted:
        return argv
    program = (
        "import os, resource, sys\n"
        f"for name, (soft, hard) in {wanted!r}.items():\n"
        "    kind = getattr(resource, name)\n"
        "    have = resource.getrlimit(kind)\n"
        "    unlimited = resource.RLIM_INFINITY\n"
        "    hard = have[1] if hard == -1 or (have[1] != unlimited and hard > have[1]) else hard\n"
        "    soft = unlimited if soft == -1 else soft\n"
        "    soft = soft if hard == unlimited or (soft != unlimited and soft <= hard) else hard\n"
        "    try:\n"
        "        resource.setrlimit(kind, (soft, hard))\n"
        "    except (ValueError, OSError):\n"
        "        pass\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n"
    )
    return [python, "-I", "-S", "-c", program, *argv]


def init_start(runtime: str, interpreter_version: str, region: str, partition: str) -> str:
    """Lambda's first log line of an environment: the runtime's version and its ARN.

    Lambda numbers its releases of a runtime (``python:3.13.v31``); here the release is the
    interpreter's, so N is its patch number (3.13.2 -> v2)."""
    import re

    from pixelkit.emulator.function_configuration import runtime_version_arn

    version = runtime.replace("python", "python:")
    parts = interpreter_version.split(".")
    micro_version = re.match(r"\d*", parts[2]).group() or "0" if len(parts) > 2 else "0"
    return (f"INIT_START Runtime Version: {version}.v{micro_version}\t"
            f"Runtime Version ARN: {runtime_version_arn(region, partition, runtime)}")
