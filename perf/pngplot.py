"""A dependency-free PNG line chart (zlib + struct): enough to draw ops/s against
server threads without matplotlib, which has no free-threaded build here."""

import struct
import zlib

_FONT = {  # 3x5 digits for axis labels
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001001001", "8": "111101111101111",
    "9": "111101111001111", "k": "100101110101101", ".": "000000000000010",
}
COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(b"\xff" * (width * height * 3))

    def dot(self, x, y, color, size=1):
        for dx in range(-size + 1, size):
            for dy in range(-size + 1, size):
                xx, yy = int(x) + dx, int(y) + dy
                if 0 <= xx < self.w and 0 <= yy < self.h:
                    i = (yy * self.w + xx) * 3
                    self.px[i:i + 3] = bytes(color)

    def line(self, x0, y0, x1, y1, color, size=1):
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for s in range(steps + 1):
            t = s / steps
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, color, size)

    def text(self, x, y, s, color=(0, 0, 0), scale=2):
        for ch in s:
            glyph = _FONT.get(ch)
            if glyph:
                for i, bit in enumerate(glyph):
                    if bit == "1":
                        for a in range(scale):
                            for b in range(scale):
                                self.dot(x + (i % 3) * scale + a, y + (i // 3) * scale + b, color)
            x += 4 * scale

    def save(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\n")
            fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            fh.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            fh.write(chunk(b"IEND", b""))


def line_chart(path, series, width=640, height=400):
    """series: {name: [(x, y), ...]}; draws axes with x ticks and y ticks in thousands."""
    c = Canvas(width, height)
    left, bottom, top, right = 70, height - 40, 20, width - 20
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ymax = max(y for pts in series.values() for _, y in pts) * 1.1 or 1
    c.line(left, top, left, bottom, (0, 0, 0))
    c.line(left, bottom, right, bottom, (0, 0, 0))

    def sx(x):
        return left + (right - left) * (xs.index(x) + 0.5) / len(xs)

    def sy(y):
        return bottom - (bottom - top) * y / ymax

    for i in range(6):
        y = ymax * i / 5
        c.line(left - 5, sy(y), left, sy(y), (0, 0, 0))
        c.text(5, sy(y) - 5, f"{y / 1000:.0f}k")
    for x in xs:
        c.text(sx(x) - 3, bottom + 10, str(x))
    for n, (name, pts) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        pts = sorted(pts)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            c.line(sx(x0), sy(y0), sx(x1), sy(y1), color, 2)
        for x, y in pts:
            c.dot(sx(x), sy(y), color, 4)
        c.line(right - 120, top + 10 + 15 * n, right - 100, top + 10 + 15 * n, color, 2)
    c.save(path)
