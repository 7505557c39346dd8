"""Screen images as plain Python: read QEMU's PPM screendumps and wskdesk's
PNG screenshots, write PNGs, compare and count pixels. Standard library only.
An image keeps its pixels as packed RGB bytes, row after row, so that whole
rows compare at memcmp speed; a pixel reads as 0xRRGGBB."""

import struct
import zlib


class Image:
    def __init__(self, width, height, rgb):
        assert len(rgb) == width * height * 3, "the pixel bytes do not match the size"
        self.width = width
        self.height = height
        self.rgb = bytes(rgb)

    def __getitem__(self, xy):
        x, y = xy
        i = (y * self.width + x) * 3
        return int.from_bytes(self.rgb[i:i + 3], "big")

    def __eq__(self, other):
        return isinstance(other, Image) and self.size == other.size and self.rgb == other.rgb

    @property
    def size(self):
        return (self.width, self.height)

    def _row(self, y, x=0, width=None):
        start = (y * self.width + x) * 3
        return self.rgb[start:start + (self.width - x if width is None else width) * 3]

    # MARK: Reading and writing

    @staticmethod
    def read(path):
        with open(path, "rb") as f:
            data = f.read()
        if data.startswith(b"P6"):
            return Image._from_ppm(data)
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return Image._from_png(data)
        raise ValueError(f"{path}: neither a binary PPM nor a PNG")

    @staticmethod
    def _from_ppm(data):
        fields, pos = [], 2
        while len(fields) < 3:
            while data[pos:pos + 1].isspace():
                pos += 1
            if data[pos:pos + 1] == b"#":
                pos = data.index(b"\n", pos) + 1
                continue
            end = pos
            while not data[end:end + 1].isspace():
                end += 1
            fields.append(int(data[pos:end]))
            pos = end
        width, height, maxval = fields
        if maxval != 255:
            raise ValueError(f"PPM with maxval {maxval}: only 8-bit samples are read")
        return Image(width, height, data[pos + 1:pos + 1 + width * height * 3])

    @staticmethod
    def _from_png(data):
        pos, chunks = 8, {}
        idat = bytearray()
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos:pos + 4])
            kind = data[pos + 4:pos + 8]
            body = data[pos + 8:pos + 8 + length]
            pos += 12 + length
            if kind == b"IDAT":
                idat += body
            else:
                chunks[kind] = body
        width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
        channels = {2: 3, 6: 4}.get(color)
        if depth != 8 or channels is None or interlace:
            raise ValueError(f"PNG depth {depth} colour type {color} interlace {interlace}: only 8-bit RGB/RGBA is read")
        pixels = _unfilter(zlib.decompress(bytes(idat)), width * channels, height, channels)
        if channels == 4:
            rgb = bytearray(width * height * 3)
            rgb[0::3], rgb[1::3], rgb[2::3] = pixels[0::4], pixels[1::4], pixels[2::4]
            pixels = rgb
        return Image(width, height, pixels)

    def write_png(self, path):
        stride = self.width * 3
        raw = b"".join(b"\0" + self.rgb[y * stride:(y + 1) * stride] for y in range(self.height))

        def chunk(kind, body):
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                    + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))

    # MARK: Looking at pixels

    def crop(self, rect):
        """The pixels of `rect` (x, y, w, h) as an image of their own."""
        x, y, w, h = rect
        return Image(w, h, b"".join(self._row(row, x, w) for row in range(y, y + h)))

    def turned(self, degrees):
        """The picture turned `degrees` (0, 90, 180, 270) clockwise, as
        wskdesk turns the desktop onto a panel with `rotate=`: at 90 the top
        edge runs down the right edge."""
        if degrees == 0:
            return self
        pixels = [self.rgb[i:i + 3] for i in range(0, len(self.rgb), 3)]
        w, h = self.size
        if degrees == 180:
            return Image(w, h, b"".join(reversed(pixels)))
        if degrees == 90:  # panel row r is column r read bottom to top
            rows = [b"".join(reversed(pixels[r::w])) for r in range(w)]
        elif degrees == 270:  # panel row r is column w-1-r read top to bottom
            rows = [b"".join(pixels[w - 1 - r::w]) for r in range(w)]
        else:
            raise ValueError(f"a rotation of {degrees} degrees: only 0, 90, 180 and 270")
        return Image(h, w, b"".join(rows))

    def count(self, color, rect=None):
        """How many pixels of `rect` (x, y, w, h; default all) are `color` (0xRRGGBB)."""
        x0, y0, w, h = rect or (0, 0, self.width, self.height)
        pixel = color.to_bytes(3, "big")
        full = pixel * w
        found = 0
        for y in range(y0, y0 + h):
            row = self._row(y, x0, w)
            found += w if row == full else sum(1 for i in range(0, 3 * w, 3) if row[i:i + 3] == pixel)
        return found

    def differences(self, other, rect=None):
        """(x, y) of every pixel of `rect` that differs from `other` (same size)."""
        if self.size != other.size:
            raise ValueError(f"sizes differ: {self.size} and {other.size}")
        x0, y0, w, h = rect or (0, 0, self.width, self.height)
        found = []
        for y in range(y0, y0 + h):
            a, b = self._row(y, x0, w), other._row(y, x0, w)
            if a != b:
                found += [(x0 + i // 3, y) for i in range(0, 3 * w, 3) if a[i:i + 3] != b[i:i + 3]]
        return found

    def diff_image(self, other):
        """Where two images differ: differing pixels magenta over a dimmed `self`."""
        out = bytearray(b >> 2 for b in self.rgb)
        for x, y in self.differences(other):
            i = (y * self.width + x) * 3
            out[i:i + 3] = b"\xff\x00\xff"
        return Image(self.width, self.height, out)


def bounding_box(points):
    """(x, y, w, h) around `points`, or None."""
    if not points:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


def _unfilter(data, stride, height, bpp):
    """The PNG scanline filters undone (PNG spec, section 9)."""
    out = bytearray(stride * height)
    prev = bytearray(stride)
    pos = 0
    for y in range(height):
        kind = data[pos]
        line = bytearray(data[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif kind != 0:
            raise ValueError(f"PNG filter type {kind}")
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return out
