"""Coverage, per-worker figures, map layers and exports (supervisors and admins)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, g
from flask.views import MethodView

from api.audit.services import finish_bulk_read, record_bulk_read
from api.auth.permissions import require_roles
from api.casework.tasks.services import tasks_query
from api.common.arguments import Blueprint
from api.common.county_time import county_zone, local_today
from api.common.pagination import PAGINATION
from api.common.replica import reads_from_replica
from api.common.streaming import streamed
from api.db import session
from api.visits.coverage import exports, households, maps, services
from api.visits.coverage.schemas import (
    CoverageSchema,
    ExportQuerySchema,
    FeatureCollectionSchema,
    HouseholdExportQuerySchema,
    HouseholdListQuerySchema,
    HouseholdMapQuerySchema,
    HouseholdRowSchema,
    MapQuerySchema,
    MembersExportQuerySchema,
    PeriodQuerySchema,
    TaskExportQuerySchema,
    VisitMapQuerySchema,
    WorkersSchema,
)

SUPERVISING_ROLES = ("supervisor", "admin")

coverage_blp = Blueprint(
    "coverage", __name__, url_prefix="/api/v1/coverage", description="Visit coverage"
)
maps_blp = Blueprint(
    "maps", __name__, url_prefix="/api/v1/maps", description="Map layers (GeoJSON, RFC 7946)"
)
exports_blp = Blueprint(
    "exports", __name__, url_prefix="/api/v1/exports", description="CSV and XLSX exports"
)


def _cadence() -> services.Cadence:
    config = current_app.config
    return services.Cadence(
        config["REVISIT_DAYS_POVERTY_RETURN_MONITORING"], config["REVISIT_DAYS_DEFAULT"]
    )


def _scope(args: dict[str, Any]) -> tuple[Any, services.Period]:
    area = services.visible_area(args.get("area_id"), g.actor.area_id)
    zone = county_zone()
    period = services.default_period(zone, args.get("from_date"), args.get("to_date"))
    return area, period


@coverage_blp.route("")
class Coverage(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @coverage_blp.arguments(PeriodQuerySchema, location="query")
    @coverage_blp.response(200, CoverageSchema)
    @reads_from_replica
    def get(self, args):
        """Coverage of focus households per child area, with the area's totals"""
        area, period = _scope(args)
        return services.coverage(area, period, _cadence())


@coverage_blp.route("/workers")
class CoverageByWorker(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @coverage_blp.arguments(PeriodQuerySchema, location="query")
    @coverage_blp.response(200, WorkersSchema)
    @reads_from_replica
    def get(self, args):
        """Per worker: visits, households reached, in-person and flagged shares, tasks"""
        area, period = _scope(args)
        return services.workers(area, period)


@coverage_blp.route("/households")
class CoverageHouseholds(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @coverage_blp.arguments(HouseholdListQuerySchema, location="query")
    @coverage_blp.response(200, HouseholdRowSchema(many=True))
    @coverage_blp.paginate(**PAGINATION)
    @reads_from_replica
    def get(self, args, pagination_parameters):
        """The focus households behind the figures: status, focus groups, last visitor"""
        area, period = _scope(args)
        stmt = households.households_select(area, period, _cadence(), args.get("status"))
        size = pagination_parameters.page_size
        total, rows = households.households_page(
            stmt, (pagination_parameters.page - 1) * size, size
        )
        pagination_parameters.item_count = total
        g.total_count = total
        return rows


@maps_blp.route("/visits")
class VisitLayer(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @maps_blp.arguments(VisitMapQuerySchema, location="query")
    @maps_blp.response(200, FeatureCollectionSchema)
    @reads_from_replica
    def get(self, args):
        """Visits (points) with review state and presence flags"""
        area, period = _scope(args)
        layer, rows = maps.visits_layer(
            area,
            period,
            args.get("bbox"),
            args["limit"],
            args.get("flagged"),
            args.get("review_state"),
        )
        record_bulk_read("map", "visits", area.id, args, rows)
        if isinstance(layer, str):  # built by PostGIS: sent as it is, not parsed and dumped
            return current_app.response_class(layer, mimetype="application/json")
        return layer


@maps_blp.route("/households")
class HouseholdLayer(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @maps_blp.arguments(HouseholdMapQuerySchema, location="query")
    @maps_blp.response(200, FeatureCollectionSchema)
    @reads_from_replica
    def get(self, args):
        """Focus households coloured by visited in period / overdue / never visited"""
        area, period = _scope(args)
        layer = maps.households_layer(
            area, period, _cadence(), args.get("bbox"), args["limit"], args.get("status")
        )
        record_bulk_read("map", "households", area.id, args, len(layer["features"]))
        return layer


@maps_blp.route("/areas")
class AreaLayer(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @maps_blp.arguments(MapQuerySchema, location="query")
    @maps_blp.response(200, FeatureCollectionSchema)
    @reads_from_replica
    def get(self, args):
        """Child areas' boundaries with their coverage figures (choropleth)"""
        area, period = _scope(args)
        return maps.areas_layer(area, period, _cadence(), args.get("bbox"), args["limit"])


@maps_blp.route("/patrols")
class PatrolLayer(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @maps_blp.arguments(MapQuerySchema, location="query")
    @maps_blp.response(200, FeatureCollectionSchema)
    @reads_from_replica
    def get(self, args):
        """Patrol routes (lines) and encounters (points)"""
        area, period = _scope(args)
        layer = maps.patrols_layer(area, period, args.get("bbox"), args["limit"])
        record_bulk_read("map", "encounters", area.id, args, len(layer["features"]))
        return layer


EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "The file (CSV with a UTF-8 BOM, or XLSX), streamed",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


def send_export(
    export: exports.Export, table_name: str, area_id: int, args: dict[str, Any]
) -> Response:
    """Stream ``export``, audited: the entry (who, which filter) is written and committed
    now, before the first byte; the number of rows sent is added
    when the stream ends, also when the client goes away or a read fails (``complete``
    says which), so every export leaves an entry however it ends."""
    file_format = args["format"]
    mimetype, writer = exports.FORMATS[file_format]
    filename = f"{export.name}.{file_format}"
    audit = record_bulk_read("export", table_name, area_id, args)
    # The stream keeps the request's session until the last byte (api.common.streaming);
    # the entry must stand before the first byte leaves, whatever happens to the stream.
    session.commit()
    sent = 0

    def counted_rows() -> Iterator[list[Any]]:
        nonlocal sent
        for row in export.rows():
            yield row
            sent += 1

    def chunks() -> Iterator[bytes]:
        complete = failed = False
        try:
            yield from writer(replace(export, rows=counted_rows))
            complete = True
        except Exception:
            failed = True
            raise
        finally:
            # Also on GeneratorExit: the server closes the stream when the client is gone.
            finish_bulk_read(audit, sent, complete, failed)

    response = Response(streamed(chunks()), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"export.{file_format}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@exports_blp.route("/coverage")
class CoverageExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @exports_blp.arguments(ExportQuerySchema, location="query")
    @exports_blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """Coverage per child area and the total, as CSV or XLSX"""
        area, period = _scope(args)
        return send_export(
            exports.coverage_export(area, period, _cadence()), "areas", area.id, args
        )


@exports_blp.route("/visits")
class VisitsExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @exports_blp.arguments(ExportQuerySchema, location="query")
    @exports_blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """Visits in the area and period, as CSV or XLSX"""
        area, period = _scope(args)
        return send_export(exports.visits_export(area, period), "visits", area.id, args)


@exports_blp.route("/members")
class MembersExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @exports_blp.arguments(MembersExportQuerySchema, location="query")
    @exports_blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """The household members in the area (relations by their Chinese labels, ID
        numbers masked), as CSV or XLSX"""
        area = services.visible_area(args.get("area_id"), g.actor.area_id)
        return send_export(exports.members_export(area), "household_members", area.id, args)


@exports_blp.route("/tasks")
class TasksExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @exports_blp.arguments(TaskExportQuerySchema, location="query")
    @exports_blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """Follow-up tasks due in the period in the area, or as listed, as CSV or XLSX"""
        area, period = _scope(args)
        listed = None
        if args["as_listed"]:
            keys = ("assignee_id", "kind", "status", "overdue", "unassigned")
            filters = {"area_id": area.id, **{key: args.get(key) for key in keys}}
            listed = tasks_query(g.actor, filters, local_today())
        return send_export(exports.tasks_export(area, period, listed), "tasks", area.id, args)


@exports_blp.route("/households")
class HouseholdsExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @exports_blp.arguments(HouseholdExportQuerySchema, location="query")
    @exports_blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """The focus households with their status, focus groups and last visitor"""
        area, period = _scope(args)
        return send_export(
            exports.households_export(area, period, _cadence(), args.get("status")),
            "households",
            area.id,
            args,
        )
