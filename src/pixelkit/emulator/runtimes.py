"""Lambda's Python runtimes, each on an interpreter of its own version, with only what Lambda gives.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html and
https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html): a function's ``Runtime`` names
the Python it runs on; the runtime holds the runtime interface client and the AWS SDK (boto3),
nothing else; deprecated runtimes cannot be used to create or update functions.

The emulator prepares one *runtime environment* per runtime, once, in a cache kept outside the
repository: a virtual environment made by an interpreter of that version, holding AWS's own
runtime interface client (``awslambdaric``) and boto3, never the kit's packages. When the machine
has no interpreter of that version, the closest one it has is used, and the function's log says so
in one line that names the version and how to install the right one.
"""

from __future__ import annotations

import functools
import glob
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags

logger = logging.getLogger("pixelkit.emulator")

# The Python runtimes Lambda supports for new functions (python3.9 was deprecated on 2025-12-15).
SUPPORTED = {f"python3.{minor}": (3, minor) for minor in (10, 11, 12, 13, 14)}
DEPRECATED = {"python2.7", "python3.6", "python3.7", "python3.8", "python3.9"}
NEWEST = "python3.13"  # what AWS's deprecation message recommends, and the kit's own runtime
# What Lambda's runtime provides besides the function's code.
RUNTIME_PACKAGES = ["awslambdaric", "boto3"]
# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34); 3.10 and 3.11 on Amazon Linux 2 (2.26).
_GLIBC = {(3, 10): 26, (3, 11): 26}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """Kept across `make clean` and fresh clones: ``PIXELKIT_CACHE_DIR``, else ~/.cache/pixelkit."""
    base = os.environ.get("PIXELKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pixelkit")
    return Path(base)


class RuntimeRefused(ValueError):
    """CreateFunction/UpdateFunctionConfiguration asked for a runtime the emulator cannot give."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_runtime(runtime: str | None) -> None:
    """Refuse a runtime as Lambda does, with Lambda's error code and message."""
    if runtime in SUPPORTED:
        return
    if runtime in DEPRECATED:
        raise RuntimeRefused(
            "InvalidParameterValueException",
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime ({NEWEST}) while creating or updating functions.",
        )
    known = _botocore_runtimes()
    if runtime not in known:
        raise RuntimeRefused(
            "ValidationException",
            f"1 validation error detected: Value '{runtime}' at 'runtime' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(known)}] or be a valid ARN",
        )
    raise RuntimeRefused(
        "InvalidParameterValueException",
        f"The local emulator runs Python functions only ({', '.join(SUPPORTED)}); {runtime} is a runtime "
        "Lambda has, but this emulator cannot run it. Use a Python runtime, or a real account (TARGET=aws).",
    )


@functools.cache
def _botocore_runtimes() -> list[str]:
    """The runtimes Lambda's API accepts, from botocore's model of it (AWS's own list)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    return list(model.shape_for("Runtime").enum)


def lambda_tags(version: tuple[int, int], architecture: str) -> set[str]:
    """The wheel tags Lambda's runtime of this Python and architecture can load."""
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    glibc = _GLIBC.get(version, 34)
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(glibc, 4, -1)]
    platforms += ["manylinux2014_" + machine] if glibc >= 17 else []
    platforms += ["linux_" + machine]
    tags = list(cpython_tags(version, platforms=platforms)) + list(compatible_tags(version, platforms=platforms))
    return {str(tag) for tag in tags}


def is_pure(tag: str) -> bool:
    parsed = Tag(*tag.split("-"))
    return parsed.abi == "none" and parsed.platform == "any"


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int]
    full_version: str
    prefix: str  # its installation, which a sandbox must let it read

    @property
    def name(self) -> str:
        return f"Python {self.full_version}"


def _probe(path: str) -> Interpreter | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys, json; print(json.dumps([list(sys.version_info[:3]), getattr(sys, \"_base_executable\", sys.executable), sys.base_prefix]))"],
            capture_output=True, text=True, timeout=20, env={"PATH": os.environ.get("PATH", "")},
        )
        (major, minor, micro), executable, prefix = json.loads(out.stdout)
    except (OSError, ValueError, TypeError, subprocess.SubprocessError):
        return None
    return Interpreter(executable or path, (major, minor), f"{major}.{minor}.{micro}", prefix)


@functools.cache
def interpreters() -> tuple[Interpreter, ...]:
    """Every CPython 3.10+ this machine has: on PATH, pyenv's and uv's; ``PIXELKIT_PYTHONS`` overrides."""
    if os.environ.get("PIXELKIT_PYTHONS") is not None:
        candidates = [p for p in os.environ["PIXELKIT_PYTHONS"].split(os.pathsep) if p]
    else:
        candidates = []
        for minor in range(10, 16):
            found = shutil.which(f"python3.{minor}")
            if found and "/shims/" not in found:  # a pyenv shim may refuse a version that is not selected
                candidates.append(found)
        pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.1[0-9]*", "bin", "python3.1[0-9]")))
        uv_root = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.expanduser("~/.local/share/uv/python")
        candidates += sorted(glob.glob(os.path.join(uv_root, "cpython-3.1[0-9]*", "bin", "python3.1[0-9]")))
        candidates.append(sys.executable)
    found: dict[tuple[int, int], Interpreter] = {}
    for path in candidates:
        interpreter = _probe(path)
        if interpreter and interpreter.version >= (3, 10) and interpreter.version not in found:
            found[interpreter.version] = interpreter
    return tuple(sorted(found.values(), key=lambda i: i.version))


def interpreter_for(runtime: str) -> tuple[Interpreter, str | None]:
    """The interpreter for a runtime, and a note when it is not the runtime's own version."""
    wanted = SUPPORTED[runtime]
    available = interpreters()
    for interpreter in available:
        if interpreter.version == wanted:
            return interpreter, None
    if not available:
        raise RuntimeError("no Python 3.10 or newer found on this machine")
    closest = min(available, key=lambda i: (abs(i.version[1] - wanted[1]), -i.version[1]))
    version = f"3.{wanted[1]}"
    note = (
        f"{runtime} runs here on {closest.name}: this machine has no Python {version}. Code that works on "
        f"{closest.name} may fail on Lambda. Install it with `pyenv install {version}` or `uv python install "
        f"{version}`, then restart the emulator."
    )
    return closest, note


@dataclass(frozen=True)
class RuntimeEnvironment:
    """A prepared runtime: its interpreter, its site-packages (awslambdaric, boto3), and its note."""

    runtime: str
    interpreter: Interpreter
    venv: Path
    note: str | None

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        major, minor = self.interpreter.version
        return self.venv / "lib" / f"python{major}.{minor}" / "site-packages"

    @property
    def exact(self) -> bool:
        return self.note is None

    def substitutes_dir(self) -> Path:
        return self.venv / "substitutes"


def runtime_environment(runtime: str, prepare: bool = True) -> RuntimeEnvironment:
    """The runtime environment of ``runtime``, made once (``pixelkit runtimes prepare`` does it ahead)."""
    interpreter, note = interpreter_for(runtime)
    venv = cache_dir() / "runtimes" / f"{runtime}-on-{interpreter.full_version}"
    environment = RuntimeEnvironment(runtime, interpreter, venv, note)
    with _LOCK:
        if not (venv / ".ready").exists():
            if not prepare:
                raise FileNotFoundError(venv)
            _make_venv(environment)
    return environment


def _pip(environment: RuntimeEnvironment, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(environment.python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
                          capture_output=True, text=True)


def wheel_cache(interpreter: Interpreter) -> Path:
    major, minor = interpreter.version
    return cache_dir() / "wheels" / f"runtime-cp{major}{minor}"


def _install(environment: RuntimeEnvironment, requirements: list[str], *options: str) -> subprocess.CompletedProcess:
    """pip install from the kept wheel cache, offline; fetching into the cache first only when it lacks them."""
    wheels = wheel_cache(environment.interpreter)
    offline = ("install", "--no-index", "--find-links", str(wheels), *options, *requirements)
    done = _pip(environment, *offline)
    if done.returncode != 0:
        wheels.mkdir(parents=True, exist_ok=True)
        fetched = _pip(environment, "download", "--dest", str(wheels), *[o for o in options if o == "--no-deps"],
                       *requirements)
        done = _pip(environment, *offline)
        if fetched.returncode != 0:
            done.stderr = fetched.stderr or done.stderr
    return done


def _make_venv(environment: RuntimeEnvironment) -> None:
    """A clean venv of the runtime's interpreter with awslambdaric and boto3: offline from the cache if it can."""
    logger.info("Preparing the %s runtime environment (on %s) in %s, once", environment.runtime,
                environment.interpreter.name, environment.venv)
    shutil.rmtree(environment.venv, ignore_errors=True)
    subprocess.run([environment.interpreter.path, "-m", "venv", str(environment.venv)], check=True,
                   capture_output=True)
    installed = _install(environment, RUNTIME_PACKAGES)
    if installed.returncode != 0:
        shutil.rmtree(environment.venv, ignore_errors=True)
        raise RuntimeError(
            f"could not prepare the {environment.runtime} runtime (awslambdaric and boto3 for "
            f"{environment.interpreter.name}): connect to the network once and run `make prepare`. "
            f"pip said: {(installed.stderr.strip().splitlines() or ['nothing'])[-1]}"
        )
    (environment.venv / ".ready").write_text(environment.interpreter.full_version)


def substitute(environment: RuntimeEnvironment, project: str, version: str) -> Path | None:
    """The same release of a native package built for the emulator's interpreter, when it is not Lambda's.

    Used only when the interpreter differs from the runtime's (the machine lacks that Python) or the
    package is built for the other architecture: what would load on Lambda must load here too.
    """
    target = environment.substitutes_dir() / f"{project}-{version}"
    with _LOCK:
        if (target / ".ready").exists():
            return target
        if _install(environment, [f"{project}=={version}"], "--target", str(target), "--no-deps").returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            return None
        (target / ".ready").touch()
        return target


def prepare(runtimes: list[str] | None = None) -> list[RuntimeEnvironment]:
    """``pixelkit runtimes prepare``: make the runtime environments now, while there is a network."""
    prepared = []
    for runtime in runtimes or [NEWEST]:
        try:
            check_runtime(runtime)
            prepared.append(runtime_environment(runtime))
        except (RuntimeRefused, RuntimeError) as error:
            from pixelkit.context.errors import WorkshopError

            raise WorkshopError(str(error)) from None
    return prepared
