"""Importing areas from a GeoJSON file on the admins' page: all or nothing, bad features
named by index, bad files refused with a 4xx, inside the admin's own jurisdiction."""

import io
import json

import pytest
from sqlalchemy import func, select

from api.areas.models import Area
from api.audit.models import AuditEntry
from tests import factories

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[114.1, 24.31], [114.11, 24.31], [114.11, 24.32], [114.1, 24.31]]],
}


def village(code, parent_code, name="新村", geometry=SQUARE):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": "village", "parent_code": parent_code},
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def upload(client, admin, data, filename="areas.geojson"):
    if not isinstance(data, bytes):
        data = json.dumps(data, ensure_ascii=False).encode()
    return client.post(
        "/api/v1/areas/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=factories.headers_for(admin),
    )


def test_import_adds_and_updates_villages_and_audits_them(client, db, areas):
    admin = factories.user("admin", areas.town_a)
    town = areas.town_a.code
    answer = upload(
        client,
        admin,
        collection(
            village(f"{town}901", town, "新一村"),
            # Numbers for codes, as GIS tools write them; an existing village renamed.
            village(int(areas.village_a1.code), int(town), "甲一村（新名）"),
        ),
    )
    assert answer.status_code == 201, answer.json
    assert [a["name"] for a in answer.json["created"]] == ["新一村"]
    assert [a["code"] for a in answer.json["updated"]] == [areas.village_a1.code]
    created = db.scalar(select(Area).where(Area.code == f"{town}901"))
    assert created.parent_id == areas.town_a.id and created.path.startswith(areas.town_a.path)
    assert db.get(Area, areas.village_a1.id).name == "甲一村（新名）"
    actions = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.table_name == "areas", AuditEntry.actor_id == admin.id
        )
    ).all()
    assert set(actions) == {"create", "update"}  # a new area's path is set after its insert


def test_a_bad_feature_is_named_by_index_and_nothing_is_written(client, db, areas):
    admin = factories.user("admin", areas.county)
    town = areas.town_a.code
    point = {"type": "Point", "coordinates": [114.1, 24.3]}
    far = {"type": "Polygon", "coordinates": [[[1e308, 2], [3, 4], [5, 6], [1e308, 2]]]}
    cases = [
        ("features.1.geometry", village(f"{town}903", town, geometry=point)),
        ("features.1.geometry", village(f"{town}903", town, geometry=far)),
        ("features.1.properties.code", village("12", town)),
        ("features.1.properties.name", village(f"{town}903", town, name="")),
        ("features.1.properties.name", village(f"{town}903", town, name="bad\x00name")),
        ("features.1.properties.parent_code", village(f"{town}903", "999999")),
        ("features.1.properties.code", village(f"{town}902", town)),  # twice in the file
    ]
    for field, bad in cases:
        answer = upload(client, admin, collection(village(f"{town}902", town), bad))
        assert answer.status_code == 422, (field, answer.json)
        assert any(key.startswith(field) for key in answer.json["errors"]), answer.json
    assert db.scalar(select(Area).where(Area.code == f"{town}902")) is None


def test_altitudes_are_dropped_and_every_ring_is_checked(client, db, areas):
    admin = factories.user("admin", areas.county)
    town = areas.town_a.code
    with_altitude = {
        "type": "Polygon",
        "coordinates": [
            [[114.1, 24.31, 80], [114.11, 24.31, 81], [114.11, 24.32, 82], [114.1, 24.31, 80]]
        ],
    }
    answer = upload(client, admin, collection(village(f"{town}904", town, geometry=with_altitude)))
    assert answer.status_code == 201, answer.json
    boundary = db.scalar(select(Area.boundary).where(Area.code == f"{town}904"))
    assert db.scalar(select(func.ST_NDims(boundary))) == 2
    hole_far_away = {
        "type": "Polygon",
        "coordinates": [
            [[114.1, 24.31], [114.2, 24.31], [114.2, 24.4], [114.1, 24.31]],
            [[114.15, 95], [114.16, 95], [114.16, 96], [114.15, 95]],
        ],
    }
    answer = upload(client, admin, collection(village(f"{town}905", town, geometry=hole_far_away)))
    assert answer.status_code == 422
    assert "features.0.geometry" in answer.json["errors"]


def test_an_import_never_moves_an_area(client, db, areas):
    admin = factories.user("admin", areas.county)
    village_a1 = areas.village_a1
    moved = village(village_a1.code, areas.town_b.code, "甲一村（搬走）")
    answer = upload(client, admin, collection(moved))
    assert answer.status_code == 422
    assert "features.0.properties.parent_code" in answer.json["errors"]
    county = {
        **village(areas.county.code, areas.county.code),
        "properties": {
            "code": areas.county.code,
            "name": "自己的上级",
            "level": "county",
            "parent_code": areas.county.code,
        },
    }
    answer = upload(client, admin, collection(county))
    assert answer.status_code == 422
    db.expire_all()
    assert db.get(Area, village_a1.id).parent_id == areas.town_a.id
    assert db.get(Area, areas.county.id).name != "自己的上级"


@pytest.mark.parametrize(
    "data, field",
    [
        (b"\xff\xfe{}", "file"),  # not UTF-8
        (b'{"type": "FeatureCollection", "features": [', "file"),  # cut short
        (b'{"type": "FeatureCollection", "features": [NaN]}', "file"),
        (b"[1, 2]", "file"),
        (b'{"type": "Feature"}', "file"),
        (b'{"type": "FeatureCollection", "features": []}', "features"),
        (b'{"type": "FeatureCollection", "features": [2147483648]}', "features.0"),
    ],
)
def test_bad_files_are_422(client, areas, data, field):
    admin = factories.user("admin", areas.county)
    answer = upload(client, admin, data)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]


def test_deep_huge_and_missing_files(app, client, areas):
    admin = factories.user("admin", areas.county)
    assert upload(client, admin, b"[" * 100_000 + b"]" * 100_000).status_code == 400
    huge = b" " * (app.config["AREA_IMPORT_MAX_BYTES"] + 1)
    assert upload(client, admin, huge).status_code == 413
    missing = client.post(
        "/api/v1/areas/import",
        data={"other": "x"},
        content_type="multipart/form-data",
        headers=factories.headers_for(admin),
    )
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    as_json = client.post(
        "/api/v1/areas/import", json=collection(), headers=factories.headers_for(admin)
    )
    assert as_json.status_code == 415


def test_jurisdiction_and_roles(client, db, areas):
    town_admin = factories.user("admin", areas.town_a)
    b = areas.town_b.code
    # Another town's village, new or existing, reads as a code out of reach.
    new_there = upload(client, town_admin, collection(village(f"{b}901", b)))
    assert new_there.status_code == 422
    assert "features.0.properties.parent_code" in new_there.json["errors"]
    existing_there = upload(client, town_admin, collection(village(areas.village_b1.code, b)))
    assert existing_there.status_code == 422
    assert "features.0.properties.code" in existing_there.json["errors"]
    assert db.get(Area, areas.village_b1.id).name == "乙一村"
    # A new county is the command line's.
    county = {
        "type": "Feature",
        "properties": {"code": "450000", "name": "新县", "level": "county"},
    }
    county_admin = factories.user("admin", areas.county)
    answer = upload(client, county_admin, collection(county))
    assert (
        answer.status_code == 422 and "features.0.properties.parent_code" in answer.json["errors"]
    )
    supervisor = factories.user("supervisor", areas.county)
    assert upload(client, supervisor, collection(county)).status_code == 403
