"""Where the kit's folders are: the package is installed in editable mode from the repository.

Caches go where this computer's OS keeps them (platformdirs' user cache folder: ~/.cache/pixelkit on
Linux, ~/Library/Caches/pixelkit on macOS, %LOCALAPPDATA%\\pixelkit\\Cache on Windows), and the commands
the kit's hints name are in the folder where ``venv`` put them (sysconfig's scheme: ``bin`` or
``Scripts``), so that a hint is true on the computer that prints it.
"""

import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

import platformdirs

KIT_ROOT = Path(__file__).resolve().parents[3]
HANDLER_DIR = KIT_ROOT / "handler"
POLICIES_DIR = KIT_ROOT / "policies"
IMAGES_DIR = KIT_ROOT / "images"


def workshop_dir() -> Path:
    """The folder of the state file; ``WORKSHOP_DIR`` moves it (the tests use a temporary one)."""
    return Path(os.environ.get("WORKSHOP_DIR", KIT_ROOT / ".workshop"))


def build_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_BUILD_DIR", KIT_ROOT / "build"))


def cache_dir() -> Path:
    """The kit's kept downloads (the Lambda wheels, the emulator's runtimes), across `make clean` and fresh
    clones: ``PIXELKIT_CACHE_DIR``, else this computer's user cache folder. On Linux that is
    ~/.cache/pixelkit (``$XDG_CACHE_HOME/pixelkit``) as before; a ~/.cache/pixelkit made by an older kit
    elsewhere is still used while the platform's folder does not exist."""
    if os.environ.get("PIXELKIT_CACHE_DIR"):
        return Path(os.environ["PIXELKIT_CACHE_DIR"])
    platform_dir = Path(platformdirs.user_cache_dir("pixelkit", appauthor=False))
    legacy = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pixelkit"
    if not platform_dir.exists() and legacy.is_dir():
        return legacy
    return platform_dir


def wheel_cache_dir() -> Path:
    """Where the Lambda wheels (Pillow for Lambda's Linux) are kept once fetched: outside build/, so that
    `make clean` keeps them and every build after the first, the tests' included, works offline.
    ``WORKSHOP_WHEEL_CACHE`` moves it."""
    return Path(os.environ.get("WORKSHOP_WHEEL_CACHE") or cache_dir() / "wheels")


def output_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_OUT_DIR", KIT_ROOT / "out"))


def sample_images() -> list[Path]:
    """The pictures in ``images/``, in name order."""
    return sorted(
        p for p in IMAGES_DIR.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".gif", ".webp"}
    )


def venv_scheme() -> str:
    """The sysconfig scheme ``venv`` lays an environment out by (kit.py's ``venv_scheme`` is the same):
    ``venv`` from Python 3.11 on; on 3.10, ``nt`` (``Scripts``) on Windows and ``posix_prefix`` (``bin``)
    elsewhere, the folders 3.10's ``venv`` module uses."""
    if "venv" in sysconfig.get_scheme_names():
        return "venv"
    return "nt" if os.name == "nt" else "posix_prefix"


def venv_scripts_dir(venv: str | Path | None = None, scheme: str | None = None) -> Path:
    """The folder of a venv's interpreter and commands: ``.venv/bin`` on Linux and macOS,
    ``.venv\\Scripts`` on Windows. ``venv`` defaults to the one this Python runs in, else the kit's
    ``.venv``; ``scheme`` to this platform's (``nt`` gives Windows' layout anywhere)."""
    if venv is None:
        venv = sys.prefix if sys.prefix != sys.base_prefix else KIT_ROOT / ".venv"
    base = {"base": str(venv), "platbase": str(venv), "installed_base": str(venv), "installed_platbase": str(venv)}
    return Path(sysconfig.get_path("scripts", scheme or venv_scheme(), vars=base))


def venv_command(name: str, scheme: str | None = None) -> str:
    """A command of the kit's venv as a learner types it in the kit's folder: ``.venv/bin/pixelkit``
    here, ``.venv\\Scripts\\pixelkit`` on Windows (where the console scripts' ``.exe`` is found without it).
    The hints that name a command of the venv use this, so that each is true where it is printed."""
    folder = venv_scripts_dir(scheme=scheme)
    if not folder.is_relative_to(KIT_ROOT):
        return str(folder / name)
    windows = os.name == "nt" if scheme is None else scheme.startswith("nt")
    return ("\\" if windows else "/").join(folder.relative_to(KIT_ROOT).parts + (name,))


def as_typed_here(text: str, make: bool | None = None) -> str:
    """A message's `make X` commands as this computer runs them: unchanged where make is installed;
    elsewhere (Windows, as a rule) `python kit.py X`, which takes the same settings (`make setup TARGET=aws`
    is `python kit.py setup TARGET=aws`). ``make`` says whether make is there (default: look on PATH)."""
    if make is None:
        make = shutil.which("make") is not None
    return text if make else re.sub(r"`make (?=[a-z.])", "`python kit.py ", text)


def environment_settings(**values: str) -> str:
    """The line that sets these environment variables in this computer's usual shell: ``export A=1 B=2``,
    or PowerShell's ``$env:A = "1"; $env:B = "2"`` on Windows."""
    if os.name == "nt":
        return "; ".join(f'$env:{name} = "{value}"' for name, value in values.items())
    return "export " + " ".join(f"{name}={value}" for name, value in values.items())
