"""One table of Chinese labels: every code the API validates has one, and pages read it."""

import pytest

from api.auth.models import ROLES
from api.casework.leads.models import CHANNELS as HELP_CHANNELS
from api.casework.tasks.models import PRIORITIES, TASK_KINDS, TASK_STATUSES
from api.common.labels import VOCABULARIES, label
from api.visits.coverage.schemas import HOUSEHOLD_STATUSES
from api.visits.models import (
    CHANNELS,
    FOCUS_GROUPS,
    PROGRAMMES,
    REVIEW_STATES,
    SCREENING_RESULTS,
    URBAN_RURAL,
)
from tests import factories

CODES = {
    "role": ROLES,
    "channel": CHANNELS,
    "urban_rural": URBAN_RURAL,
    "focus_group": FOCUS_GROUPS,
    "programme": PROGRAMMES,
    "screening_result": SCREENING_RESULTS,
    "review_state": REVIEW_STATES,
    "household_status": HOUSEHOLD_STATUSES,
    "task_kind": TASK_KINDS,
    "task_status": TASK_STATUSES,
    "priority": PRIORITIES,
    "help_channel": HELP_CHANNELS,
}


@pytest.mark.parametrize("vocabulary", sorted(CODES))
def test_every_code_has_a_label(vocabulary):
    assert set(VOCABULARIES[vocabulary]) == set(CODES[vocabulary])


def test_an_unknown_code_shows_as_itself():
    assert label("task_kind", "brand_new_kind") == "brand_new_kind"
    assert label("task_kind", None) == ""


def test_pages_read_the_table(client, areas):
    assert client.get("/api/v1/labels").status_code == 401
    headers = factories.headers_for(factories.user("outreach_worker", areas.town_a))
    body = client.get("/api/v1/labels", headers=headers).json
    assert body["task_kind"]["revisit"] == "回访"
    assert body == VOCABULARIES
