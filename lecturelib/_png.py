"""A small PNG reader (numpy and zlib only) for the photographs in data/.

It reads what the shipped files are: 8-bit greyscale, grey + alpha, RGB or
RGBA, not interlaced. That keeps the lesson's modules free of imaging and
plotting libraries. The PNG format stores each row after one of five
"filters" (none, sub, up, average, Paeth); undoing them needs a pixel's left,
upper and upper-left neighbours, so every pixel on an anti-diagonal
``row + column = d`` can be undone at once, one diagonal after another.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # colour type -> samples per pixel


def read_png(path: str | Path) -> np.ndarray:
    """The pixels of an 8-bit PNG file as uint8, (H, W) for grey or (H, W, C).

    Raises ValueError for anything but a non-interlaced 8-bit grey/RGB(A) PNG.
    """
    data = Path(path).read_bytes()
    if not data.startswith(_SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    position, header, compressed = len(_SIGNATURE), None, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length  # length, type, body, CRC
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path} has no PNG header")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(
            f"{path}: only 8-bit, non-interlaced grey or RGB(A) PNGs can be read "
            f"(bit depth {depth}, colour type {colour}, interlace {interlace})"
        )
    channels = _CHANNELS[colour]
    rows = np.frombuffer(zlib.decompress(b"".join(compressed)), dtype=np.uint8)
    rows = rows.reshape(height, 1 + width * channels)
    pixels = _unfilter(rows[:, 0], rows[:, 1:].reshape(height, width, channels))
    return pixels[..., 0] if channels == 1 else pixels


def _unfilter(filters: np.ndarray, filtered: np.ndarray) -> np.ndarray:
    """Undo each row's filter, one anti-diagonal of pixels at a time."""
    height, width, _ = filtered.shape
    # A border of zeros above and to the left stands for the neighbours outside the image.
    out = np.zeros((height + 1, width + 1, filtered.shape[2]), dtype=np.int32)
    all_rows = np.arange(height)
    for d in range(height + width - 1):
        r = all_rows[max(0, d - width + 1) : min(height, d + 1)]
        c = d - r
        left, up, up_left = out[r + 1, c], out[r, c + 1], out[r, c]
        f = filters[r][:, None]
        paeth = left + up - up_left
        near_left, near_up = np.abs(paeth - left), np.abs(paeth - up)
        near_up_left = np.abs(paeth - up_left)
        paeth = np.where(
            (near_left <= near_up) & (near_left <= near_up_left),
            left,
            np.where(near_up <= near_up_left, up, up_left),
        )
        prediction = np.select(
            [f == 1, f == 2, f == 3, f == 4], [left, up, (left + up) // 2, paeth], 0
        )
        out[r + 1, c + 1] = (filtered[r, c] + prediction) % 256
    return out[1:, 1:].astype(np.uint8)
