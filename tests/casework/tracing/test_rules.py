"""The status machine as a table: every (from, to) pair, allowed or refused."""

import itertools

import pytest

from api.casework.tracing import rules
from api.errors import Conflict

EXPECTED_ALLOWED = {
    ("open", "searching"),
    ("open", "closed_other"),
    ("searching", "lead_found"),
    ("searching", "settled_locally"),
    ("searching", "closed_other"),
    ("lead_found", "verifying"),
    ("lead_found", "searching"),
    ("lead_found", "closed_other"),
    ("verifying", "reunited"),
    ("verifying", "settled_locally"),
    ("verifying", "searching"),
    ("verifying", "closed_other"),
}
ALL_PAIRS = list(itertools.product(rules.STATUSES, rules.STATUSES))


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_step_table(from_status, to_status):
    assert rules.is_allowed(from_status, to_status) == (
        (from_status, to_status) in EXPECTED_ALLOWED
    )


def test_refused_step_names_the_allowed_ones():
    with pytest.raises(Conflict) as refused:
        rules.check_step("open", "reunited")
    assert refused.value.extra["allowed_steps"] == ["searching", "closed_other"]
    assert "searching, closed_other" in refused.value.detail


def test_final_statuses_allow_nothing():
    for status in rules.FINAL_STATUSES:
        assert rules.allowed_steps(status) == ()
