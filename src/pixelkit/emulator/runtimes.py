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

Nothing here assumes Linux: the cache is platformdirs' user cache folder, a venv's programs and
site-packages are where its interpreter's ``sysconfig`` puts them (``Scripts\\python.exe`` on
Windows), and what an interpreter loads is its own ``packaging.tags.sys_tags()``.
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

from pixelkit.emulator import capabilities
from pixelkit.context import paths

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
    scripts: str = "bin"  # where a venv it makes keeps its programs, relative to the venv (Scripts on Windows)
    purelib: str = ""  # and its site-packages, relative to the venv
    exe_suffix: str = ""  # ".exe" on Windows

    @property
    def name(self) -> str:
        return f"Python {self.full_version}"


# What an interpreter says of itself: its version, its installation, and the layout of a venv it makes
# (sysconfig's "venv" scheme where it has one, 3.11+; else the scheme venv itself uses on 3.10: "nt" on
# Windows, "posix_prefix" elsewhere; not the default scheme, which is Debian's "posix_local", i.e. local/bin).
_PROBE = """
import json, os, sys, sysconfig
names = sysconfig.get_scheme_names()
scheme = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
paths = {name: sysconfig.get_path(name, scheme, vars={"base": "@V@", "platbase": "@V@"}) for name in ("scripts", "purelib")}
print(json.dumps([list(sys.version_info[:3]), getattr(sys, "_base_executable", sys.executable), sys.base_prefix,
                  paths, sysconfig.get_config_var("EXE") or ""]))
"""


def _probe(path: str) -> Interpreter | None:
    try:
        out = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=20,
                             env={"PATH": os.environ.get("PATH", ""), **os_essentials()})
        (major, minor, micro), executable, prefix, paths, exe_suffix = json.loads(out.stdout)
        scripts, purelib = (os.path.relpath(paths[name], "@V@") for name in ("scripts", "purelib"))
    except (OSError, ValueError, TypeError, KeyError, subprocess.SubprocessError):
        return None
    return Interpreter(executable or path, (major, minor), f"{major}.{minor}.{micro}", prefix, scripts, purelib,
                       exe_suffix)


@functools.cache
def _found_interpreters() -> tuple[Interpreter, ...]:
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
        candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.1[0-9]*", "python.exe")))  # pyenv-win
        uv_root = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.expanduser("~/.local/share/uv/python")
        candidates += sorted(glob.glob(os.path.join(uv_root, "cpython-3.1[0-9]*", "bin", "python3.1[0-9]")))
        candidates += sorted(glob.glob(os.path.join(uv_root, "cpython-3.1[0-9]*", "python.exe")))  # uv on Windows
        candidates.append(sys.executable)
    found: dict[tuple[int, int], Interpreter] = {}
    for path in candidates:
        interpreter = _probe(path)
        if interpreter and interpreter.version >= (3, 10) and interpreter.version not in found:
            found[interpreter.version] = interpreter
    return tuple(sorted(found.values(), key=lambda i: i.version))


def interpreters() -> tuple[Interpreter, ...]:
    """The interpreters found, less the versions ``PIXELKIT_WITHOUT`` hides (``python3.13``)."""
    return tuple(i for i in _found_interpreters() if not capabilities.python_hidden(i.version))


def os_essentials() -> dict[str, str]:
    """What this OS needs in any process's environment for it to start (Windows: SYSTEMROOT, for sockets)."""
    return {name: os.environ[name] for name in ("SYSTEMROOT", "WINDIR") if name in os.environ}


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
    if capabilities.python_hidden(wanted):
        return closest, (f"{runtime} runs here on {closest.name}: {capabilities.SWITCH} hides this machine's "
                         f"Python {version}. Code that works on {closest.name} may fail on Lambda.")
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
        return self.venv / self.interpreter.scripts / f"python{self.interpreter.exe_suffix}"

    @property
    def site_packages(self) -> Path:
        if self.interpreter.purelib:
            return self.venv / self.interpreter.purelib
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
    venv = paths.cache_dir() / "runtimes" / f"{runtime}-on-{interpreter.full_version}"
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
    return paths.cache_dir() / "wheels" / f"runtime-cp{major}{minor}"


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


_TAGS_PROBE = """
import json
try:
    from pip._vendor.packaging import tags
except ImportError:
    from packaging import tags
print(json.dumps([str(tag) for tag in tags.sys_tags()]))
"""


@functools.cache
def _tags_of(python: str) -> tuple[str, ...]:
    done = subprocess.run([python, "-c", _TAGS_PROBE], capture_output=True, text=True, timeout=60,
                          env=os_essentials())
    try:
        return tuple(json.loads(done.stdout))
    except ValueError:
        raise RuntimeError(f"could not ask {python} which wheels it loads: "
                           f"{(done.stderr.strip().splitlines() or ['no answer'])[-1]}") from None


def interpreter_tags(environment: RuntimeEnvironment) -> tuple[str, ...]:
    """The wheel tags the runtime's own interpreter loads, best first (``packaging.tags.sys_tags()`` run in it)."""
    return _tags_of(str(environment.python))


def why_it_cannot_load(environment: RuntimeEnvironment, architecture: str) -> str:
    """Why a wheel that loads on Lambda does not load on this runtime's interpreter, in the learner's words."""
    best = interpreter_tags(environment)[0].split("-")[-1]
    wanted = SUPPORTED[environment.runtime]
    if not any(tag.split("-")[-1].startswith(("manylinux", "musllinux", "linux")) for tag in interpreter_tags(environment)):
        return f"this is not Lambda's Linux (this computer loads {best} wheels)"
    if environment.interpreter.version != wanted:
        return f"this machine has no Python {wanted[0]}.{wanted[1]}, and the runtime runs on {environment.interpreter.name}"
    return f"the function is built for {architecture} and this computer loads {best} wheels"


def fetch_substitutes(environment: RuntimeEnvironment, requirements: list[str]) -> Path:
    """Fetch ``requirements`` as wheels for this runtime's interpreter into its kept cache (``make prepare``).

    They are what stands in for a package's Lambda wheels where those cannot load here (a Mac, Windows,
    another Python): with them in the cache, that works offline. Already there: nothing is fetched.
    """
    wheels = wheel_cache(environment.interpreter)
    wheels.mkdir(parents=True, exist_ok=True)
    common = ("download", "--dest", str(wheels), "--only-binary=:all:", "--no-deps", *requirements)
    if _pip(environment, *common[:3], "--no-index", "--find-links", str(wheels), *common[3:]).returncode == 0:
        return wheels
    fetched = _pip(environment, *common)
    if fetched.returncode != 0:
        raise RuntimeError(f"could not fetch {', '.join(requirements)} for {environment.interpreter.name} on this "
                           f"computer: connect to the network and run `make prepare` again. pip said: "
                           f"{(fetched.stderr.strip().splitlines() or ['nothing'])[-1]}")
    return wheels


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


def prepare(runtimes: list[str] | None = None, substitutes: list[str] | None = None) -> list[RuntimeEnvironment]:
    """``pixelkit runtimes prepare``: make the runtime environments now, while there is a network.

    ``substitutes``: requirements (the handler's, e.g. ``pillow==13.0.0``) to fetch for each runtime's
    interpreter too, so that where the package's Lambda wheels cannot load here the same release for
    this computer is in the cache, offline.
    """
    prepared = []
    for runtime in runtimes or [NEWEST]:
        try:
            check_runtime(runtime)
            environment = runtime_environment(runtime)
            if substitutes:
                try:
                    fetch_substitutes(environment, substitutes)
                except RuntimeError as error:  # the runtime itself is ready; only a stand-in for a Linux wheel is missing
                    logger.warning("%s: %s", runtime, error)
            prepared.append(environment)
        except (RuntimeRefused, RuntimeError) as error:
            from pixelkit.context.errors import WorkshopError

            raise WorkshopError(str(error)) from None
    return prepared
