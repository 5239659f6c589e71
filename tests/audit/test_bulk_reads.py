"""Exports and map layers are audited: who, which filter, how many rows (one entry each),
ID numbers masked; GET /audit filters them by action and period."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.audit.models import AuditEntry
from api.audit.services import record_bulk_read
from api.common.county_time import local_today
from api.db import utcnow
from tests import factories
from tests.visits import factories as vf
from tests.visits.coverage import factories as cf


@pytest.fixture
def supervisor(areas):
    return factories.user("supervisor", areas.county)


@pytest.fixture
def visits(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    homes = [vf.household(areas.village_a1), vf.household(areas.village_a2)]
    return [cf.visit(homes[n % 2], worker, utcnow() - timedelta(hours=n + 1)) for n in range(3)]


def _period():
    today = local_today().isoformat()
    return f"from={today}&to={today}"


def _bulk_entries(db, action):
    set_actor(None, SYSTEM)  # a streamed answer's session has ended meanwhile
    return db.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_leaves_one_entry_with_its_filter_and_row_count(
    client, db, areas, supervisor, visits, file_format
):
    supervisor_id = supervisor.id
    response = client.get(
        f"/api/v1/exports/visits?format={file_format}&area_id={areas.county.id}&{_period()}",
        headers=factories.headers_for(supervisor),
    )
    assert response.status_code == 200
    assert response.data  # the whole file streamed

    [entry] = _bulk_entries(db, "export")
    assert (entry.table_name, entry.actor_id, entry.area_id) == (
        "visits",
        supervisor_id,
        areas.county.id,
    )
    today = local_today().isoformat()
    assert entry.changes == {
        "endpoint": "/api/v1/exports/visits",
        "filters": {
            "format": file_format,
            "area_id": areas.county.id,
            "from_date": today,
            "to_date": today,
        },
        "rows": 3,
        "complete": True,
    }
    assert entry.request_id == response.headers["X-Request-ID"]


def test_an_export_the_client_left_is_audited_as_incomplete(client, db, areas, supervisor, visits):
    response = client.get(
        f"/api/v1/exports/visits?format=csv&{_period()}",
        headers=factories.headers_for(supervisor),
        buffered=False,
    )
    assert response.status_code == 200
    # The entry is committed before the first byte…
    [entry] = _bulk_entries(db, "export")
    assert entry.changes["rows"] is None and entry.changes["complete"] is False
    first_chunk = next(iter(response.response))
    assert first_chunk.startswith(b"\xef\xbb\xbf")
    response.close()  # …and completed when the server closes the stream of a client gone
    db.expire_all()
    [entry] = _bulk_entries(db, "export")
    assert entry.changes["complete"] is False and entry.changes["rows"] == 0


def test_a_map_layer_with_names_leaves_one_entry(client, db, areas, supervisor, visits):
    response = client.get(
        f"/api/v1/maps/households?area_id={areas.town_a.id}&{_period()}",
        headers=factories.headers_for(supervisor),
    )
    assert response.status_code == 200
    features = response.json["features"]
    assert features and all(f["properties"]["head_name"] for f in features)

    [entry] = _bulk_entries(db, "map")
    assert (entry.table_name, entry.area_id) == ("households", areas.town_a.id)
    assert entry.changes["endpoint"] == "/api/v1/maps/households"
    assert entry.changes["filters"]["area_id"] == areas.town_a.id
    assert "limit" in entry.changes["filters"]  # defaults too: what was read
    assert entry.changes["rows"] == len(features)


@pytest.mark.parametrize(
    ("path", "table_name"),
    [
        ("/api/v1/maps/visits", "visits"),
        ("/api/v1/maps/patrols", "encounters"),
        ("/api/v1/encounters/map", "encounters"),
        ("/api/v1/patrols/map", "patrols"),
    ],
)
def test_other_layers_placing_people_are_audited(client, db, supervisor, visits, path, table_name):
    response = client.get(path, headers=factories.headers_for(supervisor))
    assert response.status_code == 200
    [entry] = _bulk_entries(db, "map")
    assert entry.table_name == table_name
    assert entry.changes["rows"] == len(response.json["features"])


def test_bulk_read_filters_are_masked(db, areas):
    entry_id = record_bulk_read(
        "export", "households", areas.county.id, {"q": "户主440229198001011230"}, 1
    ).entry_id
    entry = db.get(AuditEntry, entry_id)
    assert entry.changes["filters"] == {"q": "户主4402**********1230"}


def test_audit_list_filters_by_action_and_period(client, db, areas, supervisor, visits):
    headers = factories.headers_for(supervisor)
    client.get(f"/api/v1/maps/households?{_period()}", headers=headers)
    client.get(f"/api/v1/exports/tasks?{_period()}", headers=headers).get_data()
    set_actor(None, SYSTEM)
    today = local_today()

    def actions(query):
        response = client.get(f"/api/v1/audit?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [(e["action"], e["table_name"]) for e in response.json]

    assert actions("action=export") == [("export", "tasks")]
    assert actions("action=map&action=export") == [("export", "tasks"), ("map", "households")]
    assert actions(f"action=map&from={today}&to={today}") == [("map", "households")]
    assert actions(f"action=map&to={today - timedelta(days=1)}") == []
    assert actions(f"action=map&area_id={areas.town_b.id}") == []
    assert client.get("/api/v1/audit?action=peek", headers=headers).status_code == 422
    bad_period = f"from={today}&to={today - timedelta(days=1)}"
    assert client.get(f"/api/v1/audit?{bad_period}", headers=headers).status_code == 422
