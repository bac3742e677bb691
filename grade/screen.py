"""Reading text back from a picture of the framebuffer console: a QEMU
screendump (PPM) or an X screenshot (xwd). Each character cell is sampled
at the centre of every font pixel and looked up among the glyphs of
kern/font.cc, so what the screen shows can be compared with the serial log.
"""

import os
import re
import struct

import harness

FONT_W, FONT_H = 5, 7
CELL_W, CELL_H = FONT_W + 1, FONT_H + 2


def glyphs():
    """{rows: character} from the font's art in kern/font.cc."""
    table = {}
    with open(os.path.join(harness.ROOT, "kern", "font.cc")) as f:
        for m in re.finditer(r'^\s*"([.#|]{41})",\s*// (\d+)', f.read(), re.M):
            rows = tuple(int(r.replace("#", "1").replace(".", "0"), 2)
                         for r in m.group(1).split("|"))
            table.setdefault(rows, chr(int(m.group(2))))
    assert len(table) >= 90, "kern/font.cc: %d glyphs found" % len(table)
    return table


class Picture:
    def __init__(self, width, height, lit):
        self.width, self.height = width, height
        self.lit = lit          # lit(x, y): a bright pixel

    @classmethod
    def from_ppm(cls, path):
        with open(path, "rb") as f:
            data = f.read()
        m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
        assert m, "%s is not a binary PPM" % path
        w, h = int(m.group(1)), int(m.group(2))
        px = data[m.end():]

        def lit(x, y):
            i = (y * w + x) * 3
            return px[i] + px[i + 1] + px[i + 2] > 3 * 96
        return cls(w, h, lit)

    @classmethod
    def from_xwd(cls, path):
        with open(path, "rb") as f:
            data = f.read()
        head = struct.unpack(">25I", data[:100])
        header_size, w, h = head[0], head[4], head[5]
        byte_order, bits_pp, bytes_pl, ncolors = head[7], head[11], head[12], head[19]
        # A 24-bit depth is stored in 32-bit pixels.
        assert bits_pp in (24, 32) and bytes_pl >= 4 * w, \
            "%s: %d bits per pixel, %d bytes per line: not 32-bit pixels" % (path, bits_pp, bytes_pl)
        base = header_size + 12 * ncolors
        fmt = "<I" if byte_order == 0 else ">I"

        def lit(x, y):
            v = struct.unpack_from(fmt, data, base + y * bytes_pl + 4 * x)[0]
            return ((v >> 16) & 255) + ((v >> 8) & 255) + (v & 255) > 3 * 96
        return cls(w, h, lit)

    def cell(self, font, x0, y0, scale, col, row):
        """The character in this cell, or None if it is no glyph."""
        rows = []
        for i in range(FONT_H):
            bits = 0
            for j in range(FONT_W):
                x = x0 + (col * CELL_W + j) * scale + scale // 2
                y = y0 + (row * CELL_H + i) * scale + scale // 2
                bits = bits << 1 | self.lit(x, y)
            rows.append(bits)
        return font.get(tuple(rows))

    def text(self, x0, y0, scale, cols, rows, font=None):
        """The screen's lines; a cell that is no glyph reads as '\\0'."""
        font = font or glyphs()
        return ["".join(self.cell(font, x0, y0, scale, c, r) or "\0" for c in range(cols))
                for r in range(rows)]

    def find_origin(self, scale, cols, rows, font=None, search=(16, 96)):
        """Where the console's first cell is, in a picture that may hold more
        than the guest's screen (a window's menu bar): the offset at which
        the most cells of the first rows read as glyphs other than blanks."""
        font = font or glyphs()
        best, where = -1, (0, 0)
        for y0 in range(search[1]):
            if y0 + rows * CELL_H * scale > self.height:
                break
            for x0 in range(search[0]):
                if x0 + cols * CELL_W * scale > self.width:
                    break
                n = sum(1 for r in range(3) for c in range(0, cols, 3)
                        if (self.cell(font, x0, y0, scale, c, r) or " ") != " ")
                if n > best:
                    best, where = n, (x0, y0)
        return where


def console_geometry(run):
    """(scale, cols, rows) from the kernel's console line, and the width."""
    found = run.all(r"^console: serial and framebuffer (\d+)x(\d+), \d+ bits at \S+: "
                    r"(\d+)x(\d+) characters$")
    assert found, run.explain("no 'console: serial and framebuffer ...' line")
    m = found[0]
    width, cols, rows = int(m.group(1)), int(m.group(3)), int(m.group(4))
    scale = width // (cols * CELL_W)
    return scale, cols, rows


def screen_rows(log, cols):
    """The rows a console of this width shows for the log: long lines wrap,
    and one exactly as wide as the screen leaves an empty row after it."""
    rows = []
    for line in log.split("\n"):
        line = line.expandtabs(8)
        chunks = [line[i:i + cols] for i in range(0, len(line), cols)] or [""]
        if line and len(line) % cols == 0:
            chunks.append("")
        rows.extend(chunks)
    return [r.rstrip(" ") for r in rows]


def expect_screen_shows(run, picture, last_rows=12, search=(1, 1)):
    """The picture shows what the serial log ends with, row for row as the
    console wraps it, and nothing that is no glyph of the font."""
    scale, cols, rows = console_geometry(run)
    font = glyphs()
    x0, y0 = picture.find_origin(scale, cols, rows, font, search)
    screen = [line.rstrip(" ") for line in picture.text(x0, y0, scale, cols, rows, font)]
    shown = "\n".join(screen)
    assert "\0" not in shown, run.explain(
        "cells that are no glyph of the font on the screen (as #):\n%s" % shown.replace("\0", "#"))
    while screen and not screen[-1]:
        screen.pop()
    want = screen_rows(run.log.rstrip("\n"), cols)[-last_rows:]
    assert screen[-last_rows:] == want, run.explain(
        "the screen does not end as the serial log does.\nscreen:\n%s\nexpected last rows:\n%s"
        % (shown, "\n".join(want)))
    return screen
