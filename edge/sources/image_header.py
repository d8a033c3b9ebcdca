"""Image sizes read from file headers, before anything is decoded, and the pixel limit.

A 425 KB PNG can hold 20000x20000 pixels: decoding it costs 1.2 GB for the BGR array
alone (1.7 GB RSS measured). :func:`check_pixels` refuses such an image from the few
bytes of its header, so a hostile or mistaken file costs nothing. The limit is
:data:`DEFAULT_MAX_PIXELS`, raised (or lowered) with ``$EDGE_MAX_IMAGE_PIXELS`` or the
CLIs' ``--max-image-pixels``.

:func:`image_size` knows PNG, JPEG, GIF, BMP, WebP, TIFF and the PNM family (the formats
of :data:`edge.sources.images.IMAGE_EXTENSIONS`). Other content (OpenCV also detects, for
example, Sun raster or OpenEXR by their bytes) gives ``None`` and is left to OpenCV's own
limit (``OPENCV_IO_MAX_IMAGE_PIXELS``, 2**30 pixels by default).

Imports only numpy and the standard library.
"""

from __future__ import annotations

import os
import re
import struct

import numpy as np

#: Environment variable that sets the pixel limit (an integer, e.g. ``100000000``).
MAX_PIXELS_ENV = "EDGE_MAX_IMAGE_PIXELS"
#: Pixels (width x height) above which an image is refused: 50 megapixels (a 8660x5773 photo;
#: 150 MB as uint8 BGR). Phone photos are 12-50 MP; 4K video frames 8.3 MP.
DEFAULT_MAX_PIXELS = 50_000_000

_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers
_PNM_TOKEN = re.compile(rb"\s*(?:#[^\n]*\n\s*)*(\d+)")


def max_image_pixels(limit: int | None = None) -> int:
    """The pixel limit: ``limit`` if given, else ``$EDGE_MAX_IMAGE_PIXELS``, else the default.

    Raises:
        ValueError: ``limit`` or the environment variable is not a positive integer.
    """
    if limit is None:
        text = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "")
        if not text:
            return DEFAULT_MAX_PIXELS
        if not text.isdigit() or int(text) < 1:
            raise ValueError(
                f"{MAX_PIXELS_ENV}={os.environ[MAX_PIXELS_ENV]!r} is not a positive integer; "
                f"set it to a number of pixels such as {DEFAULT_MAX_PIXELS} or unset it"
            )
        return int(text)
    if limit < 1:
        raise ValueError(f"the image pixel limit must be >= 1, got {limit}")
    return int(limit)


def check_pixels(data: np.ndarray | bytes, name: str, limit: int | None = None) -> None:
    """Refuse an encoded image whose header says it has more pixels than the limit.

    Args:
        data: the file's bytes (uint8 array or ``bytes``); only the header is read.
        name: the file, for the message.
        limit: pixels allowed; ``None``: :func:`max_image_pixels`.

    Raises:
        ValueError: over the limit (the message names the file, its size, the limit and
            how to raise it).
    """
    size = image_size(data[: 1 << 20])  # the header: no copy of a large file
    if size is None:
        return
    allowed = max_image_pixels(limit)
    w, h = size
    if w * h > allowed:
        mib = max(1, round(w * h * 3 / 2**20))  # the uint8 BGR array alone
        raise ValueError(
            f"image {name} is {w}x{h} pixels ({w * h / 1e6:.3g} MP, about {mib} MiB "
            f"decoded), over the limit of {allowed / 1e6:g} MP; raise the limit with "
            f"--max-image-pixels N or {MAX_PIXELS_ENV}=N, or scale the image down"
        )


def image_size(data: np.ndarray | bytes) -> tuple[int, int] | None:
    """``(width, height)`` in pixels from an encoded image's header, without decoding it.

    Args:
        data: the start of the file (the first 64 KiB are enough for every format here,
            except JPEGs with larger metadata before the frame header, which are scanned
            further).

    Returns:
        ``(width, height)``, or ``None`` for a format this function does not know or a
        header it cannot read (the decoder then decides).
    """
    buf = data.tobytes() if isinstance(data, np.ndarray) else bytes(data)
    try:
        if buf.startswith(b"\x89PNG\r\n\x1a\n") and buf[12:16] == b"IHDR":
            w, h = struct.unpack(">II", buf[16:24])
            return w, h
        if buf.startswith(b"\xff\xd8"):
            return _jpeg_size(buf)
        if buf[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", buf[6:10])
            return w, h
        if buf.startswith(b"BM"):
            header = struct.unpack("<I", buf[14:18])[0]
            if header == 12:  # BITMAPCOREHEADER
                w, h = struct.unpack("<HH", buf[18:22])
                return w, h
            w, h = struct.unpack("<ii", buf[18:26])
            return abs(w), abs(h)
        if buf.startswith(b"RIFF") and buf[8:12] == b"WEBP":
            return _webp_size(buf)
        if buf[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(buf)
        if len(buf) > 2 and buf[0:1] == b"P" and buf[1:2] in b"123456":
            m1 = _PNM_TOKEN.match(buf, 2)
            m2 = _PNM_TOKEN.match(buf, m1.end()) if m1 else None
            if m1 and m2:
                return int(m1.group(1)), int(m2.group(1))
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(buf: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(buf):
        if buf[i] != 0xFF:
            return None
        marker = buf[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", buf[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            h, w = struct.unpack(">HH", buf[i + 5 : i + 9])
            return w, h
        i += 2 + length
    return None


def _webp_size(buf: bytes) -> tuple[int, int] | None:
    chunk = buf[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", buf[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", buf[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        w = int.from_bytes(buf[24:27], "little") + 1
        h = int.from_bytes(buf[27:30], "little") + 1
        return w, h
    return None


def _tiff_size(buf: bytes) -> tuple[int, int] | None:
    end = "<" if buf[:2] == b"II" else ">"
    (ifd,) = struct.unpack(end + "I", buf[4:8])
    (count,) = struct.unpack(end + "H", buf[ifd : ifd + 2])
    found: dict[int, int] = {}
    for k in range(count):
        entry = buf[ifd + 2 + 12 * k : ifd + 14 + 12 * k]
        tag, kind = struct.unpack(end + "HH", entry[:4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            found[tag] = struct.unpack(end + ("H" if kind == 3 else "I"), entry[8 : 10 if kind == 3 else 12])[
                0
            ]
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None
