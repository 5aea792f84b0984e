"""Where the kit's folders are: the package is installed in editable mode from the repository."""

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
HANDLER_DIR = KIT_ROOT / "handler"
POLICIES_DIR = KIT_ROOT / "policies"
IMAGES_DIR = KIT_ROOT / "images"


def workshop_dir() -> Path:
    """The folder of the state file; ``WORKSHOP_DIR`` moves it (the tests use a temporary one)."""
    return Path(os.environ.get("WORKSHOP_DIR", KIT_ROOT / ".workshop"))


def build_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_BUILD_DIR", KIT_ROOT / "build"))


def output_dir() -> Path:
    return Path(os.environ.get("WORKSHOP_OUT_DIR", KIT_ROOT / "out"))


def sample_images() -> list[Path]:
    """The pictures in ``images/``, in name order."""
    return sorted(
        p for p in IMAGES_DIR.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".gif", ".webp"}
    )
