from marshmallow import Schema, fields

from api.common.fields import AwareDateTime, GeoJSONPoint


class PhotoSchema(Schema):
    id = fields.Integer()
    owner_kind = fields.String()
    owner_id = fields.Integer()
    area_id = fields.Integer()
    client_uuid = fields.String()
    status = fields.String(metadata={"description": "pending, ready or failed"})
    failure_reason = fields.String(allow_none=True)
    media_type = fields.String(metadata={"description": "what was uploaded"})
    original_bytes = fields.Integer()
    width = fields.Integer(allow_none=True, metadata={"description": "of the cleaned copy"})
    height = fields.Integer(allow_none=True)
    exif_taken_at = AwareDateTime(allow_none=True)
    exif_location = GeoJSONPoint(allow_none=True)
    flagged = fields.Boolean()
    flags = fields.List(fields.String())
    distance_m = fields.Float(allow_none=True)
    age_hours = fields.Float(allow_none=True)
    created_at = AwareDateTime()
    processed_at = AwareDateTime(allow_none=True)
    url = fields.Function(lambda photo: f"/api/v1/photos/{photo.id}")
    thumbnail_url = fields.Function(lambda photo: f"/api/v1/photos/{photo.id}/thumbnail")
