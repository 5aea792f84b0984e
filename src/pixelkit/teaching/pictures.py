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
WSPACE = 0.08  # between two pictures of a line, as a share of a picture's width
TITLE_INCHES, CAPTION_INCHES = 0.55, 0.35  # room above and below each line of pictures (``per_row``)


def _aspect(path: Path) -> float:
    with Image.open(path) as image:
        width, height = ImageOps.exif_transpose(image).size
    return height / width


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


def _show(ax, path: Path, title: str, caption: str | None = None, fontsize: float = 9, blocks: bool = False) -> None:
    with Image.open(path) as image:
        # An output's blocks stay sharp-edged when the picture is drawn smaller than it is (no smoothing).
        ax.imshow(displayable(image), interpolation="nearest" if blocks else "antialiased")
    # The box keeps its size and the picture is centred in it (the limits grow, not the box shrinks):
    # titles and captions line up along each row, and the rows are evenly spaced.
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title, fontsize=fontsize)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if caption:
        ax.text(0.5, -0.04, caption, transform=ax.transAxes, ha="center", va="top", fontsize=fontsize - 1)


def _grid_label(path: Path) -> str:
    # pixelated-8x8-photo.jpg -> 8x8
    parts = path.name.split("-")
    return parts[1] if len(parts) > 2 and parts[0] == "pixelated" else path.name


def variants_figure(rows: list[tuple[Path, list[Path]]], width_per_picture: float = 2.2,
                    per_row: int | None = None) -> Figure:
    """Each original (with its size and format), then its outputs from 8x8 to 64x64.

    ``per_row`` pictures on a line: by default all of an original's (one line per original, a contact
    sheet); 3 gives each original two lines of three, pictures twice as large in the same width.
    """
    if not rows:
        raise ValueError("variants_figure needs at least one picture")
    panels = 1 + max(len(outputs) for _, outputs in rows)
    columns = min(per_row or panels, panels)
    lines_each = -(-panels // columns)
    scale = width_per_picture / 2.2  # titles and captions grow with the pictures
    lines = len(rows) * lines_each
    width = columns * width_per_picture
    if per_row is None:
        # A contact sheet: rows of one height whatever the pictures' shapes.
        figure = Figure(figsize=(width, lines * ROW_HEIGHT * scale + 0.7 * scale))
        top, bottom, hspace = 0.85 * scale, 0.35 * scale, 0.45
    else:
        # Boxes shaped like the tallest picture, so that no width is lost beside a portrait.
        box_width = 0.96 * width / (columns + WSPACE * (columns - 1))
        box_height = box_width * max(_aspect(original) for original, _ in rows)
        top, bottom = TITLE_INCHES, CAPTION_INCHES
        hspace = (top + bottom) / box_height
        figure = Figure(figsize=(width, lines * box_height + (lines - 1) * (top + bottom) + top + bottom))
    # Every row the same height, with room for a title above and a caption below each picture.
    axes = figure.subplots(lines, columns, squeeze=False,
                           gridspec_kw={"hspace": hspace, "wspace": WSPACE, "left": 0.02, "right": 0.98,
                                        "top": 1 - top / figure.get_figheight(),
                                        "bottom": bottom / figure.get_figheight()})
    fontsize = 9 * scale ** 0.5
    for number, (original, outputs) in enumerate(rows):
        block = [ax for line in axes[number * lines_each:(number + 1) * lines_each] for ax in line]
        _show(block[0], original, f"original\n{original.name}", describe(original), fontsize)
        for ax, output in zip(block[1:], outputs):
            _show(ax, output, _grid_label(output), fontsize=fontsize, blocks=True)
        for ax in block[1 + len(outputs):]:
            ax.set_axis_off()
    return figure


def save_contact_sheet(rows: list[tuple[Path, list[Path]]], path: Path) -> Path:
    figure = variants_figure(rows)
    figure.suptitle("Each picture and its five pixelated versions, coarsest first", fontsize=11,
                    y=1 - 0.1 / figure.get_figheight(), va="top")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
