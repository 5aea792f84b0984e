"""`make demo`: starts its own emulator, runs steps 1 to 6, leaves the pictures and a contact sheet."""

from __future__ import annotations

import pytest
from PIL import Image

from helpers import free_port
from pixelkit.commands.demo import run_demo
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import sample_images
from pixelkit.context.target import emulator_is_listening

pytestmark = pytest.mark.emulator


def test_demo_leaves_five_pictures_per_sample_and_a_contact_sheet(tmp_path, monkeypatch, package_build_dir, kit_log):
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    out = tmp_path / "out"
    sheet = run_demo(out)
    for original in sample_images():
        with Image.open(original) as source:
            for n in (8, 16, 32, 48, 64):
                with Image.open(out / f"pixelated-{n}x{n}-{original.name}") as picture:
                    assert picture.size == source.size
    with Image.open(sheet) as contact_sheet:
        assert contact_sheet.size[0] > 1000
    assert not emulator_is_listening(endpoint)  # it stopped the emulator it started
    # quiet about each AWS call (the step scripts and notebooks show them), not about the pipeline
    assert "Step 1: source and destination buckets" in kit_log.text and "AWS s3." not in kit_log.text


def test_demo_will_not_take_down_a_learners_run(emulator_workshop, tmp_path):
    from pixelkit.tutorial import steps

    steps.create_buckets(emulator_workshop)
    with pytest.raises(WorkshopError, match="make cleanup"):
        run_demo(tmp_path / "out")
    steps.cleanup(emulator_workshop)
