"""Where the kit's folders are: the package is installed in editable mode from the repository."""

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[3]
HANDLER_DIR = KIT_ROOT / "handler"
POLICIES_DIR = KIT_ROOT / "policies"
IMAGES_DIR = KIT_ROOT / "images"


def workshop_dir() -> Path:
    """The folder of the state file; ``WORKSHOP_DIR`` moves it (the tests use a temporary one)."""
    return Path(os.environ.get("WORKSHOP_DIR", KIT_ROOT / ".workshop"))


def build_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_BUILD_DIR", KIT_ROOT / "build"))


def wheel_cache_dir() -> Path:
    """Where the Lambda wheels (Pillow for Lambda's Linux) are kept once fetched: outside build/, so that
    `make clean` keeps them and every build after the first, the tests' included, works offline.
    ``WORKSHOP_WHEEL_CACHE`` moves it."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pixelkit" / "wheels"
    return Path(os.environ.get("WORKSHOP_WHEEL_CACHE") or default)


def output_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_OUT_DIR", KIT_ROOT / "out"))


def sample_images() -> list[Path]:
    """The pictures in ``images/``, in name order."""
    return sorted(
        p for p in IMAGES_DIR.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".gif", ".webp"}
    )
