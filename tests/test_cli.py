"""The CLI commands: importing areas, creating users, seeding the demo."""

import json

from sqlalchemy import select

from api.areas.models import Area
from api.auth.models import User
from api.auth.services import verify_password
from api.visits.models import RegisterReconciliation
from tests.visits import factories as vf

FEATURES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "code": "440229100901",
                "name": "导入村",
                "level": "village",
                "parent_code": "440229100",
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[114.1, 24.3], [114.11, 24.3], [114.11, 24.31], [114.1, 24.3]]],
            },
        },
        {
            "type": "Feature",
            "properties": {
                "code": "440229100",
                "name": "导入镇",
                "level": "town",
                "parent_code": "440229",
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[114.0, 24.2], [114.2, 24.2], [114.2, 24.4], [114.0, 24.2]]],
            },
        },
        {
            "type": "Feature",
            "properties": {"code": "440229", "name": "导入县", "level": "county"},
            "geometry": None,
        },
    ],
}


def test_import_areas_from_geojson_places_parents_first(app, db, tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(FEATURES), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["areas", "import", str(path)])
    assert result.exit_code == 0, result.output
    village = db.scalar(select(Area).where(Area.code == "440229100901"))
    town = db.scalar(select(Area).where(Area.code == "440229100"))
    county = db.scalar(select(Area).where(Area.code == "440229"))
    assert village.parent_id == town.id and town.parent_id == county.id
    assert village.path.startswith(town.path) and town.path.startswith(county.path)
    assert village.boundary is not None and county.boundary is None


def test_import_refuses_a_bad_file_and_writes_nothing(app, db, tmp_path):
    bad = dict(FEATURES)
    bad["features"] = [
        *FEATURES["features"][1:],
        {"type": "Feature", "properties": {"code": "1", "level": "village"}},
    ]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["areas", "import", str(path)])
    assert result.exit_code != 0
    assert db.scalar(select(Area).where(Area.code == "440229100")) is None


def test_create_user_command(app, db, areas):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "cli-user",
            "--display-name",
            "命令行",
            "--role",
            "supervisor",
            "--area-code",
            areas.town_a.code,
            "--password",
            "long enough",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "cli-user"))
    assert user.role == "supervisor" and user.area_id == areas.town_a.id
    assert verify_password(user.password_hash, "long enough")
    assert user.password_hash != "long enough"


def test_reconcile_report_prints_what_the_migration_left_to_check(app, db, areas):
    home = vf.household(areas.village_a1, head_name="黄秀英")
    for problem, detail in (
        ("head_member_differs", "户主 member 黄金凤 kept as 其他"),
        ("unknown_relation", "relation「干儿子」"),
    ):
        db.add(
            RegisterReconciliation(
                area_id=home.area_id, household_id=home.id, problem=problem, detail=detail
            )
        )
    db.flush()
    result = app.test_cli_runner().invoke(args=["households", "reconcile-report"])
    assert result.exit_code == 0, result.output
    assert f"household {home.id} ({areas.village_a1.name})" in result.output
    assert "[head_member_differs] 户主 member 黄金凤 kept as 其他" in result.output
    assert result.output.strip().endswith("2 findings")
    only = app.test_cli_runner().invoke(
        args=["households", "reconcile-report", "--problem", "unknown_relation"]
    )
    assert "干儿子" in only.output and "黄金凤" not in only.output
