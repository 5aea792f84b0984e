"""Pictures for people: each original beside its five pixelated versions (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image, ImageOps


def _show(ax, path: Path, title: str) -> None:
    with Image.open(path) as image:
        ax.imshow(ImageOps.exif_transpose(image).convert("RGB"))
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def _grid_label(path: Path) -> str:
    # pixelated-8x8-photo.jpg -> 8x8
    parts = path.name.split("-")
    return parts[1] if len(parts) > 2 and parts[0] == "pixelated" else path.name


def variants_figure(rows: list[tuple[Path, list[Path]]], width_per_picture: float = 2.2) -> Figure:
    """One row per original: the original, then its outputs from 8x8 to 64x64, titled by size."""
    columns = 1 + max(len(outputs) for _, outputs in rows)
    figure = Figure(figsize=(columns * width_per_picture, len(rows) * width_per_picture * 1.1), layout="constrained")
    axes = figure.subplots(len(rows), columns, squeeze=False)
    for row, (original, outputs) in zip(axes, rows):
        _show(row[0], original, f"original\n{original.name}")
        for ax, output in zip(row[1:], outputs):
            _show(ax, output, _grid_label(output))
        for ax in row[1 + len(outputs):]:
            ax.set_axis_off()
    return figure


def save_contact_sheet(rows: list[tuple[Path, list[Path]]], path: Path) -> Path:
    figure = variants_figure(rows)
    figure.suptitle("Each picture and its five pixelated versions, coarsest first", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
