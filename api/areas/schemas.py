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


class ImportedAreaSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)


class AreaImportSchema(Schema):
    created = fields.List(fields.Nested(ImportedAreaSchema))
    updated = fields.List(fields.Nested(ImportedAreaSchema))


IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "a GeoJSON FeatureCollection, UTF-8; each feature's "
                        "properties: code, name, level, parent_code",
                    }
                },
            }
        }
    },
}
