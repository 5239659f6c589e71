from flask import request
from flask.views import MethodView

from api.areas import services
from api.areas.schemas import IMPORT_BODY, AreaImportSchema, AreaQuerySchema, AreaSchema
from api.auth.permissions import accepts, body_limit, require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate
from api.errors import Invalid

blp = Blueprint("areas", __name__, url_prefix="/api/v1/areas", description="The area tree")


@blp.route("")
class Areas(MethodView):
    @blp.arguments(AreaQuerySchema, location="query")
    @blp.response(200, AreaSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Areas within the caller's jurisdiction"""
        return paginate(services.areas_query(**filters), pagination_parameters)

    @require_roles("admin")
    @blp.arguments(AreaSchema)
    @blp.response(201, AreaSchema)
    def post(self, data):
        """Create an area (admin)"""
        parent = services.get_area(data["parent_id"]) if data.get("parent_id") else None
        return services.create_area(
            data["code"], data["name"], data["level"], parent, data.get("boundary")
        )


@blp.route("/<int:area_id>")
class AreaById(MethodView):
    @blp.response(200, AreaSchema)
    def get(self, area_id):
        """One area, with its boundary"""
        return services.get_area(area_id)


@blp.route("/import")
class AreaImport(MethodView):
    @require_roles("admin")
    @accepts("multipart/form-data")
    @body_limit("AREA_IMPORT_MAX_BYTES")
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(201, AreaImportSchema)
    @blp.alt_response(413, description="A file over AREA_IMPORT_MAX_BYTES")
    def post(self):
        """Import areas from a GeoJSON file (admin): all or nothing; a bad feature is a 422
        naming its index"""
        upload = request.files.get("file")
        if upload is None:
            raise Invalid({"file": ["Send the GeoJSON file as the multipart field 'file'."]})
        created, updated = services.import_feature_collection(
            services.read_geojson(upload.stream.read())
        )
        return {"created": created, "updated": updated}
