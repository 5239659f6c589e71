"""The cleaning function itself (bytes in, bytes out), without the upload and the job."""

import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageCms

from api.photos.processing import clean

ZONE = ZoneInfo("Asia/Shanghai")


def jpeg(size, orientation=1, **metadata):
    """A JPEG whose left half is dark and right half light, with the given metadata."""
    image = Image.new("RGB", size, (230, 230, 230))
    image.paste((20, 20, 20), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes(), **metadata)
    return out.getvalue()


def test_the_thumbnail_is_made_to_fit_and_keeps_the_aspect():
    result = clean(jpeg((4000, 3000), orientation=6), 60_000_000, 2048, 320, ZONE)
    assert (result.width, result.height) == (1500, 2000)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (240, 320)


def test_a_small_picture_is_not_enlarged():
    result = clean(jpeg((200, 100)), 60_000_000, 2048, 320, ZONE)
    assert (result.width, result.height) == (200, 100)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (200, 100)


@pytest.mark.parametrize("variant", ["cleaned", "thumbnail"])
def test_no_comment_icc_profile_or_xmp_survives(variant):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(
        (800, 600),
        orientation=8,
        comment=b"secret comment",
        icc_profile=srgb,
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    body = getattr(clean(data, 60_000_000, 2048, 320, ZONE), variant)
    image = Image.open(io.BytesIO(body))
    assert b"secret" not in body and b"Exif" not in body
    assert not {"comment", "icc_profile", "xmp", "exif"} & set(image.info)
    # Orientation 8: shown turned a quarter anticlockwise, the dark left half at the bottom.
    width, height = image.size
    assert width < height
    assert image.getpixel((width // 2, height - 5))[0] < 100
    assert image.getpixel((width // 2, 5))[0] > 150
