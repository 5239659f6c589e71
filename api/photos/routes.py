"""Serving cleaned photos and thumbnails, with ETags and private caching only."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from api.common.arguments import Blueprint
from api.photos import services
from api.photos.schemas import PhotoSchema

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="Photos")

# The bytes of a photo never change once it is ready, so the phone may keep them; never a
# shared cache (people's homes).
CACHE_CONTROL = "private, max-age=86400"


def _image_response(photo_id: int, variant: str) -> Response:
    photo = services.get_photo(photo_id)
    data, digest = services.photo_bytes(photo, variant)
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(digest)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


@blp.route("/<int:photo_id>")
class PhotoImage(MethodView):
    @blp.response(200, content_type="image/jpeg", description="the cleaned JPEG")
    def get(self, photo_id):
        """The cleaned image (upright, no EXIF)"""
        return _image_response(photo_id, "cleaned")


@blp.route("/<int:photo_id>/thumbnail")
class PhotoThumbnail(MethodView):
    @blp.response(200, content_type="image/jpeg", description="a small JPEG")
    def get(self, photo_id):
        """The thumbnail"""
        return _image_response(photo_id, "thumbnail")


@blp.route("/<int:photo_id>/metadata")
class PhotoMetadata(MethodView):
    @blp.response(200, PhotoSchema)
    def get(self, photo_id):
        """A photo's record: status, EXIF time and position, flags"""
        return services.get_photo(photo_id)
