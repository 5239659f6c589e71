"""Warning rules are data: each shipped rule on plain facts, and bad rules refused."""

from api.matching import demo, rules


def shipped(code):
    return next(d for d in demo.definitions() if d["code"] == code)["rules"]


def fired(code, **facts):
    base = rules.unregistered_facts() | {"attributes": {}}
    return [f.code for f in rules.evaluate(shipped(code), base | facts)]


def test_medical_bills_by_amount_and_monitoring():
    assert fired("medical_large_bills", amount=10000) == ["medical_unmonitored"]
    assert fired("medical_large_bills", amount=9999.99) == []
    assert fired("medical_large_bills", amount=6000, registered=True, monitored=True) == [
        "medical_monitored"
    ]
    assert fired("medical_large_bills", amount=5999, registered=True, monitored=True) == []
    facts = rules.unregistered_facts() | {"amount": "12860.50"}
    [warning] = rules.evaluate(shipped("medical_large_bills"), facts)
    assert warning.level == "red" and "12860.50" in warning.reason


def test_severe_disability_without_programme():
    for grade in (1, "1", "2", "一级", "二级"):
        assert fired("disability_certificates", attributes={"残疾等级": grade}) == [
            "severe_disability_no_programme"
        ]
    assert fired("disability_certificates", attributes={"残疾等级": "3"}) == []
    assert fired("disability_certificates", attributes={"残疾等级": 1}, has_programme=True) == []


def test_head_unemployed_and_death_in_programme():
    assert fired("unemployment_registration", registered=True, is_head=True) == ["head_unemployed"]
    assert fired("unemployment_registration", registered=True, is_head=False) == []
    [death] = rules.evaluate(shipped("deaths"), {"has_programme": True, "event_date": "2026-10-03"})
    assert death.action == "review" and death.level == "yellow" and "2026-10-03" in death.reason
    assert fired("deaths") == []


def test_thresholds_are_data():
    mine = [
        {
            "code": "big",
            "level": "yellow",
            "reason": "{amount}",
            "when": [{"fact": "amount", "op": ">", "value": 50}],
        }
    ]
    assert [f.code for f in rules.evaluate(mine, {"amount": 51})] == ["big"]
    assert rules.evaluate(mine, {"amount": None}) == []


def test_bad_rules_are_named_by_path():
    assert all(rules.rule_problems(d["rules"]) == {} for d in demo.definitions())
    problems = rules.rule_problems(
        [
            {"code": "X", "level": "pink", "reason": "", "when": []},
            {"code": "ok", "level": "red", "reason": "r", "when": [{"fact": "salary", "op": "~"}]},
            {
                "code": "ok",
                "level": "red",
                "reason": "r",
                "when": [{"fact": "amount", "op": "in", "value": 3}],
            },
        ]
    )
    assert set(problems) == {
        "rules.0.code",
        "rules.0.level",
        "rules.0.reason",
        "rules.0.when",
        "rules.1.when.0.fact",
        "rules.1.when.0.op",
        "rules.1.when.0.value",
        "rules.2.code",
        "rules.2.when.0.value",
    }
