"""The deployment package: one zip with ``lambda_function.py`` at its root and Pillow beside it.

Pillow has native code, so it is fetched as Linux wheels for the function's
runtime and architecture (never this machine's own wheels): the zip that works
here works on Lambda. The zip is reproducible (fixed timestamps, sorted entries)
and cached in ``build/`` under a key of its inputs.

The wheels are downloaded once into a kept cache (``paths.wheel_cache_dir()``,
``~/.cache/pixelkit/wheels``), outside ``build/``: every later build, in any folder,
installs from there without the network (`make prepare` fills it for a classroom).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import HANDLER_DIR, build_dir, wheel_cache_dir

logger = logging.getLogger(__name__)

RUNTIME = "python3.13"
ARCHITECTURES = ("x86_64", "arm64")
HANDLER = "lambda_function.lambda_handler"
# Bump when the way the zip is built changes, so that cached zips are rebuilt.
BUILDER_VERSION = "1"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
PIP_PLATFORMS = {
    "x86_64": ["manylinux_2_28_x86_64", "manylinux2014_x86_64"],
    "arm64": ["manylinux_2_28_aarch64", "manylinux2014_aarch64"],
}


@dataclass(frozen=True)
class Package:
    path: Path
    runtime: str
    architecture: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def code_sha256(self) -> str:
        """The hash as Lambda gives it in a function's CodeSha256: base64 of the SHA-256 digest."""
        return base64.b64encode(hashlib.sha256(self.path.read_bytes()).digest()).decode()

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


def handler_files() -> list[Path]:
    return sorted(p for p in HANDLER_DIR.glob("*.py"))


def _cache_key(runtime: str, architecture: str) -> str:
    digest = hashlib.sha256()
    for part in (BUILDER_VERSION, runtime, architecture):
        digest.update(part.encode() + b"\0")
    for path in handler_files() + [HANDLER_DIR / "requirements.txt"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def wheel_cache(runtime: str, architecture: str) -> Path:
    return wheel_cache_dir() / f"{runtime}-{architecture}"


def _platform_args(runtime: str, architecture: str) -> list[str]:
    return [
        *[arg for platform in PIP_PLATFORMS[architecture] for arg in ("--platform", platform)],
        "--implementation", "cp", "--python-version", runtime.removeprefix("python"),
        "--only-binary=:all:", "-r", str(HANDLER_DIR / "requirements.txt"),
    ]


def _pip(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True)


def _install_from_cache(target_dir: Path, runtime: str, architecture: str) -> subprocess.CompletedProcess:
    """Install the wheels from the kept cache only (``--no-index``): no network."""
    cache = wheel_cache(runtime, architecture)
    return _pip("install", "--no-index", "--find-links", str(cache), "--target", str(target_dir), "--no-compile",
                *_platform_args(runtime, architecture))


def fetch_wheels(runtime: str = RUNTIME, architecture: str = "x86_64") -> Path:
    """Download the Lambda wheels into the kept cache (the one step that needs the network); return the cache."""
    cache = wheel_cache(runtime, architecture)
    cache.mkdir(parents=True, exist_ok=True)
    logger.info("  fetching %s wheels for %s on %s into %s", ", ".join(requirements()), runtime, architecture, cache)
    result = _pip("download", "--dest", str(cache), *_platform_args(runtime, architecture))
    if result.returncode != 0:
        raise WorkshopError(
            f"pip could not fetch the Linux wheels of handler/requirements.txt for {runtime} on "
            f"{architecture}:\n{result.stderr.strip()[-1500:]}\n"
            f"They are fetched once and kept in {cache}; every later build works offline. Connect to the "
            "network once and run the step again (or `make prepare`, which fills every cache a classroom needs)."
        )
    return cache


def _install_dependencies(target_dir: Path, runtime: str, architecture: str) -> None:
    if _install_from_cache(target_dir, runtime, architecture).returncode == 0:
        logger.debug("Installed the wheels from %s", wheel_cache(runtime, architecture))
        return
    fetch_wheels(runtime, architecture)
    result = _install_from_cache(target_dir, runtime, architecture)
    if result.returncode != 0:
        raise WorkshopError(
            f"pip could not install the wheels kept in {wheel_cache(runtime, architecture)}:\n"
            f"{result.stderr.strip()[-1500:]}\nDelete that folder and run the step again (with the network)."
        )


def _write_zip(zip_path: Path, roots: list[tuple[Path, str]]) -> None:
    """Zip files with fixed timestamps and sorted names: the same inputs give the same bytes."""
    entries = []
    for root, prefix in roots:
        if root.is_file():
            entries.append((prefix + root.name, root))
            continue
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                entries.append((prefix + path.relative_to(root).as_posix(), path))
    tmp = zip_path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, path.read_bytes())
    os.replace(tmp, zip_path)


def build_package(runtime: str = RUNTIME, architecture: str = "x86_64") -> Package:
    """Build (or reuse from ``build/``) the zip that step 3 uploads."""
    if architecture not in ARCHITECTURES:
        raise WorkshopError(f"Unknown architecture {architecture!r}: choose x86_64 or arm64.")
    out_dir = build_dir() / f"{runtime}-{architecture}"
    zip_path = out_dir / "deployment-package.zip"
    key_path = out_dir / "deployment-package.key"
    key = _cache_key(runtime, architecture)
    package = Package(zip_path, runtime, architecture)
    if zip_path.exists() and key_path.exists() and key_path.read_text() == key:
        logger.debug("Reusing %s", zip_path)
        return package
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pixelkit-package-") as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        _install_dependencies(site, runtime, architecture)
        # Installers leave a bin/ folder of console scripts; Lambda has no use for it.
        shutil.rmtree(site / "bin", ignore_errors=True)
        _write_zip(zip_path, [(site, "")] + [(path, "") for path in handler_files()])
    key_path.write_text(key)
    logger.info("  built %s (%.1f MB)", zip_path.relative_to(build_dir().parent) if zip_path.is_relative_to(build_dir().parent) else zip_path, package.size / 1e6)
    return package


def requirements() -> list[str]:
    lines = (HANDLER_DIR / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
