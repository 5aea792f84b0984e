"""The deployment package: Linux wheels for Lambda's platform, the handler at the zip's root, byte-identical builds."""

from __future__ import annotations

import struct
import zipfile

import pytest

from pixelkit.tutorial import package as packaging

# ELF e_machine values: what CPU a native library was built for.
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}


def native_libraries(zip_path) -> dict[str, int]:
    """Each ELF shared library in the zip and its e_machine."""
    found = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if ".so" in name.rsplit("/", 1)[-1]:
                header = archive.read(name)[:20]
                assert header[:4] == b"\x7fELF", name
                found[name] = struct.unpack_from("<H", header, 18)[0]
    return found


def build_into(directory, monkeypatch, architecture="x86_64"):
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(directory))
    return packaging.build_package(packaging.RUNTIME, architecture)


def test_two_builds_in_fresh_folders_are_byte_identical(tmp_path, monkeypatch):
    first = build_into(tmp_path / "one", monkeypatch)
    second = build_into(tmp_path / "two", monkeypatch)
    assert first.path != second.path
    assert first.read_bytes() == second.read_bytes()


def test_the_zip_has_the_handler_at_its_root_and_pillow_for_linux_x86_64(package_build_dir, monkeypatch):
    built = build_into(package_build_dir, monkeypatch)
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
        assert "lambda_function.py" in names
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {packaging.ZIP_EPOCH}
        assert not [n for n in names if n.endswith(".pyc") or n.startswith("bin/")]
    libraries = native_libraries(built.path)
    assert any(name.startswith("PIL/_imaging.cpython-313-") for name in libraries)
    assert set(libraries.values()) == {ELF_MACHINE["x86_64"]}
    assert built.size < 50_000_000  # Lambda's limit for a zip uploaded directly


def test_a_second_build_is_the_cached_zip(package_build_dir, monkeypatch):
    built = build_into(package_build_dir, monkeypatch)
    before = built.path.stat().st_mtime_ns
    again = build_into(package_build_dir, monkeypatch)
    assert again.path.stat().st_mtime_ns == before


def test_arm64_gets_aarch64_wheels(tmp_path, monkeypatch):
    built = build_into(tmp_path, monkeypatch, "arm64")
    assert built.path.parent.name == "python3.13-arm64"
    libraries = native_libraries(built.path)
    assert libraries and set(libraries.values()) == {ELF_MACHINE["arm64"]}


def test_an_unknown_architecture_is_refused(tmp_path, monkeypatch):
    from pixelkit.context.errors import WorkshopError

    with pytest.raises(WorkshopError, match="x86_64 or arm64"):
        build_into(tmp_path, monkeypatch, "riscv")


# The kept wheel cache: offline after one fetch -------------------------------------------------------

def offline_pip(monkeypatch):
    """pip as it is with the network cut: no configuration, and an index that refuses connections."""
    import os

    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")


def test_a_build_in_a_fresh_folder_installs_the_kept_wheels_without_the_network(package_build_dir, tmp_path, monkeypatch):
    build_into(package_build_dir, monkeypatch)  # fills the cache if this machine never built one
    cache = packaging.wheel_cache(packaging.RUNTIME, "x86_64")
    assert [p.name for p in cache.glob("pillow-*.whl")], f"no Pillow wheel kept in {cache}"
    assert not cache.is_relative_to(package_build_dir) and "build" not in cache.parts  # `make clean` keeps it

    def no_download(*args):
        raise AssertionError("the build fetched wheels although they are kept")

    monkeypatch.setattr(packaging, "fetch_wheels", no_download)
    offline_pip(monkeypatch)
    built = build_into(tmp_path / "fresh", monkeypatch)
    assert any(name.startswith("PIL/_imaging.cpython-313-") for name in native_libraries(built.path))
    assert built.read_bytes() == build_into(package_build_dir, monkeypatch).read_bytes()


def test_an_empty_cache_without_the_network_says_to_connect_once(tmp_path, monkeypatch):
    from pixelkit.context.errors import WorkshopError

    monkeypatch.setenv("WORKSHOP_WHEEL_CACHE", str(tmp_path / "empty-cache"))
    offline_pip(monkeypatch)
    with pytest.raises(WorkshopError, match="Connect to the network once") as raised:
        build_into(tmp_path / "build", monkeypatch)
    assert str(tmp_path / "empty-cache") in str(raised.value) and "make prepare" in str(raised.value)
