from flask.views import MethodView

from api.areas import services
from api.areas.schemas import AreaQuerySchema, AreaSchema
from api.auth.permissions import require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

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
