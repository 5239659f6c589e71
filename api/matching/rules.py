"""Warning rules (预警规则): data on each source, read by plain functions.

A source's ``rules`` is a list of rules; a rule fires on a row when every condition of its
``when`` holds::

    {"code": "medical_unmonitored", "level": "red", "action": "visit",
     "reason": "医保年内自付{amount}元，尚未纳入监测",
     "when": [{"fact": "amount", "op": ">=", "value": 10000},
              {"fact": "monitored", "op": "==", "value": false}]}

Facts a condition may name: what the row says — ``amount``, ``event_date`` (ISO text),
``attr.<header>`` (a kept column, compared as a number when both sides are numbers) — and
what the register says of the matched person — ``registered`` (the row matched someone),
``monitored`` (their household is in a focus group or receives a programme),
``has_programme``, ``is_head`` (the household's head). An unmatched row is a person the
register does not know: ``registered``, ``monitored``, ``has_programme`` and ``is_head``
are false. ``action``: ``visit`` (a home visit, due by level) or ``review`` (a supervisor
reviews the household's programme: a death). The reason is a template over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Days to the visit, by level.
DUE_DAYS = {"red": 3, "orange": 7, "yellow": 15}
REGISTER_FACTS = ("registered", "monitored", "has_programme", "is_head")
ROW_FACTS = ("amount", "event_date")
OPERATORS = ("==", "!=", ">=", ">", "<=", "<", "in")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PLACEHOLDER = re.compile(r"\{([a-z_.\u4e00-\u9fff\w]+)\}")


@dataclass(frozen=True)
class Fired:
    code: str
    level: str
    action: str
    reason: str


def rule_problems(rules: Any) -> dict[str, list[str]]:
    """What is wrong with a source's rules, keyed by path (``rules.0.when.1.op``); empty
    when they are fine."""
    problems: dict[str, list[str]] = {}
    if not isinstance(rules, list):
        return {"rules": ["A list of rules."]}
    codes: set[str] = set()
    for i, rule in enumerate(rules):
        at = f"rules.{i}"
        if not isinstance(rule, dict):
            problems[at] = ["A rule is an object."]
            continue
        code = rule.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            problems[f"{at}.code"] = ["Lower-case letters, digits and _ (up to 40)."]
        elif code in codes:
            problems[f"{at}.code"] = ["Each rule of a source has its own code."]
        codes.add(str(code))
        if rule.get("level") not in DUE_DAYS:
            problems[f"{at}.level"] = [f"One of {', '.join(DUE_DAYS)}."]
        if rule.get("action", "visit") not in ("visit", "review"):
            problems[f"{at}.action"] = ["visit or review."]
        if not isinstance(rule.get("reason"), str) or not rule["reason"].strip():
            problems[f"{at}.reason"] = ["Say why, in words a worker reads."]
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            problems[f"{at}.when"] = ["At least one condition."]
            continue
        for j, condition in enumerate(when):
            problems.update(_condition_problems(condition, f"{at}.when.{j}"))
    return problems


def _condition_problems(condition: Any, at: str) -> dict[str, list[str]]:
    if not isinstance(condition, dict):
        return {at: ["A condition is an object: fact, op, value."]}
    problems: dict[str, list[str]] = {}
    fact = condition.get("fact")
    known = fact in REGISTER_FACTS or fact in ROW_FACTS
    if not isinstance(fact, str) or not (known or fact.startswith("attr.")):
        problems[f"{at}.fact"] = [
            f"One of {', '.join(REGISTER_FACTS + ROW_FACTS)} or attr.<column>."
        ]
    op = condition.get("op")
    if op not in OPERATORS:
        problems[f"{at}.op"] = [f"One of {' '.join(OPERATORS)}."]
    value = condition.get("value")
    if op == "in" and not isinstance(value, list):
        problems[f"{at}.value"] = ["A list for op in."]
    elif op != "in" and not isinstance(value, str | int | float | bool):
        problems[f"{at}.value"] = ["A number, text or true/false."]
    return problems


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return None
    return None


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is None:
        return False
    if op == "in":
        return any(_compare(actual, "==", item) for item in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = bool(actual) == bool(expected)
        return same if op == "==" else (not same if op == "!=" else False)
    a, e = _number(actual), _number(expected)
    if a is None or e is None:
        a, e = str(actual).strip(), str(expected).strip()  # type: ignore[assignment]
    try:
        return {
            "==": a == e,
            "!=": a != e,
            ">=": a >= e,  # type: ignore[operator]
            ">": a > e,  # type: ignore[operator]
            "<=": a <= e,  # type: ignore[operator]
            "<": a < e,  # type: ignore[operator]
        }[op]
    except TypeError:
        return False


def _fact(facts: Mapping[str, Any], name: str) -> Any:
    if name.startswith("attr."):
        return (facts.get("attributes") or {}).get(name[5:])
    return facts.get(name)


def _reason(template: str, facts: Mapping[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = _fact(facts, match.group(1))
        return match.group(0) if value is None else str(value)

    return _PLACEHOLDER.sub(fill, template)


def evaluate(rules: Iterable[Mapping[str, Any]], facts: Mapping[str, Any]) -> list[Fired]:
    """The rules that fire on a row's facts, in the source's order."""
    fired = []
    for rule in rules:
        if all(_compare(_fact(facts, c["fact"]), c["op"], c["value"]) for c in rule["when"]):
            fired.append(
                Fired(
                    code=rule["code"],
                    level=rule["level"],
                    action=rule.get("action", "visit"),
                    reason=_reason(rule["reason"], facts),
                )
            )
    return fired


def unregistered_facts() -> dict[str, bool]:
    """The register facts of a person the register does not know."""
    return dict.fromkeys(REGISTER_FACTS, False)
