from marshmallow import Schema, fields, validate

from api.areas.models import AREA_LEVELS
from api.common.fields import GeoJSONPolygonal


class AreaSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6,12}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.OneOf(AREA_LEVELS))
    parent_id = fields.Integer(allow_none=True)
    boundary = GeoJSONPolygonal(allow_none=True)


class AreaQuerySchema(Schema):
    parent_id = fields.Integer()
    level = fields.String(validate=validate.OneOf(AREA_LEVELS))
    code = fields.String()
