"""Camera frames the simulator serves as snapshots and references, and image sniffing.

The frames are small JPEGs shipped in ``fixtures/``: eight scenes, each in its
normal form and as each anomaly looks (Blur, Obstruction, Glare, Position
change) plus Offline (black). A camera always gets the same scene, chosen by
its serial, so its snapshots look alike and an anomaly is visibly different
from the reference.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from router.model import ANOMALY_TYPES

SCENES = 8
VARIANTS = ("normal", *ANOMALY_TYPES, "Offline")


@functools.cache
def camera_frame(seed: str, variant: str = "normal") -> bytes:
    """The frame of ``seed``'s scene in ``variant`` (an unknown variant: normal)."""
    scene = hashlib.sha256(seed.encode()).digest()[0] % SCENES
    name = variant if variant in VARIANTS else "normal"
    file = f"scene{scene}-{name.lower().replace(' ', '-')}.jpg"
    return resources.files(__package__).joinpath("fixtures", file).read_bytes()


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
