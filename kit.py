#!/usr/bin/env python3
"""The kit's commands, with or without make: ``python kit.py demo``, ``python kit.py test``, ``python kit.py help``.

Every make target is one command here (the Makefile only calls this file), so that a Windows laptop
without make, a Mac and a Linux machine run the same steps: create ``.venv`` with the standard
``venv`` module from a Python 3.10 or newer, find its interpreter where ``venv`` put it (the
``sysconfig`` scheme ``venv`` uses: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere),
install the kit with the extras the command needs, prepare the emulator's Lambda runtime, run the
command. An install is recorded in a stamp file (``.venv/.installed-kit``, ``-lab``, ``-test``)
that holds the hash of ``pyproject.toml``: a changed ``pyproject.toml`` installs again, and a
``.venv`` made by a Python older than 3.10 (or one since removed) is rebuilt.

Settings are given as make takes them, after the command or in the environment:
``python kit.py demo PYTHON=3.12``, ``python kit.py emulator LENIENT=1``,
``python kit.py upload IMAGES="my photo.jpg"``. Arguments after the command that are not NAME=value
go to the command itself (``python kit.py test tests/test_demo.py -q``; after ``--``, all of them).

Standard library only, and readable by any Python 3.6 or newer: it runs before ``.venv`` exists,
often under an older ``python3`` than the kit needs, and must be able to say so.
"""

import codecs
import hashlib
import locale
import os
import re
import shutil
import subprocess
import sys
import sysconfig

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
MINIMUM = (3, 10)
NEWEST_KNOWN_MINOR = 14
PYTHON_OK = "import sys; sys.exit(sys.version_info < (3, 10))"
WINDOWS = os.name == "nt"

# What each command installs: the kit alone, the notebooks' extras, or the tests' (which include the lab's,
# which include the kit: a richer install satisfies the lighter commands, so `demo` after `prepare`
# installs nothing and works offline).
EXTRAS = {"kit": "", "lab": "[lab]", "test": "[test]"}
IMPLIES = {"kit": ["kit"], "lab": ["lab", "kit"], "test": ["test", "lab", "kit"]}

# The settings make took as variables; given as NAME=value after the command, or in the environment.
SETTINGS = ("PYTHON", "TARGET", "ARCH", "STUDENT", "IMAGES", "LENIENT", "ENFORCE_LEARNER", "COLD",
            "MAX_ENVIRONMENTS")


class KitError(Exception):
    """A problem the user can fix: printed as it is, without a traceback, and the command exits 1."""


def launcher() -> str:
    """How the user started this: the Makefile says so, so that every hint names the command they typed."""
    return "make" if os.environ.get("PIXELKIT_LAUNCHER") == "make" else "python kit.py"


def say(text: str) -> None:
    print(text, flush=True)


def shown(command) -> str:
    """A command as the user could type it from the kit's folder (what make would echo)."""
    words = []
    for word in command:
        word = str(word)
        if os.path.isabs(word) and word.startswith(ROOT + os.sep):
            word = os.path.relpath(word, ROOT)
        words.append('"%s"' % word if " " in word else word)
    return " ".join(words)


# --- the venv's layout ------------------------------------------------------------------------------

def venv_scheme() -> str:
    """The sysconfig scheme ``venv`` lays a new environment out by: Python 3.11 and newer name it ``venv``
    (``posix_venv`` or ``nt_venv`` underneath); 3.10's ``venv`` module uses ``Scripts`` on Windows and
    ``bin`` elsewhere, which are the ``nt`` and ``posix_prefix`` schemes' folders.
    ``pixelkit.context.paths.venv_scripts_dir`` answers the same for the kit's own hints."""
    if "venv" in sysconfig.get_scheme_names():
        return "venv"
    return "nt" if WINDOWS else "posix_prefix"


def scripts_dir(venv: str, scheme: str = None) -> str:
    """The folder of a venv's interpreter and commands under ``scheme`` (default: this platform's)."""
    base = {"base": venv, "platbase": venv, "installed_base": venv, "installed_platbase": venv}
    return sysconfig.get_path("scripts", scheme or venv_scheme(), vars=base)


def venv_python(venv: str = VENV):
    """The interpreter of an existing venv, where ``venv`` put it, or None. The other layout is looked at
    too: a venv made by a Python of another build (MSYS2's on Windows uses ``bin``) is still found."""
    exe = sysconfig.get_config_var("EXE") or (".exe" if WINDOWS else "")
    schemes = [venv_scheme()] + [s for s in ("nt", "posix_prefix") if s != venv_scheme()]
    for scheme in schemes:
        for name in ("python" + exe, "python"):
            candidate = os.path.join(scripts_dir(venv, scheme), name)
            if os.path.isfile(candidate):
                return candidate
    return None


# --- which Python makes .venv -----------------------------------------------------------------------

def run_quiet(command, timeout=60, **options):
    try:
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout, **options)
    except (OSError, subprocess.SubprocessError):
        return None


def is_new_enough(command) -> bool:
    result = run_quiet(list(command) + ["-c", PYTHON_OK])
    return result is not None and result.returncode == 0


def version_of(command) -> str:
    """``Python 3.12.1`` (what ``--version`` prints), or None if it does not answer."""
    result = run_quiet(list(command) + ["--version"])
    if result is None or result.returncode != 0:
        return None
    text = (result.stdout + result.stderr).strip()
    return text.splitlines()[-1] if text else None


def is_version_name(spec: str) -> bool:
    """``3.12``, ``3.12.1`` or ``3.13t``: a version to find among pyenv's, the py launcher's or uv's."""
    return re.match(r"^\d+\.\d+(\.\d+)?[a-z0-9]*$", spec) is not None


def is_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or (WINDOWS and spec.lower().endswith(".exe")) or os.path.isfile(spec)


def pyenv_python(version: str):
    """A pyenv version's interpreter (``pyenv prefix 3.12`` picks the newest installed 3.12.x), or None."""
    if shutil.which("pyenv") is None:
        return None
    result = run_quiet(["pyenv", "prefix", version])
    if result is None or result.returncode != 0 or not result.stdout.strip():
        return None
    prefix = result.stdout.strip().splitlines()[0]
    for relative in ("bin/python3", "bin/python", "python.exe"):  # pyenv; pyenv-win
        candidate = os.path.join(prefix, *relative.split("/"))
        if os.path.isfile(candidate):
            return candidate
    return None


def launcher_python(version: str):
    """Windows' py launcher (python.org's installer puts it there): ``py -3.12``, or None."""
    if shutil.which("py") is None or not re.match(r"^\d+\.\d+$", version):
        return None
    result = run_quiet(["py", "-" + version, "-c", "import sys; print(sys.executable)"])
    if result is None or result.returncode != 0 or not result.stdout.strip():
        return None
    return result.stdout.strip().splitlines()[-1]


def uv_python(version: str):
    """A Python that uv installed (``uv python install 3.12``), or None; the others are found on PATH."""
    if shutil.which("uv") is None:
        return None
    # Away from this folder and any active venv, which uv would otherwise offer first.
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = run_quiet(["uv", "python", "find", "--python-preference", "only-managed", version],
                       cwd=os.path.expanduser("~"), env=environment)
    if result is None or result.returncode != 0 or not result.stdout.strip():
        return None
    return result.stdout.strip().splitlines()[-1]


def through_pyenv_shim(name: str, found: str):
    """``found`` itself, or the real interpreter behind a pyenv shim, with a note to show. A shim whose
    command the current pyenv version lacks (``python3.12`` while 3.11 is selected) runs nothing but an
    error; pyenv knows which installed versions have it, and the newest of them is the one meant."""
    if os.path.basename(os.path.dirname(found)) != "shims" or shutil.which("pyenv") is None:
        return found, None
    which = run_quiet(["pyenv", "which", name])
    if which is not None and which.returncode == 0 and which.stdout.strip():
        return which.stdout.strip().splitlines()[-1], None
    whence = run_quiet(["pyenv", "whence", name])
    versions = whence.stdout.split() if whence is not None and whence.returncode == 0 else []
    for version in reversed(versions):
        real = pyenv_python(version)
        if real is not None:
            return real, ("%s is a pyenv shim, and the selected pyenv version does not have it: "
                          "using pyenv's %s (%s)" % (name, version, real))
    raise KitError("PYTHON=%s is a pyenv shim, and no pyenv version has %s: `pyenv install %s`, "
                   "then try again." % (name, name, name.replace("python", "") or "3.12"))


def resolve_python(spec: str):
    """The interpreter that ``PYTHON=spec`` means, as a command list: a path, a command on PATH (a pyenv
    shim followed to its interpreter), or a version name found by pyenv, the py launcher, uv, or as
    ``pythonX.Y`` on PATH. A KitError says what PYTHON= takes when none of them has it."""
    if is_path(spec):
        path = os.path.expanduser(spec)
        if not os.path.isfile(path):
            raise KitError("PYTHON=%s: there is no such file.\n%s" % (spec, what_python_takes()))
        return [path], None
    if is_version_name(spec):
        for find in (pyenv_python, launcher_python, uv_python):
            found = find(spec)
            if found is not None:
                return [found], "PYTHON=%s is %s" % (spec, found)
        command = "python" + spec
        if re.match(r"^\d+\.\d+$", spec) and shutil.which(command) is not None:
            return resolve_python(command)
        raise KitError("PYTHON=%s names a Python version, and none is installed here: neither pyenv, nor "
                       "Windows' py launcher, nor uv has it%s.\n%s"
                       % (spec, "" if command.count(".") > 1 else ", and there is no %s on PATH" % command,
                          what_python_takes()))
    found = shutil.which(spec)
    if found is None:
        raise KitError("PYTHON=%s: there is no command of that name on PATH.\n%s" % (spec, what_python_takes()))
    if WINDOWS and "WindowsApps" in found and version_of([found]) is None:
        raise KitError("PYTHON=%s is Windows' shortcut to the Microsoft Store, and no Python is installed "
                       "from there: install Python 3.13 from the Microsoft Store or python.org, then try again."
                       % spec)
    real, note = through_pyenv_shim(spec, found)
    return [real], note


def what_python_takes() -> str:
    example = "%s %s PYTHON=python3.12" % (launcher(), COMMAND_NAME or "demo")
    kinds = "a command (python3.12), a pyenv version (3.12 or 3.12.1) or a path (%s)" % (
        r"C:\Python312\python.exe" if WINDOWS else "/usr/local/bin/python3.12")
    if WINDOWS:
        kinds += "; a version (3.12) is also looked for with the py launcher"
    return ("Install Python 3.10 or newer and name it, e.g.: %s\nPYTHON= takes %s. Where to get Python 3.10 to 3.14 "
            "for your computer: README.md, \"Your computer\"." % (example, kinds))


def base_python(spec):
    """The Python that creates .venv, checked to be 3.10 or newer. Without PYTHON: the one running this
    file if it is new enough, else the newest pythonX.Y (X.Y from 3.14 down to 3.10) found."""
    if spec:
        command, note = resolve_python(spec)
        if not is_new_enough(command):
            raise KitError("The kit needs Python 3.10 or newer, and PYTHON=%s is %s.\n%s" % (
                spec, version_of(command) or "a command that does not answer as Python does", what_python_takes()))
        return command, note
    if sys.version_info >= MINIMUM:
        return [sys.executable], None
    for minor in range(NEWEST_KNOWN_MINOR, MINIMUM[1] - 1, -1):
        version = "3.%d" % minor
        try:
            command, _ = resolve_python(version)
        except KitError:
            continue
        if is_new_enough(command):
            return command, "%s is Python %d.%d; using Python %s (%s)" % (
                sys.executable, sys.version_info[0], sys.version_info[1], version, command[0])
    raise KitError("The kit needs Python 3.10 or newer, and %s is Python %s; no newer one was found.\n%s" % (
        sys.executable, sys.version.split()[0], what_python_takes()))


# --- .venv --------------------------------------------------------------------------------------------

def pyproject_hash() -> str:
    with open(PYPROJECT, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def stamp(kind: str) -> str:
    return os.path.join(VENV, ".installed-" + kind)


def is_fresh(kind: str) -> bool:
    """Installed from this pyproject.toml: the stamp holds its hash (an empty stamp of the Makefile
    before this file counts if it is newer than pyproject.toml, as make judged it)."""
    try:
        with open(stamp(kind)) as handle:
            text = handle.read().strip()
        if text:
            return text == pyproject_hash()
        return os.path.getmtime(stamp(kind)) >= os.path.getmtime(PYPROJECT)
    except OSError:
        return False


def check(command, what: str) -> None:
    say(shown(command))
    code = subprocess.call(command, cwd=ROOT)
    if code != 0:
        raise KitError("%s failed (exit status %d; its message is above). Without the network, the kit "
                       "installs only what an earlier `%s prepare` fetched." % (what, code, launcher()))


def has_pip(python: str) -> bool:
    result = run_quiet([python, "-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"])
    return result is not None and result.returncode == 0


def remove_venv() -> None:
    try:
        shutil.rmtree(VENV)
    except OSError as error:
        raise KitError("Could not remove .venv (%s). Is a program from it still running (the emulator, "
                       "JupyterLab)? Stop it, then run the command again." % error)


def ensure_venv(kind: str, spec) -> str:
    """``.venv`` with the kit and ``kind``'s extras installed from this pyproject.toml; its interpreter."""
    python = venv_python()
    if os.path.exists(VENV) and (python is None or not is_new_enough([python])):
        made_by = (version_of([python]) if python else None) or "a Python that is gone"
        say("Removing .venv: it was made by %s, and the kit needs Python 3.10 or newer." % made_by)
        remove_venv()
        python = None
    elif python is not None and spec:
        wanted, note = base_python(spec)
        have, want = version_of([python]), version_of(wanted)
        if have != want:
            say("Removing .venv: it was made by %s, and PYTHON=%s is %s." % (have, spec, want))
            remove_venv()
            python = None
    if python is not None and is_fresh(kind):
        return python
    if python is not None and not has_pip(python):
        say("Removing .venv: it has no pip (its making stopped halfway).")
        remove_venv()
        python = None
    if python is None:
        base, note = base_python(spec)
        if note:
            say(note)
        say(shown(base + ["-m", "venv", VENV]))
        if subprocess.call(base + ["-m", "venv", VENV], cwd=ROOT) != 0:
            shutil.rmtree(VENV, ignore_errors=True)  # half a venv would be taken for a whole one next time
            raise KitError("%s could not create .venv (its message is above). On Debian and Ubuntu, "
                           "`sudo apt install python3-venv` (or python3.X-venv for that version) gives it the "
                           "venv module with pip." % base[0])
        python = venv_python()
        if python is None:
            raise KitError("%s -m venv made no interpreter in .venv (looked in %s). Its Python may lack the "
                           "venv module (Debian/Ubuntu: `sudo apt install python3-venv`)."
                           % (base[0], scripts_dir(VENV)))
    check([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "Upgrading pip in .venv")
    check([python, "-m", "pip", "install", "--quiet", "-e", "." + EXTRAS[kind]], "Installing the kit into .venv")
    # The emulator's Lambda runtime: Python 3.13 with AWS's runtime interface client and boto3, once.
    check([python, "-m", "pixelkit", "runtimes", "prepare"], "Preparing the emulator's Lambda runtime")
    digest = pyproject_hash()
    for implied in IMPLIES[kind]:
        with open(stamp(implied), "w") as handle:
            handle.write(digest + "\n")
    return python


# --- the commands -------------------------------------------------------------------------------------

def on(name: str) -> bool:
    """A make-style switch: set, and not 0."""
    return os.environ.get(name, "") not in ("", "0")


def emulator_options():
    options = [flag for name, flag in (("LENIENT", "--lenient"), ("ENFORCE_LEARNER", "--enforce-learner"),
                                       ("COLD", "--cold")) if on(name)]
    if os.environ.get("MAX_ENVIRONMENTS"):
        options += ["--max-environments", os.environ["MAX_ENVIRONMENTS"]]
    return options


def arch():
    return ["--architecture", os.environ.get("ARCH") or "x86_64"]


# notebook 07's wrong Python, kept with the Lambda wheels.
WRONG_PYTHON_PACKAGE = "from pixelkit.teaching import mistakes; print(mistakes.wrong_python_package().path)"

# name: (what it installs, the commands it runs with .venv's Python, help). A command is a list of the
# interpreter's arguments, or a function of the settings that returns one.
COMMANDS = {
    "demo": ("kit", [["-m", "pixelkit", "demo"]],
             "the whole pipeline on the local emulator; pictures land in out/"),
    "test": ("test", [["-m", "pytest"]], "run every test (arguments after it go to pytest)"),
    "emulator": ("kit", [lambda: ["-m", "pixelkit", "emulator"] + emulator_options()],
                 "serve the local AWS emulator on http://127.0.0.1:4566 (Ctrl-C stops it). As strict as\n"
                 "AWS about IAM, new roles, triggers and bucket names; LENIENT=1 relaxes all but IAM;\n"
                 "ENFORCE_LEARNER=1 holds your own keys to policies/learner-policy.json\n"
                 "MAX_ENVIRONMENTS=N: execution environments at once (default: cores); COLD=1: no reuse\n"
                 "WORKSHOP_EMULATOR_PORT=4567: another port (it prints the WORKSHOP_ENDPOINT_URL to export)"),
    "runtimes": ("kit", [["-m", "pixelkit", "runtimes", "list"]],
                 "which Python runs each Lambda runtime in the emulator"),
    "setup": ("kit", [lambda: ["-m", "pixelkit", "setup"] + arch()], "steps 1-4 (TARGET=aws for a real account)"),
    "upload": ("kit", [["-m", "pixelkit", "upload"]],
               "step 5 (IMAGES=photo.jpg, a folder, or IMAGES='a.jpg \"my photo.png\"' to choose pictures)"),
    "cleanup": ("kit", [["-m", "pixelkit", "cleanup"]], "step 6: delete everything the kit made"),
    "status": ("kit", [["-m", "pixelkit", "status"]], "what of the kit exists on the target"),
    "package": ("kit", [lambda: ["-m", "pixelkit", "package"] + arch()],
                "build the Lambda deployment package into build/ (ARCH=arm64 for Graviton)"),
    "plan": ("kit", [lambda: ["-m", "pixelkit", "setup", "--dry-run"] + arch()],
             "print every AWS call setup would make, and make none (dry run)"),
    "orphans": ("kit", [["-m", "pixelkit", "cleanup", "--all-tagged"]],
                "cleanup --all-tagged: remove the kit's resources of earlier runs, found by tags\n"
                "(without STUDENT, every student's too: an instructor's command)\n"
                "STUDENT=alice isolates one learner in a shared account; TARGET=aws for a real account"),
    "bench": ("kit", [["bench/pixelate_bench.py"]],
              "time the handler against the tutorial's (median ms, speed-up, peak memory)"),
    "bench-emulator": ("kit", [["bench/emulator_bench.py"]],
                       "the emulator end to end: warm execution environments against cold ones"),
    "lab": ("lab", [["-m", "pixelkit", "lab"]],
            "the emulator and JupyterLab on your copies of notebooks/ (in .workshop/notebooks;\n"
            "loopback only); quitting stops both"),
    # Everything a room without network needs, fetched once: .venv with every extra, the Lambda wheels for
    # both architectures and notebook 07's wrong Python (in the kit's wheel cache), and the emulator's
    # runtime environments where the emulator has them.
    "prepare": ("test", [["-m", "pixelkit", "package", "--architecture", "x86_64"],
                         ["-m", "pixelkit", "package", "--architecture", "arm64"],
                         ["-c", WRONG_PYTHON_PACKAGE],
                         ["-m", "pixelkit", "runtimes", "prepare", "python3.13", "python3.12"]],
                "fetch everything a classroom needs from the network, once: .venv with the\n"
                "notebooks' and tests' extras, the Lambda wheels, the emulator's runtimes\n"
                "(afterwards every command works offline; `offline` is the same)"),
}
COMMANDS["offline"] = COMMANDS["prepare"][:2] + ("the same as prepare",)
HELP_ORDER = ["demo", "test", "emulator", "runtimes", "setup", "upload", "cleanup", "status", "package", "plan",
              "orphans", "bench", "bench-emulator", "lab", "prepare", "clean"]
COMMAND_NAME = None


def show_help() -> int:
    width = 17
    for name in HELP_ORDER:
        if name == "clean":
            text = ("delete build/, out/ and test caches; .venv, .workshop/ and the kept Lambda\n"
                    "wheels and runtimes (the kit's cache folder) stay")
        else:
            text = COMMANDS[name][2]
        lines = text.split("\n")
        say(("%s %s" % (launcher(), name)).ljust(len(launcher()) + width) + lines[0])
        for line in lines[1:]:
            say(" " * (len(launcher()) + width) + line)
    say("PYTHON=python3.12 chooses the Python (3.10 or newer) that creates .venv: a command, a pyenv version\n"
        "(PYTHON=3.12) or a path. Settings go after the command: %s demo PYTHON=3.12" % launcher())
    return 0


def clean() -> int:
    """build/, out/ and pytest's cache; the kept Lambda wheels and runtimes are elsewhere, so builds stay offline."""
    for name in ("build", "out", ".pytest_cache"):
        say("removing " + name)
        shutil.rmtree(os.path.join(ROOT, name), ignore_errors=True)
    return 0


def run_last(command) -> int:
    """The command the user asked for, as the process itself where the OS can (a Ctrl-C reaches it alone,
    its exit status is ours); on Windows, a child whose end we wait for through any Ctrl-C."""
    say(shown(command))
    if os.name == "posix":
        os.chdir(ROOT)
        os.execv(command[0], command)
    process = subprocess.Popen(command, cwd=ROOT)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # the console sent Ctrl-C to the child too: it ends itself, and we report how


def child_environment() -> None:
    """What the Makefile exported: the target (local unless TARGET says), the student, a plotting backend
    that needs no display."""
    os.environ["WORKSHOP_TARGET"] = os.environ.get("TARGET") or "local"
    if os.environ.get("STUDENT"):
        os.environ["WORKSHOP_STUDENT"] = os.environ["STUDENT"]
    os.environ["MPLBACKEND"] = "Agg"
    # Where the locale's encoding is not UTF-8 (Windows' cp1252, written to a pipe or a log file), Python's
    # UTF-8 mode, so that what the kit prints and the files it writes read the same on every computer.
    if codecs.lookup(locale.getpreferredencoding(False)).name != "utf-8":
        os.environ.setdefault("PYTHONUTF8", "1")


def main(argv) -> int:
    global COMMAND_NAME
    verbatim = []
    if "--" in argv:  # after --: the command's own arguments, untouched
        argv, verbatim = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    settings = [a for a in argv if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", a)]
    words = [a for a in argv if a not in settings] + verbatim
    for setting in settings:  # as make passes its command line's variables: into the environment
        name, value = setting.split("=", 1)
        os.environ[name] = value
    if not words or words[0] in ("help", "-h", "--help"):
        return show_help()
    name, rest = words[0], words[1:]
    COMMAND_NAME = name
    try:
        if name == "clean":
            return clean()
        if name == "install":  # what the Makefile's .venv/.installed-KIND targets run
            if not rest or rest[0] not in EXTRAS:
                raise KitError("install takes one of: " + ", ".join(EXTRAS))
            ensure_venv(rest[0], os.environ.get("PYTHON"))
            return 0
        if name not in COMMANDS:
            raise KitError("%s %s: there is no such command. `%s help` lists them." % (launcher(), name, launcher()))
        kind, steps, _ = COMMANDS[name]
        python = ensure_venv(kind, os.environ.get("PYTHON"))
        child_environment()
        steps = [step() if callable(step) else list(step) for step in steps]
        if len(steps) == 1:
            return run_last([python] + steps[0] + rest)
        for step in steps:
            check([python] + step, "`%s`" % shown([python] + step))
        say("Ready: demo, setup, plan, lab and test now work without the network.")
        return 0
    except KitError as error:
        print(str(error), file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again: it goes on where it stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # `python kit.py help | head`: the reader has gone, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
