"""Turning an uploaded image into what may be served: pure functions, bytes in, bytes out.

- EXIF time and GPS position are read first (they are evidence about the visit);
- the image is decoded (JPEGs at reduced scale with ``draft``, so a 12 MP photo is fast),
  turned upright by its EXIF orientation, and re-encoded from bare pixels as a JPEG, so no
  EXIF, GPS, XMP, ICC profile or comment survives;
- a thumbnail is made from the cleaned copy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x0132, 0x9003, 0x9011
_ORIENTATION = 0x0112
# EXIF orientation -> the turn that makes the picture upright (as ImageOps.exif_transpose).
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_IMAGE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    RuntimeError,
)


class UnprocessableImage(Exception):
    """The image cannot be read or is too large to decode."""


@dataclass
class Cleaned:
    cleaned: bytes
    thumbnail: bytes
    width: int
    height: int
    original_width: int
    original_height: int
    taken_at: datetime | None
    position: tuple[float, float] | None  # lon, lat


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open (not decode) an image, refusing decompression bombs by their declared size."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise UnprocessableImage("the image has too many pixels to decode safely") from exc
    except _IMAGE_ERRORS as exc:
        raise UnprocessableImage("the file is not a readable image") from exc
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise UnprocessableImage(
            f"the image is {width}×{height} pixels, more than the {max_pixels} allowed "
            "(a decompression bomb or an oversized picture)"
        )
    return image


def read_exif(
    image: Image.Image, zone: ZoneInfo
) -> tuple[datetime | None, tuple[float, float] | None]:
    try:
        exif = image.getexif()
    except _IMAGE_ERRORS:
        return None, None
    return _taken_at(exif, zone), _gps_position(exif)


def _taken_at(exif: Any, zone: ZoneInfo) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except _IMAGE_ERRORS:
        sub = {}
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        # EXIF DateTimeOriginal has no zone; it is given one just below.
        naive = datetime.strptime(raw.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    tz: Any = zone  # cameras without an offset tag keep local time: the county's zone
    if isinstance(offset, str) and len(offset.strip()) >= 6:
        try:
            sign = -1 if offset.strip()[0] == "-" else 1
            hours, minutes = offset.strip()[1:6].split(":")
            tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        except ValueError:
            tz = zone
    return naive.replace(tzinfo=tz)


def _gps_position(exif: Any) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
        lat = _degrees(gps.get(2), gps.get(1))
        lon = _degrees(gps.get(4), gps.get(3))
    except (*_IMAGE_ERRORS, ZeroDivisionError):
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:
        return None
    return lon, lat


def _degrees(value: Any, ref: Any) -> float | None:
    if not value or len(value) != 3:
        return None
    degrees = float(value[0]) + float(value[1]) / 60 + float(value[2]) / 3600
    if degrees != degrees:  # NaN from a 0/0 rational
        return None
    if isinstance(ref, bytes):
        ref = ref.decode(errors="ignore")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        degrees = -degrees
    return degrees


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned by the EXIF (or XMP) orientation.

    Not ``ImageOps.exif_transpose``: it also rewrites the EXIF block for the turned image
    (a few ms) and copies an already upright one, and the EXIF is dropped anyway.
    """
    try:
        turn = _TURNS.get(image.getexif().get(_ORIENTATION))
    except _IMAGE_ERRORS:
        return image
    return image if turn is None else image.transpose(turn)


def _bare_rgb(image: Image.Image) -> Image.Image:
    """Pixels only: a new image without any of the original's metadata."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    bare = Image.new("RGB", image.size, None)  # not filled: the paste covers every pixel
    bare.paste(image)
    return bare


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` shrunk (never enlarged) so that its long side is at most ``side``."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def clean(data: bytes, max_pixels: int, max_side: int, thumb_side: int, zone: ZoneInfo) -> Cleaned:
    image = open_image(data, max_pixels)
    original_width, original_height = image.size
    taken_at, position = read_exif(image, zone)
    try:
        if image.format == "JPEG":
            # Let the JPEG decoder scale down (1/2, 1/4, 1/8) while the long side stays
            # within 10 % of max_side: a 4000 x 3000 phone photo decodes at 2000 x 1500,
            # four times fewer pixels to decode, turn and resample than at full size.
            long_side = max(original_width, original_height)
            wanted = 0.9 * max_side / long_side
            image.draft(
                "RGB",
                (max(1, int(original_width * wanted)), max(1, int(original_height * wanted))),
            )
        image.load()
        upright = _upright(image)
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        cleaned_image = _bare_rgb(upright)
        # From the cleaned copy (a few MP, not the original), shrunk by an integer factor
        # first (reducing_gap), then resampled: the result, not a copy, is the new image.
        thumb = cleaned_image.resize(
            _fit(cleaned_image.size, thumb_side), Image.Resampling.LANCZOS, reducing_gap=2.0
        )
        cleaned_bytes, thumb_bytes = _jpeg(cleaned_image, 85), _jpeg(thumb, 80)
    except Image.DecompressionBombError as exc:
        raise UnprocessableImage("the image has too many pixels to decode safely") from exc
    except _IMAGE_ERRORS as exc:
        raise UnprocessableImage(f"the image could not be decoded ({type(exc).__name__})") from exc
    except MemoryError as exc:
        raise UnprocessableImage("the image is too large to decode") from exc
    return Cleaned(
        cleaned=cleaned_bytes,
        thumbnail=thumb_bytes,
        width=cleaned_image.width,
        height=cleaned_image.height,
        original_width=original_width,
        original_height=original_height,
        taken_at=taken_at,
        position=position,
    )
