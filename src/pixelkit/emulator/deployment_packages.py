"""Deployment packages: Lambda's size limits, checked before anything is unpacked, and unpacking.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
a .zip uploaded directly is at most 50 MB, and the function's code and layers unpacked at most
250 MB; over either, CreateFunction/UpdateFunctionCode fail with Lambda's own errors, so a zip
bomb is refused from its directory alone. Native libraries are what Lambda would load: a wheel
built for another Python than the runtime's fails to import here as it fails there. Only where the
difference is the emulator's own (no interpreter of the runtime's version on this machine, or a
package for the other architecture, or a computer that is not Linux) is the same release for this
machine put in its place, and the function's log says so. What loads here is decided from the
runtime interpreter's own wheel tags (``packaging.tags.sys_tags()`` run in it), never from the CPU.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

from pixelkit.emulator import runtimes

ZIPPED_LIMIT = 50 * 1024 * 1024  # a .zip uploaded in the request
REQUEST_LIMIT = 70167211  # what Lambda's error names: the request that carries it, base64-encoded
UNZIPPED_LIMIT = 262144000  # 250 MB, code and layers together


class PackageRefused(ValueError):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def unzipped_size(zip_bytes: bytes) -> int:
    """The unpacked size from the zip's directory; a name that would land outside the folder is refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            for info in archive.infolist():
                parts = info.filename.replace("\\", "/").split("/")
                if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise PackageRefused("InvalidParameterValueException",
                                         f"Could not unzip uploaded file: the entry {info.filename!r} points outside "
                                         "the package. Please check your file, then try to upload again.")
            return sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise PackageRefused("InvalidParameterValueException",
                             "Could not unzip uploaded file. Please check your file, then try to upload again.") from error


def check_package(zip_bytes: bytes, operation: str) -> None:
    """Refuse what Lambda refuses, with its messages, before a byte is written to disk."""
    if len(zip_bytes) > ZIPPED_LIMIT:
        raise PackageRefused("RequestEntityTooLargeException",
                             f"Request must be smaller than {REQUEST_LIMIT} bytes for the {operation} operation", 413)
    check_unzipped(unzipped_size(zip_bytes))


def check_unzipped(total: int) -> None:
    """Lambda's limit on a function's code and layers, unzipped, together."""
    if total > UNZIPPED_LIMIT:
        raise PackageRefused("InvalidParameterValueException",
                             f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")


class CodeStore:
    """Unpacked code, once per content, under the emulator's own temporary folder."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()

    def unpack(self, key: str, zip_bytes: bytes, environment: runtimes.RuntimeEnvironment,
               architecture: str) -> tuple[Path, list[Path], list[str]]:
        """The unpacked folder, the substitute folders to put after it on sys.path, and notes for the log."""
        target = self.root / f"{key}-{environment.runtime}-{environment.interpreter.full_version}-{architecture}"
        with self._lock:
            if not (target / ".pixelkit-notes").exists():
                staging = Path(tempfile.mkdtemp(dir=self.root))
                notes = _extract(zip_bytes, staging, environment, architecture)
                (staging / ".pixelkit-notes").write_text("\n".join(notes))
                shutil.rmtree(target, ignore_errors=True)
                staging.rename(target)
        lines = [line for line in (target / ".pixelkit-notes").read_text().splitlines() if line]
        substitutes = [Path(line.split("\t", 1)[1]) for line in lines if line.startswith("SUBSTITUTE\t")]
        notes = [line for line in lines if not line.startswith("SUBSTITUTE\t")]
        return target, substitutes, notes


    def unpack_layers(self, arns: list[str], layers: list[bytes]) -> Path:
        """The layers, in their order, unpacked into one folder: what the function sees at /opt."""
        target = self.root / ("opt-" + hashlib.sha256("|".join(arns).encode()).hexdigest()[:16])
        with self._lock:
            if not target.exists():
                staging = Path(tempfile.mkdtemp(dir=self.root))
                for zip_bytes in layers:
                    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                        archive.extractall(staging)  # keeps every entry inside staging
                staging.rename(target)
        return target


def _extract(zip_bytes: bytes, target: Path, environment: runtimes.RuntimeEnvironment, architecture: str) -> list[str]:
    local = set(runtimes.interpreter_tags(environment))  # what the runtime's own interpreter loads
    on_lambda = runtimes.lambda_tags(runtimes.SUPPORTED[environment.runtime], architecture)
    notes: list[str] = []
    skipped: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = archive.namelist()
        for wheel_file in [n for n in names if n.endswith(".dist-info/WHEEL")]:
            dist_info = wheel_file.rsplit("/", 1)[0]
            tags = [line.split(":", 1)[1].strip() for line in archive.read(wheel_file).decode().splitlines()
                    if line.startswith("Tag:")]
            if all(runtimes.is_pure(tag) for tag in tags) or any(tag in local for tag in tags):
                continue  # loads here as it does on Lambda
            if not any(tag in on_lambda for tag in tags):
                continue  # would not load on Lambda either: leave it, and let it fail as it fails there
            name, _, version = dist_info.split("/")[-1].removesuffix(".dist-info").rpartition("-")
            substitute = runtimes.substitute(environment, name, version)
            reason = runtimes.why_it_cannot_load(environment, architecture)
            if substitute is None:
                notes.append(f"{name} {version} in the package is built for {tags[0]}, which loads on Lambda but "
                             f"not here: {reason}. No copy for this computer could be fetched: connect to the "
                             "network once and run `make prepare` (it keeps one for offline use), then restart "
                             "the emulator.")
                continue
            record = f"{dist_info}/RECORD"
            owned = {line.split(",", 1)[0] for line in archive.read(record).decode().splitlines() if line} \
                if record in names else set()
            skipped |= owned | {n for n in names if n.startswith(dist_info + "/")}
            notes.append(f"SUBSTITUTE\t{substitute}")
            notes.append(f"{name} {version} in the package is built for {tags[0]} (right for Lambda), which cannot "
                         f"load here: {reason}. The same release built for this computer stands in for it; on "
                         "Lambda the package's own is used.")
        for info in archive.infolist():
            if info.filename not in skipped and not info.is_dir():
                written = Path(archive.extract(info, target))  # extract() keeps every entry inside target
                if (info.external_attr >> 16) & 0o111 and written.is_relative_to(target):
                    written.chmod(0o755)
    return notes


