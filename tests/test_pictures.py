"""The figures: transparency shown as a checkerboard, each original's size and format, evenly spaced rows."""

from __future__ import annotations

from PIL import Image

from pixelkit.teaching import pictures
from pixelkit.context.paths import sample_images


def test_transparent_pixels_show_as_a_checkerboard_and_half_transparent_ones_blend(tmp_path):
    image = Image.new("RGBA", (32, 32), (255, 0, 0, 0))  # fully transparent
    image.paste((255, 0, 0, 128), (16, 0, 32, 32))  # half-transparent red on the right
    shown = pictures.displayable(image)
    assert shown.mode == "RGB"
    left = {shown.getpixel((x, y)) for x in range(16) for y in range(32)}
    assert left == {(230, 230, 230), (190, 190, 190)}  # the checkerboard, never black
    red, green, blue = shown.getpixel((20, 4))
    assert 200 < red < 255 and 90 < green < 130 and green == blue  # red over grey, not opaque red


def test_a_palette_picture_with_a_transparent_colour_shows_the_checkerboard_too():
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 255, 255])
    image.info["transparency"] = 0
    assert pictures.displayable(image).getpixel((0, 0)) != (0, 0, 0)


def test_under_each_original_its_size_and_format(tmp_path):
    path = tmp_path / "card.png"
    Image.new("RGB", (480, 320)).save(path)
    assert pictures.describe(path).startswith("480 × 320 PNG")
    figure = pictures.variants_figure([(path, [path])])
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert any(t.startswith("480 × 320 PNG") for t in texts)


def test_the_rows_of_a_contact_sheet_are_evenly_spaced(tmp_path):
    portrait, landscape = tmp_path / "portrait.jpg", tmp_path / "landscape.png"
    Image.new("RGB", (300, 600)).save(portrait)
    Image.new("RGB", (800, 200)).save(landscape)
    rows = [(landscape, [landscape] * 5), (portrait, [portrait] * 5), (landscape, [landscape] * 5)]
    figure = pictures.variants_figure(rows)
    figure.canvas.draw()
    firsts = [figure.axes[i * 6] for i in range(3)]  # each row's original
    boxes = [ax.get_position() for ax in firsts]  # each picture's box as drawn
    heights = {round(b.height, 6) for b in boxes}
    gaps = {round(boxes[i].y0 - boxes[i + 1].y0, 6) for i in range(2)}
    assert len(heights) == 1 and len(gaps) == 1
    assert len({round(ax.get_position().height, 6) for ax in figure.axes}) == 1  # portraits and landscapes alike


def test_the_sample_pictures_make_a_contact_sheet(tmp_path):
    rows = [(p, [p]) for p in sample_images()]
    sheet = pictures.save_contact_sheet(rows, tmp_path / "sheet.png")
    with Image.open(sheet) as image:
        assert image.size[0] > 400


def test_one_picture_in_two_lines_of_three_shows_each_output_twice_as_large(tmp_path):
    from pixelkit.teaching.notebook import PICTURE_INCHES, PICTURES_PER_LINE

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (600, 600)).save(photo)
    row = [(photo, [photo] * 5)]
    one_line = pictures.variants_figure(row)
    two_lines = pictures.variants_figure(row, width_per_picture=PICTURE_INCHES, per_row=PICTURES_PER_LINE)
    for figure in (one_line, two_lines):
        figure.canvas.draw()
    # the 64x64 output's share of the figure's width: what it keeps when JupyterLab fits the PNG to its output area
    share = lambda figure: figure.axes[-1].get_position().width  # noqa: E731
    assert share(two_lines) >= 1.9 * share(one_line)
    assert 900 <= two_lines.get_figwidth() * 100 <= 1000  # fits JupyterLab's output area at 1400 px without shrinking
    assert len({round(ax.get_position().height, 6) for ax in two_lines.axes}) == 1
    assert [t.get_text() for t in two_lines.axes[-1].texts] == [] and two_lines.axes[-1].get_title() == "photo.jpg"
