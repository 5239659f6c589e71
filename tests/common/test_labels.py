"""One table of Chinese labels: every code the API validates has one, and pages read it."""

import pytest

import api.models  # noqa: F401  (every model mapped: the Audited tables below)
from api.audit.services import ACTIONS
from api.auth.models import ROLES
from api.casework.leads.models import CHANNELS as HELP_CHANNELS
from api.casework.tasks.models import PRIORITIES, TASK_KINDS, TASK_STATUSES
from api.casework.tracing.models import ACTION_KINDS, LEAD_STATUSES, REUNION_KINDS
from api.casework.tracing.rules import OUTCOME_STATUSES, STATUSES
from api.common.labels import VOCABULARIES, label
from api.db import Base
from api.matching.models import ACTIONS as WARNING_ACTIONS
from api.matching.models import (
    BAD_REASONS,
    DECISIONS,
    ENCODINGS,
    LIST_STATUSES,
    MAPPED_FIELDS,
    ROW_STATUSES,
    SOURCE_KINDS,
)
from api.matching.rules import DUE_DAYS
from api.mixins import Audited
from api.rescue.centre.models import ADMISSION_ROUTES, DISCHARGE_REASONS
from api.rescue.patrols.models import (
    AID_KINDS,
    CAMPAIGN_KINDS,
    OUTCOMES,
    PATROL_MODES,
    SEXES,
    VULNERABILITY_KINDS,
)
from api.visits.coverage.schemas import HOUSEHOLD_STATUSES
from api.visits.models import (
    CHANNELS,
    FOCUS_GROUPS,
    PROGRAMMES,
    REVIEW_STATES,
    SCREENING_RESULTS,
    URBAN_RURAL,
)
from api.visits.people import RELATIONS
from tests import factories

CODES = {
    "warning_level": tuple(DUE_DAYS),
    "warning_action": WARNING_ACTIONS,
    "source_kind": SOURCE_KINDS,
    "source_encoding": ENCODINGS,
    "mapped_field": MAPPED_FIELDS,
    "list_status": LIST_STATUSES,
    "row_status": ROW_STATUSES,
    "match_method": ("id_exact", "id_repaired", "probabilistic"),
    "bad_reason": BAD_REASONS,
    "review_decision": DECISIONS,
    "relation": RELATIONS,
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
    "audit_action": ACTIONS,
    "audit_table": {
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Audited)
    }
    | {"audit_entries"},  # a month of the log dropped by retention (api.audit.partitions)
    "sex": SEXES,
    "admission_route": ADMISSION_ROUTES,
    "discharge_reason": DISCHARGE_REASONS,
    "tracing_status": STATUSES,
    "tracing_outcome": OUTCOME_STATUSES,
    "reunion_kind": REUNION_KINDS,
    "tracing_action_kind": ACTION_KINDS,
    "lead_status": LEAD_STATUSES,
    "campaign_kind": CAMPAIGN_KINDS,
    "patrol_mode": PATROL_MODES,
    "aid_kind": AID_KINDS,
    "encounter_outcome": OUTCOMES,
    "vulnerability_kind": VULNERABILITY_KINDS,
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
