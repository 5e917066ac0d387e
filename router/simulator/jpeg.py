"""Tiny baseline-JPEG encoder and image sniffing, so no imaging library is needed.

Every 8x8 block is one flat colour (only DC coefficients are coded), which keeps
the encoder to a page while producing real files that browsers, Pillow and
notification services decode. Images are 160x120: big enough to look like a
camera frame in a Slack preview, small enough (~1 KB) to seed thousands.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable, Sequence

RGB = tuple[int, int, int]

WIDTH, HEIGHT = 160, 120

# Standard luminance DC table (ITU T.81 Annex K.3), used for all components.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALS = tuple(range(12))
# An AC table holding only end-of-block: all AC coefficients are zero.
_AC_BITS = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
_AC_VALS = (0x00,)
_QUANT = 8  # DC = 8 * (mean - 128): dividing by 8 maps it back to one level per step


def _huffman_codes(bits: Sequence[int], vals: Sequence[int]) -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALS)
_EOB = _huffman_codes(_AC_BITS, _AC_VALS)[0]


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self._acc = 0
        self._n = 0

    def write(self, value: int, length: int) -> None:
        for i in range(length - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> i) & 1)
            self._n += 1
            if self._n == 8:
                self._emit(self._acc)
                self._acc, self._n = 0, 0

    def _emit(self, byte: int) -> None:
        self.out.append(byte)
        if byte == 0xFF:  # byte stuffing: 0xFF in entropy data must be followed by 0x00
            self.out.append(0x00)

    def flush(self) -> bytes:
        if self._n:
            self.write((1 << (8 - self._n)) - 1, 8 - self._n)  # pad with 1-bits
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def _ycbcr(rgb: RGB) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return round(y), round(cb), round(cr)


def encode_blocks(width: int, height: int, color_at: Callable[[int, int], RGB]) -> bytes:
    """Encode an image whose 8x8 block (bx, by) has the flat colour ``color_at(bx, by)``."""
    if width % 8 or height % 8:
        raise ValueError("width and height must be multiples of 8")
    header = b"\xff\xd8" + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    header += _segment(0xDB, b"\x00" + bytes([_QUANT] * 64))
    sof = struct.pack(">BHHB", 8, height, width, 3)
    sof += b"".join(bytes([cid, 0x11, 0]) for cid in (1, 2, 3))
    header += _segment(0xC0, sof)
    dht = b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS) + b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALS)
    header += _segment(0xC4, dht)
    header += _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    bits = _BitWriter()
    pred = [0, 0, 0]
    for by in range(height // 8):
        for bx in range(width // 8):
            for comp, level in enumerate(_ycbcr(color_at(bx, by))):
                dc = max(0, min(255, level)) - 128
                diff, pred[comp] = dc - pred[comp], dc
                size = abs(diff).bit_length()
                code, length = _DC_CODES[size]
                bits.write(code, length)
                if size:
                    bits.write(diff if diff > 0 else diff + (1 << size) - 1, size)
                bits.write(*_EOB)
    return header + bits.flush() + b"\xff\xd9"


def _palette(seed: str) -> list[RGB]:
    digest = hashlib.sha256(seed.encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 30, 3)]


@functools.lru_cache(maxsize=1024)  # seeding makes thousands of snapshots of few scenes
def camera_frame(seed: str, variant: str = "normal") -> bytes:
    """A fake camera frame: sky, ground, a few objects; ``variant`` mimics an anomaly.

    The same ``seed`` always gives the same scene, so a camera's snapshots look
    alike and an anomaly is visibly different from the reference.
    """
    pal = _palette(seed)
    bw, bh = WIDTH // 8, HEIGHT // 8
    shift = 5 if variant == "Position change" else 0
    objects = [(pal[i][0] % bw, bh // 2 + pal[i][1] % (bh // 2), 1 + pal[i][2] % 4)
               for i in (3, 4, 5)]

    def scene(bx: int, by: int) -> RGB:
        bx = (bx + shift) % bw
        for i, (ox, oy, size) in enumerate(objects):
            if ox <= bx < ox + size and oy - size <= by <= oy:
                return pal[6 + i]
        if by < bh // 2:  # sky gradient
            return (90 + by * 6, 140 + by * 5, 220)
        return (pal[0][0] // 3 + 40, pal[0][1] // 3 + 60, pal[0][2] // 4 + 30)

    def color_at(bx: int, by: int) -> RGB:
        r, g, b = scene(bx, by)
        if variant == "Obstruction" and bx < bw * 3 // 4:
            return (20, 18, 16)
        if variant == "Glare":
            return (min(255, r + 150), min(255, g + 150), min(255, b + 150))
        if variant == "Blur":  # wash out contrast towards grey
            return ((r + 256) // 3, (g + 256) // 3, (b + 256) // 3)
        if variant == "Offline":
            return (0, 0, 0)
        return (r, g, b)

    return encode_blocks(WIDTH, HEIGHT, color_at)


_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """``(content_type, extension)`` if ``data`` starts like a known image format."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for magic, content_type, ext in _SIGNATURES:
        if data.startswith(magic) and len(data) > len(magic) + 8:
            return content_type, ext
    return None
