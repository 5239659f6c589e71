"""Attaching photos to records of any domain, and reading them back.

Other domains call ``attach_photo(...)`` from their upload view after checking that the
owner record exists and is visible; the rules (media types, size, pixels, damaged files,
idempotency by ``client_uuid``) and the cleaning pipeline are the same for all of them.
Who may see a photo is who may see its owner: ``Photo`` is ``RowRoleRestricted`` by
``owner_kind`` (``api.auth.realms``), on top of its area.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any

import pillow_heif
from flask import current_app
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from api.areas.scope import require_actor
from api.common.idempotency import find_replay, fingerprint
from api.db import session
from api.errors import Invalid, NotFound, TooLarge, UnsupportedMediaType
from api.jobs.services import schedule_job
from api.photos import storage
from api.photos.checks import jpeg_problem, sniff_media_type
from api.photos.models import OWNER_KINDS, Photo
from api.photos.processing import UnprocessableImage, open_image

CLEAN_JOB = "workers.photos.clean_photo"


def _file_problem(field: str, message: str) -> Invalid:
    return Invalid({field: [message]}, detail=f"The photo was refused: {message}.")


def _read_upload(file_storage: FileStorage, max_bytes: int) -> bytes:
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"Photos are limited to {max_bytes} bytes.")
    if not data:
        raise _file_problem("file", "the file is empty")
    return data


def _check_image(data: bytes, media_type: str, max_pixels: int) -> None:
    """Refuse damaged files and decompression bombs now, while the phone still listens."""
    if media_type == "image/jpeg":
        problem = jpeg_problem(data)
        if problem:
            raise _file_problem("file", f"the JPEG is damaged: {problem}")
    try:
        image = open_image(data, max_pixels)
        if media_type == "image/png":
            image.verify()  # checks every chunk's CRC without decoding pixels
        elif media_type == "image/webp":
            image.load()
        elif media_type == "image/heic":
            heif = pillow_heif.open_heif(io.BytesIO(data))
            if not len(heif):
                raise UnprocessableImage("the HEIF file holds no image")
    except UnprocessableImage as exc:
        raise _file_problem("file", str(exc)) from exc
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        RuntimeError,
        Image.DecompressionBombError,
    ) as exc:
        raise _file_problem("file", "the image is damaged or truncated") from exc


def attach_photo(
    owner_kind: str,
    owner_id: int,
    area_id: int,
    file_storage: FileStorage | None,
    client_uuid: uuid.UUID | str,
    reference_point: Any = None,
    reference_time: datetime | None = None,
) -> tuple[Photo, bool]:
    """Store an uploaded photo for an owner record and schedule its cleaning.

    (photo, created): the same ``client_uuid`` with the same bytes returns the stored photo;
    with other bytes, 409. ``reference_point``/``reference_time`` (the visit's point and
    time, say) are what the photo's EXIF position and time are compared against.
    """
    if owner_kind not in OWNER_KINDS:
        raise ValueError(f"unknown photo owner kind {owner_kind!r}")
    if file_storage is None:
        raise _file_problem("file", "send the image as the multipart field 'file'")
    config = current_app.config
    data = _read_upload(file_storage, config["PHOTO_MAX_BYTES"])
    digest = storage.sha256(data)
    content_hash = fingerprint({"owner_kind": owner_kind, "owner_id": owner_id, "sha256": digest})
    replay = find_replay(Photo, client_uuid, content_hash)
    if replay is not None:
        return replay, False
    media_type = sniff_media_type(data[:64])
    if media_type is None:
        raise UnsupportedMediaType("Photos must be JPEG, PNG, WebP or HEIC/HEIF images.")
    _check_image(data, media_type, config["PHOTO_MAX_PIXELS"])
    storage.write("originals", data)
    photo = Photo(
        owner_kind=owner_kind,
        owner_id=owner_id,
        area_id=area_id,
        client_uuid=str(client_uuid),
        content_hash=content_hash,
        uploaded_by_id=require_actor().user_id,
        status="pending",
        media_type=media_type,
        original_bytes=len(data),
        original_sha256=digest,
        reference_location=reference_point,
        reference_time=reference_time,
        flags=[],
    )
    session.add(photo)
    session.flush()
    schedule_job(CLEAN_JOB, photo.id, area_id=photo.area_id)
    return photo, True


def photos_of(owner_kind: str, owner_id: int) -> list[Photo]:
    return list(
        session.scalars(
            select(Photo)
            .where(Photo.owner_kind == owner_kind, Photo.owner_id == owner_id)
            .order_by(Photo.id)
        )
    )


def get_photo(photo_id: int) -> Photo:
    """A photo the caller may see (its area, its owner's realm), else 404."""
    photo = session.scalar(select(Photo).where(Photo.id == photo_id))
    if photo is None:
        raise NotFound("No such photo.")
    return photo


def photo_bytes(photo: Photo, variant: str) -> tuple[bytes, str]:
    """(bytes, sha256) of the cleaned copy or thumbnail of a ready photo."""
    from api.errors import Conflict

    if photo.status != "ready":
        raise Conflict(
            "The photo is still being processed."
            if photo.status == "pending"
            else f"The photo could not be processed: {photo.failure_reason}",
            photo_status=photo.status,
        )
    digest = photo.cleaned_sha256 if variant == "cleaned" else photo.thumbnail_sha256
    data = storage.read("cleaned" if variant == "cleaned" else "thumbnails", digest or "")
    if data is None:
        raise NotFound("The photo's file is missing.")
    return data, digest or ""
