"""Cheap checks of uploaded image bytes, before anything is decoded in full.

The media type is sniffed from the bytes (the client's label is not trusted). JPEGs are
walked marker by marker: a missing end-of-image marker (truncation), a segment running
past the end, scan data broken by a run of fill bytes or restart markers out of sequence
(a damaged block) all make the file refused at upload. libjpeg itself decodes such files
without complaint, filling the damage with grey.
"""

from __future__ import annotations

HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}


def sniff_media_type(head: bytes) -> str | None:
    """``image/jpeg``, ``image/png``, ``image/webp``, ``image/heic`` or None."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brands & (HEIF_BRANDS - {b"avif"}):
            return "image/heic"
    return None


def jpeg_problem(data: bytes) -> str | None:
    """Why this JPEG is damaged, or None when its structure is sound."""
    if data[:2] != b"\xff\xd8":
        return "it does not start like a JPEG"
    i, n = 2, len(data)
    restart_interval = 0
    while i < n:
        if data[i] != 0xFF:
            return f"the structure is broken at byte {i}"
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            return "it is truncated"
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if i + 2 > n:
            return "it is truncated"
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > n:
            return "it is truncated (a segment runs past the end)"
        if marker == 0xDD and length >= 4:
            restart_interval = int.from_bytes(data[i + 2 : i + 4], "big")
        i += length
        if marker == 0xDA:
            scan_end = _scan_end(data, i, restart_interval)
            if isinstance(scan_end, str):
                return scan_end
            i = scan_end
    return "it is truncated (no end-of-image marker)"


def _scan_end(data: bytes, i: int, restart_interval: int) -> int | str:
    """The offset of the marker that ends the entropy-coded data from ``i``, or a problem."""
    n = len(data)
    expected_restart = 0
    while True:
        j = data.find(b"\xff", i)
        if j < 0 or j + 1 >= n:
            return "it is truncated (the image data stops early)"
        k = j + 1
        if data[k] == 0x00:  # a stuffed 0xFF data byte
            i = k + 1
            continue
        while k < n and data[k] == 0xFF:  # fill bytes: only allowed before a marker
            k += 1
        if k >= n:
            return "it is truncated (the image data stops early)"
        if data[k] == 0x00:
            return f"the image data is damaged near byte {j}"
        if 0xD0 <= data[k] <= 0xD7:
            if restart_interval == 0 or data[k] - 0xD0 != expected_restart:
                return f"the image data is damaged near byte {j}"
            expected_restart = (expected_restart + 1) % 8
            i = k + 1
            continue
        return k - 1
