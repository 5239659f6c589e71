"""Fixtures shared by the visits tests: a town-A outreach worker and a household in his
village."""

import pytest

from tests import factories
from tests.visits import factories as vf


@pytest.fixture
def worker(areas):
    return factories.user("outreach_worker", areas.town_a)


@pytest.fixture
def home(areas):
    return vf.household(areas.village_a1)
