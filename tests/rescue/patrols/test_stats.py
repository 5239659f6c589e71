"""Campaign statistics against a hand-computed fixture, with the previous campaign.

Previous (summer 2025, 07-01..07-20, weeks 1-3):
  e1 07-02 P1 water 2 accepted | e2 07-03 P1 water 1 refused, vulnerable
  e3 07-08 P2 food 1 escorted  | e4 07-09 (no person) water 3 accepted
  (P2 was met once in summer 2024, so in 2025 P2 is "met again", P1 is new)
Current (summer 2026, 07-01..07-14, weeks 1-3):
  f1 07-01 21:00 P1 water 2 accepted                       (week 1, P1 met in 2025: again)
  f2 07-05 23:30 P3 heat_relief 1 sent_to_hospital, vuln.  (week 1, P3 new)
  f3 07-06 00:30 P3 water 1 accepted   (Monday in Shanghai, still Sunday in UTC: week 2)
  f4 07-08 P1 refused                                      (week 2)
  f5 07-14 (no person) food 2 accepted                     (week 3)
Noise: an encounter on a patrol outside any campaign, a winter campaign, an older summer one.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.rescue.patrols import factories as pf

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def meet(area, campaign, when, person=None, aid=(), outcome="accepted_aid", **extra):
    patrol = pf.patrol(area, started_at=when - timedelta(minutes=30), campaign=campaign)
    return pf.encounter(
        patrol,
        occurred_at=when,
        person=person,
        aid=[{"kind": k, "quantity": q} for k, q in aid],
        outcome=outcome,
        **extra,
    )


@pytest.fixture
def fixture(areas):
    county, town = areas.county, areas.town_a
    older = pf.campaign(county, starts_on=date(2024, 7, 1), ends_on=date(2024, 7, 31))
    previous = pf.campaign(county, starts_on=date(2025, 7, 1), ends_on=date(2025, 7, 20))
    pf.campaign(
        county, kind="winter_warmth", starts_on=date(2025, 12, 1), ends_on=date(2026, 2, 28)
    )
    current = pf.campaign(county, starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 14))
    p1, p2, p3 = (pf.street_person(town, alias=a) for a in ("桥下老伯", "车站阿姨", "河边少年"))
    meet(town, older, at(2024, 7, 3), p2, [("water", 9)])
    meet(town, previous, at(2025, 7, 2), p1, [("water", 2)])
    meet(town, previous, at(2025, 7, 3), p1, [("water", 1)], "refused_aid", vulnerable=True)
    meet(town, previous, at(2025, 7, 8), p2, [("food", 1)], "escorted_to_centre")
    meet(town, previous, at(2025, 7, 9), None, [("water", 3)])
    meet(town, current, at(2026, 7, 1, 21), p1, [("water", 2)])
    meet(
        town,
        current,
        at(2026, 7, 5, 23, 30),
        p3,
        [("heat_relief", 1)],
        "sent_to_hospital",
        vulnerability_kinds=["minor"],
    )
    meet(town, current, at(2026, 7, 6, 0, 30), p3, [("water", 1)])
    meet(town, current, at(2026, 7, 8), p1, [], "refused_aid")
    meet(town, current, at(2026, 7, 14), None, [("food", 2)])
    meet(town, None, at(2026, 7, 9), p2, [("water", 50)])
    return current, previous


@pytest.fixture
def stats(client, areas, fixture):
    current, _ = fixture
    supervisor = factories.user("supervisor", areas.county)
    response = client.get(
        f"/api/v1/campaigns/{current.id}/stats", headers=factories.headers_for(supervisor)
    )
    assert response.status_code == 200
    return response.json


def pick(figures, *keys):
    return {key: figures[key] for key in keys}


PEOPLE = ("encounters", "people", "new_people", "people_met_again", "unidentified_encounters")


def test_current_totals(stats):
    totals = stats["totals"]
    assert pick(totals, *PEOPLE) == {
        "encounters": 5,
        "people": 3,
        "new_people": 2,
        "people_met_again": 1,
        "unidentified_encounters": 1,
    }
    assert totals["vulnerable_encounters"] == 1
    assert {k: v for k, v in totals["aid"].items() if v} == {
        "water": 3,
        "heat_relief": 1,
        "food": 2,
    }
    assert {k: v for k, v in totals["outcomes"].items() if v} == {
        "accepted_aid": 3,
        "sent_to_hospital": 1,
        "refused_aid": 1,
    }
    assert totals["patrols"] == 5


def test_current_weeks_in_shanghai_time(stats):
    weeks = [(w["week"], w["week_index"], *(w[k] for k in PEOPLE)) for w in stats["weeks"]]
    assert weeks == [
        ("2026-W27", 1, 2, 2, 1, 1, 0),
        ("2026-W28", 2, 2, 2, 0, 2, 0),
        ("2026-W29", 3, 1, 1, 1, 0, 1),
    ]
    assert stats["weeks"][0]["starts_on"] == "2026-07-01"
    assert stats["weeks"][2]["ends_on"] == "2026-07-14"


def test_previous_campaign_of_the_same_kind(stats, fixture):
    _, previous = fixture
    before = stats["previous"]
    assert before["campaign"]["id"] == previous.id
    assert pick(before["totals"], *PEOPLE) == {
        "encounters": 4,
        "people": 3,
        "new_people": 2,
        "people_met_again": 1,
        "unidentified_encounters": 1,
    }
    assert {k: v for k, v in before["totals"]["aid"].items() if v} == {"water": 6, "food": 1}
    weeks = [(w["week_index"], *(w[k] for k in PEOPLE)) for w in before["weeks"]]
    assert weeks == [(1, 2, 1, 1, 0, 0), (2, 2, 2, 1, 1, 1), (3, 0, 0, 0, 0, 0)]


def test_change_against_previous(stats):
    assert stats["change"] == {
        "encounters": 1,
        "people": 0,
        "new_people": 0,
        "people_met_again": 0,
        "vulnerable_encounters": 0,
    }


def test_first_campaign_has_no_previous(client, areas):
    lonely = pf.campaign(areas.town_b, kind="other")
    supervisor = factories.user("supervisor", areas.county)
    body = client.get(
        f"/api/v1/campaigns/{lonely.id}/stats", headers=factories.headers_for(supervisor)
    ).json
    assert body["previous"] is None and body["change"] is None
    assert body["totals"]["encounters"] == 0
    assert len(body["weeks"]) == 10  # 2026-07-01 (Wed) .. 2026-08-31 (Mon)


def test_stats_of_other_towns_campaign_is_404(client, areas, fixture):
    current, _ = fixture
    town_b_supervisor = factories.user("supervisor", areas.town_b)
    response = client.get(
        f"/api/v1/campaigns/{current.id}/stats", headers=factories.headers_for(town_b_supervisor)
    )
    assert response.status_code == 404
