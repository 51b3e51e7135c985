"""Small PNG line charts for the benchmarks, with nothing but ``zlib`` and ``struct``.

A ``Canvas`` is an RGB pixel buffer with lines, rectangles and text in a built-in 5x7 bitmap font
(upper case, digits and common punctuation; lower case is drawn as upper case). ``line_chart`` draws
step series (a count that holds until the next event) over a time axis, with optional horizontal
reference lines (a budget, say), axes with round ticks, a title and a legend. ``encode_png`` writes
the buffer as an 8-bit RGB PNG.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREY: Color = (200, 200, 200)
DARK_GREY: Color = (110, 110, 110)
BLUE: Color = (31, 119, 180)
ORANGE: Color = (230, 120, 20)
RED: Color = (214, 39, 40)
GREEN: Color = (44, 160, 44)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 5x7 glyphs, rows top to bottom, '#' set. Our own drawing of the usual shapes.
_GLYPHS: dict[str, str] = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    ";": "..... .##.. .##.. ..... .##.. ..#.. .#...",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
    "/": "..... ....# ...#. ..#.. .#... #.... .....",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "[": ".###. .#... .#... .#... .#... .#... .###.",
    "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
    "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
    ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
    "'": "..#.. ..#.. ..... ..... ..... ..... .....",
    "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
}
GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7
_FONT: dict[str, tuple[tuple[int, int], ...]] = {
    char: tuple((x, y) for y, row in enumerate(rows.split()) for x, cell in enumerate(row) if cell == "#")
    for char, rows in _GLYPHS.items()
}


def encode_png(width: int, height: int, rgb: bytes | bytearray) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` pixels, rows top to bottom, 3 bytes a pixel."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes is not {width}x{height} RGB pixels")
    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[row * stride : (row + 1) * stride]) for row in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit, truecolour, no interlace
    return (
        PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ``ValueError`` if it is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class Canvas:
    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            offset = (y * self.width + x) * 3
            self.pixels[offset : offset + 3] = bytes(color)

    def get(self, x: int, y: int) -> Color:
        offset = (y * self.width + x) * 3
        r, g, b = self.pixels[offset : offset + 3]
        return (r, g, b)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle with corners (x0, y0) and (x1, y1), both included."""
        x0, x1 = max(0, min(x0, x1)), min(self.width - 1, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height - 1, max(y0, y1))
        if x0 > x1 or y0 > y1:
            return
        row = bytes(color) * (x1 - x0 + 1)
        for y in range(y0, y1 + 1):
            offset = (y * self.width + x0) * 3
            self.pixels[offset : offset + len(row)] = row

    def line(
        self, x0: int, y0: int, x1: int, y1: int, color: Color, *, width: int = 1, dash: int = 0
    ) -> None:
        """A straight line (Bresenham), ``width`` pixels thick; with ``dash``, on/off runs that long."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        step = 0
        while True:
            if not dash or (step // dash) % 2 == 0:
                if width <= 1:
                    self.set(x0, y0, color)
                else:
                    self.rect(x0, y0, x0 + width - 1, y0 + width - 1, color)
            if x0 == x1 and y0 == y1:
                return
            step += 1
            twice = 2 * err
            if twice >= dy:
                err += dy
                x0 += sx
            if twice <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, text: str, color: Color = BLACK, scale: int = 1) -> None:
        """``text`` with its top-left corner at (x, y)."""
        for char in text:
            for gx, gy in _FONT.get(char.upper(), _FONT["?"]):
                self.rect(
                    x + gx * scale,
                    y + gy * scale,
                    x + gx * scale + scale - 1,
                    y + gy * scale + scale - 1,
                    color,
                )
            x += (GLYPH_WIDTH + 1) * scale

    def png(self) -> bytes:
        return encode_png(self.width, self.height, self.pixels)


def text_width(text: str, scale: int = 1) -> int:
    return max(0, len(text) * (GLYPH_WIDTH + 1) * scale - scale)


@dataclass(frozen=True, slots=True)
class Series:
    """``points`` are (x, y) in data units; as a step line each y holds until the next x."""

    label: str
    points: Sequence[tuple[float, float]]
    color: Color
    step: bool = True


@dataclass(frozen=True, slots=True)
class Reference:
    """A dashed horizontal line at ``y`` (a budget, a target)."""

    label: str
    y: float
    color: Color = RED


@dataclass(frozen=True, slots=True)
class ChartStyle:
    width: int = 960
    height: int = 540
    margin_left: int = 80
    margin_right: int = 24
    margin_top: int = 92
    margin_bottom: int = 56
    title_scale: int = 2
    label_scale: int = 2
    tick_scale: int = 2
    series_width: int = 2


def nice_step(span: float, max_ticks: int = 8) -> float:
    """A round tick step (1, 2 or 5 times 10^k) giving at most ``max_ticks`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max_ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return float(multiple * power)
    return float(10 * power)


def tick_label(value: float, step: float) -> str:
    if step >= 1 or value == 0:
        return f"{value:,.0f}"
    decimals = min(6, max(1, -math.floor(math.log10(step))))
    return f"{value:.{decimals}f}"


LegendEntry = tuple[str, Color, bool]  # label, colour, dashed


def _legend_rows(entries: list[LegendEntry], width: int, scale: int) -> list[list[LegendEntry]]:
    rows: list[list[LegendEntry]] = [[]]
    used = 0
    for entry in entries:
        needed = 34 + text_width(entry[0], scale) + 28
        if rows[-1] and used + needed > width:
            rows.append([])
            used = 0
        rows[-1].append(entry)
        used += needed
    return rows


def _draw_legend(canvas: Canvas, rows: list[list[LegendEntry]], left: int, style: ChartStyle) -> None:
    scale = style.label_scale
    for row, items in enumerate(rows):
        x, y = left, 44 + row * (GLYPH_HEIGHT * scale + 10)
        for label, color, dashed in items:
            middle = y + GLYPH_HEIGHT * scale // 2
            thickness = 1 if dashed else style.series_width
            canvas.line(x, middle, x + 26, middle, color, width=thickness, dash=4 if dashed else 0)
            canvas.text(x + 34, y, label, BLACK, scale)
            x += 34 + text_width(label, scale) + 28


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    references: Sequence[Reference] = (),
    style: ChartStyle | None = None,
) -> bytes:
    """A PNG: the series over shared axes that start at 0, the legend in rows under the title."""
    style = style or ChartStyle()
    canvas = Canvas(style.width, style.height)
    scale, tick = style.label_scale, style.tick_scale
    left, right = style.margin_left, style.width - style.margin_right
    entries = [(s.label, s.color, False) for s in series] + [(r.label, r.color, True) for r in references]
    legend = _legend_rows(entries, right - left, scale)
    top = style.margin_top + (len(legend) - 1) * (GLYPH_HEIGHT * scale + 10)
    bottom = style.height - style.margin_bottom
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points] + [ref.y for ref in references]
    x_max = max(xs, default=1.0) or 1.0
    y_max = max(ys, default=1.0) or 1.0
    x_step, y_step = nice_step(x_max), nice_step(y_max * 1.05, 6)
    x_top = math.ceil(x_max / x_step) * x_step
    y_top = math.ceil(y_max * 1.05 / y_step) * y_step

    def px(x: float) -> int:
        return left + round((right - left) * min(max(x, 0.0), x_top) / x_top)

    def py(y: float) -> int:
        return bottom - round((bottom - top) * min(max(y, 0.0), y_top) / y_top)

    canvas.text(left, 14, title, BLACK, style.title_scale)
    for i in range(round(x_top / x_step) + 1):
        x = px(i * x_step)
        canvas.line(x, top, x, bottom, GREY)
        label = tick_label(i * x_step, x_step)
        canvas.text(x - text_width(label, tick) // 2, bottom + 8, label, DARK_GREY, tick)
    for i in range(round(y_top / y_step) + 1):
        y = py(i * y_step)
        canvas.line(left, y, right, y, GREY)
        label = tick_label(i * y_step, y_step)
        canvas.text(left - 8 - text_width(label, tick), y - GLYPH_HEIGHT * tick // 2, label, DARK_GREY, tick)
    canvas.line(left, top, left, bottom, BLACK)
    canvas.line(left, bottom, right, bottom, BLACK)
    x_label_at = (right - text_width(x_label, scale), style.height - GLYPH_HEIGHT * scale - 6)
    canvas.text(*x_label_at, x_label, BLACK, scale)
    canvas.text(8, top - GLYPH_HEIGHT * scale - 12, y_label, BLACK, scale)

    for ref in references:
        canvas.line(left, py(ref.y), right, py(ref.y), ref.color, width=1, dash=6)
    for one in series:
        points = sorted(one.points)
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            corner = (px(x1), py(y0)) if one.step else (px(x1), py(y1))
            canvas.line(px(x0), py(y0), *corner, one.color, width=style.series_width)
            canvas.line(*corner, px(x1), py(y1), one.color, width=style.series_width)
        if len(points) == 1:
            only_x, only_y = points[0]
            canvas.rect(px(only_x) - 2, py(only_y) - 2, px(only_x) + 2, py(only_y) + 2, one.color)
    _draw_legend(canvas, legend, left, style)
    return canvas.png()
