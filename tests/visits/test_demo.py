"""The demo register on PostGIS: every household's head is one member, and the people's
sex and birth date are what their ID numbers say."""

from api.common.idnumber import id_birth_date, id_number_problem, id_sex
from api.demo.areas import seed_areas
from api.visits import demo


def test_each_demo_household_has_one_head_member_who_is_its_head(db):
    context = {"areas": seed_areas(), "users": {}}
    demo.seed(context)
    households = context["households"]
    assert households
    for household in households:
        heads = [m for m in household.members if m.relation == "head"]
        assert heads == [household.members[0]]
        assert (household.head_name, household.head_id_number) == (
            heads[0].name,
            heads[0].id_number,
        )
        for member in household.members:
            assert member.birth_year == member.birth_date.year
            if member.id_number:
                assert id_number_problem(member.id_number) is None
                assert member.sex == id_sex(member.id_number)
                assert member.birth_date == id_birth_date(member.id_number)
