"""Pictures for people: each original beside its five pixelated versions (matplotlib).

Transparent pixels show as a grey checkerboard, as image editors show them (not as black),
each original has its size and format under it, and every row has the same height, so a
contact sheet of portraits and landscapes stays evenly spaced.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageOps

# Rows of the same height: the picture's box, its title above and its caption below, in inches.
ROW_HEIGHT = 2.6
CHECKER_SQUARE = 8  # pixels of the checkerboard behind transparent pixels


def checkerboard(size: tuple[int, int], square: int = CHECKER_SQUARE) -> Image.Image:
    """Light and darker grey squares: what shows through where a picture is transparent."""
    width, height = size
    ys, xs = np.indices((height, width))
    light = ((xs // square + ys // square) % 2).astype(bool)
    pixels = np.where(light[..., None], 230, 190).astype(np.uint8)
    return Image.fromarray(np.repeat(pixels, 3, axis=2), "RGB")


def displayable(image: Image.Image) -> Image.Image:
    """The picture as it looks: upright (EXIF), and its transparency over a checkerboard, semi-transparent too."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = checkerboard(rgba.size).convert("RGBA")
    return Image.alpha_composite(background, rgba).convert("RGB")


def describe(path: Path) -> str:
    """'480 × 320 PNG, 14 kB': what the original is, shown under it."""
    with Image.open(path) as image:
        width, height = image.size
        kind = image.format or path.suffix.lstrip(".").upper()
    return f"{width} × {height} {kind}, {path.stat().st_size / 1000:,.0f} kB"


def _show(ax, path: Path, title: str, caption: str | None = None) -> None:
    with Image.open(path) as image:
        ax.imshow(displayable(image))
    # The box keeps its size and the picture is centred in it (the limits grow, not the box shrinks):
    # titles and captions line up along each row, and the rows are evenly spaced.
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if caption:
        ax.text(0.5, -0.04, caption, transform=ax.transAxes, ha="center", va="top", fontsize=8)


def _grid_label(path: Path) -> str:
    # pixelated-8x8-photo.jpg -> 8x8
    parts = path.name.split("-")
    return parts[1] if len(parts) > 2 and parts[0] == "pixelated" else path.name


def variants_figure(rows: list[tuple[Path, list[Path]]], width_per_picture: float = 2.2) -> Figure:
    """One row per original: the original (with its size and format), then its outputs from 8x8 to 64x64."""
    if not rows:
        raise ValueError("variants_figure needs at least one picture")
    columns = 1 + max(len(outputs) for _, outputs in rows)
    figure = Figure(figsize=(columns * width_per_picture, len(rows) * ROW_HEIGHT + 0.7))
    # Every row the same height, with room for a title above and a caption below each picture.
    axes = figure.subplots(len(rows), columns, squeeze=False,
                           gridspec_kw={"hspace": 0.45, "wspace": 0.08, "left": 0.02, "right": 0.98,
                                        "top": 1 - 0.85 / figure.get_figheight(), "bottom": 0.35 / figure.get_figheight()})
    for row, (original, outputs) in zip(axes, rows):
        _show(row[0], original, f"original\n{original.name}", describe(original))
        for ax, output in zip(row[1:], outputs):
            _show(ax, output, _grid_label(output))
        for ax in row[1 + len(outputs):]:
            ax.set_axis_off()
    return figure


def save_contact_sheet(rows: list[tuple[Path, list[Path]]], path: Path) -> Path:
    figure = variants_figure(rows)
    figure.suptitle("Each picture and its five pixelated versions, coarsest first", fontsize=11,
                    y=1 - 0.1 / figure.get_figheight(), va="top")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
