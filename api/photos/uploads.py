"""The photo upload every owner shares: ``POST /…/{id}/photos`` with a multipart ``file``
and ``client_uuid``.

flask-smorest documents only one body location per view, so the multipart body is
described here once (``UPLOAD_BODY``, for ``@blp.doc(requestBody=...)``) and parsed from
the request by ``attach_uploaded_photo``, with the guarded parser every argument passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, fields

from api.common.arguments import Blueprint
from api.photos.models import Photo
from api.photos.services import attach_photo

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "client_uuid"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "client_uuid": {"type": "string", "format": "uuid"},
                },
            }
        }
    },
}


class _UploadFormSchema(Schema):
    client_uuid = fields.UUID(required=True)


def attach_uploaded_photo(
    owner_kind: str,
    owner_id: int,
    area_id: int,
    reference_point: Any = None,
    reference_time: datetime | None = None,
) -> tuple[Photo, int]:
    """Attach this request's uploaded photo to its owner: (photo, 201 new | 200 replay)."""
    form = Blueprint.ARGUMENTS_PARSER.parse(_UploadFormSchema(), location="form", unknown=EXCLUDE)
    photo, created = attach_photo(
        owner_kind,
        owner_id,
        area_id,
        request.files.get("file"),
        form["client_uuid"],
        reference_point=reference_point,
        reference_time=reference_time,
    )
    return photo, 201 if created else 200
