"""Form definitions (api/field/forms.py): generated from the schemas POST /visits uses."""

from __future__ import annotations

import pytest

from api.field.forms import CHOICE_LABELS, LABELS
from tests import factories
from tests.visits import factories as vf

VISIT_FORM = "/api/v1/forms/visit"


@pytest.fixture
def worker(areas):
    return factories.user("outreach_worker", areas.town_a)


def _fields(fields, path=""):
    for field in fields:
        name = f"{path}{field['name']}"
        yield name, field
        inner = field.get("items", field)
        if "fields" in inner and inner["type"] in ("object",):
            yield from _fields(inner["fields"], f"{name}.")


def _field(form, path):
    return dict(_fields(form["fields"]))[path]


def test_every_field_and_choice_has_a_chinese_label(client, areas, worker):
    rescue = factories.user("rescue_staff", areas.town_a)
    for form, user in (("visit", worker), ("household", worker), ("encounter", rescue)):
        body = client.get(f"/api/v1/forms/{form}", headers=factories.headers_for(user)).json
        for path, field in _fields(body["fields"]):
            assert field["label"], f"{form}: {path} has no label (api/field/forms.py LABELS)"
            for choice in field.get("choices", []) + field.get("items", {}).get("choices", []):
                assert choice["label"], f"{form}: {path} choice {choice['value']} unlabelled"
    assert LABELS and CHOICE_LABELS


def test_the_form_says_what_the_schema_checks(client, worker):
    form = client.get(VISIT_FORM, headers=factories.headers_for(worker)).json
    channel = _field(form, "channel")
    assert [choice["value"] for choice in channel["choices"]] == ["in_person", "phone", "video"]
    assert channel["required"] is True
    size = _field(form, "findings.household_size")
    assert (size["type"], size["minimum"], size["maximum"]) == ("integer", 1, 50)
    assert _field(form, "notes")["max_length"] == 5000
    assert _field(form, "needs")["max_items"] == 30
    assert _field(form, "needs")["items"]["max_length"] == 60
    assert {
        "rule": "required_when",
        "when": {"channel": ["in_person"]},
        "fields": [
            "location",
            "accuracy_m",
        ],
    } in form["rules"]


def test_values_within_the_forms_limits_are_accepted_and_beyond_refused(client, areas, worker):
    headers = factories.headers_for(worker)
    form = client.get(VISIT_FORM, headers=headers).json
    household = vf.household(areas.village_a1)
    size = _field(form, "findings.household_size")
    notes = _field(form, "notes")
    needs = _field(form, "needs")
    for channel in _field(form, "channel")["choices"]:
        payload = vf.visit_payload(household.id, channel=channel["value"])
        payload["findings"]["household_size"] = size["maximum"]
        payload["notes"] = "记" * notes["max_length"]
        payload["needs"] = ["需" * needs["items"]["max_length"]] * needs["max_items"]
        response = client.post("/api/v1/visits", json=payload, headers=headers)
        assert response.status_code == 201, response.json
    too_far = [
        ("findings.household_size", {"findings": {"household_size": size["maximum"] + 1}}),
        ("findings.household_size", {"findings": {"household_size": size["minimum"] - 1}}),
        ("notes", {"notes": "记" * (notes["max_length"] + 1)}),
        ("needs", {"needs": ["x"] * (needs["max_items"] + 1)}),
        ("channel", {"channel": "letter"}),
    ]
    for field, change in too_far:
        payload = {**vf.visit_payload(household.id), **change}
        response = client.post("/api/v1/visits", json=payload, headers=headers)
        assert response.status_code == 422, (field, response.json)
        assert field.split(".")[0] in str(response.json), field


def test_the_form_is_cached_by_its_version(client, worker):
    headers = factories.headers_for(worker)
    first = client.get(VISIT_FORM, headers=headers)
    assert first.headers["ETag"] == f'W/"{first.json["version"]}"'
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(VISIT_FORM, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    stale = client.get(VISIT_FORM, headers={**headers, "If-None-Match": '"0000"'})
    assert stale.status_code == 200


def test_rescue_staff_get_no_household_forms(client, areas):
    rescue = factories.user("rescue_staff", areas.town_a)
    assert client.get(VISIT_FORM, headers=factories.headers_for(rescue)).status_code == 403


def test_the_encounter_form_is_for_patrol_teams_and_holds_the_servers_limits(client, areas, worker):
    rescue = factories.user("rescue_staff", areas.town_a)
    assert (
        client.get("/api/v1/forms/encounter", headers=factories.headers_for(worker)).status_code
        == 403
    )
    form = client.get("/api/v1/forms/encounter", headers=factories.headers_for(rescue)).json
    assert _field(form, "condition")["max_length"] == 2000
    assert _field(form, "approximate_age")["maximum"] == 120
    aid = _field(form, "aid")["items"]["fields"]
    assert [f["name"] for f in aid] == ["kind", "quantity"]
    assert aid[1]["maximum"] == 100_000 and aid[1]["minimum"] == 1
    assert {c["value"] for c in _field(form, "outcome")["choices"]} >= {"escorted_to_centre"}
    assert {"rule": "absent_unless", "when": {"gave_name": [True]}, "fields": ["name"]} in form[
        "rules"
    ]
