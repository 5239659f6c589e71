"""The photo-cleaning job: ``clean_photo(photo_id)``, scheduled by the upload.

Reads the private original, records its EXIF time and position, writes the cleaned copy
and thumbnail (named by content hash), compares the EXIF figures with the reference point
and time (the visit's), and sets ``ready``; an image that cannot be processed ends
``failed`` with the reason (the job itself succeeds: retrying would not help). Runs twice
harmlessly: a photo no longer pending is left alone, and files are content-addressed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shapely.geometry import Point
from sqlalchemy import select

from api.common.fields import to_db_geometry
from api.db import session, utcnow
from api.jobs.services import schedule_job
from api.photos import storage
from api.photos.models import Photo
from api.photos.processing import UnprocessableImage, clean
from api.visits.presence import distance_m
from workers.app import get_app

FLAGGED_JOB = "workers.followup.photo_flagged"


def clean_photo(photo_id: int) -> str:
    photo = session.scalar(select(Photo).where(Photo.id == photo_id))
    if photo is None or photo.status != "pending":
        return "skipped"
    config = get_app().config
    original = storage.read("originals", photo.original_sha256)
    if original is None:
        return _fail(photo, "the original file is missing from storage")
    try:
        result = clean(
            original,
            config["PHOTO_MAX_PIXELS"],
            config["PHOTO_CLEAN_MAX_SIDE"],
            config["PHOTO_THUMB_SIDE"],
            ZoneInfo(config["COUNTY_TIMEZONE"]),
        )
    except UnprocessableImage as exc:
        return _fail(photo, str(exc))
    except Exception as exc:  # a decoder bug must not leave the photo pending forever
        return _fail(photo, f"the image could not be processed ({type(exc).__name__})")
    photo.cleaned_sha256 = storage.write("cleaned", result.cleaned)
    photo.thumbnail_sha256 = storage.write("thumbnails", result.thumbnail)
    photo.width, photo.height = result.width, result.height
    photo.original_width, photo.original_height = result.original_width, result.original_height
    photo.exif_taken_at = result.taken_at
    photo.exif_location = to_db_geometry(Point(*result.position)) if result.position else None
    flags: list[str] = []
    if result.position and photo.reference_location is not None:
        photo.distance_m = round(distance_m(Point(*result.position), photo.reference_location), 1)
        if photo.distance_m > config["PHOTO_MAX_DISTANCE_M"]:
            flags.append("far_from_reference_point")
    if result.taken_at and photo.reference_time is not None:
        hours = (photo.reference_time - result.taken_at).total_seconds() / 3600
        photo.age_hours = round(hours, 2)
        if hours > config["PHOTO_MAX_AGE_HOURS"]:
            flags.append("taken_long_before_reference_time")
    photo.flags = flags
    photo.flagged = bool(flags)
    photo.status = "ready"
    photo.processed_at = utcnow()
    session.flush()
    if flags:
        schedule_job(FLAGGED_JOB, photo.id, area_id=photo.area_id)
    return "ready"


def _fail(photo: Photo, reason: str) -> str:
    photo.status = "failed"
    photo.failure_reason = reason[:500]
    photo.processed_at = utcnow()
    session.flush()
    return "failed"
