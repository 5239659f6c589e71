"""The people of the register: how a member is related to the head, and what an ID number
says about them.

- ``relation`` is a code of ``RELATIONS``; the API shows its Chinese label beside it
  (``relation_label``) and exports show the label. Input takes the code, the label or the
  everyday words forms use (妻子, 长子, 外孙女…): ``relation_code``.
- A household's head is the one member whose relation is ``head``.
- A valid ID number states the birth date and the sex. ``id_number_facts`` reads them;
  ``disagreements`` names the typed values that contradict them.
"""

from __future__ import annotations

from typing import Any

from api.common.idnumber import id_birth_date, id_number_problem, id_sex
from api.common.labels import VOCABULARIES

HEAD = "head"
# Code -> label, in the order forms list them (the one table of labels holds them).
RELATION_LABELS: dict[str, str] = VOCABULARIES["relation"]
RELATIONS = tuple(RELATION_LABELS)

# Words forms and older records use, by the code they mean (the labels count too).
_WORDS: dict[str, tuple[str, ...]] = {
    HEAD: ("本人", "户主本人"),
    "spouse": ("妻", "妻子", "夫", "丈夫", "老婆", "老公", "爱人"),
    "child": (
        "子",
        "女",
        "儿子",
        "女儿",
        "长子",
        "次子",
        "三子",
        "长女",
        "次女",
        "三女",
        "独生子",
        "独生女",
        "养子",
        "养女",
        "继子",
        "继女",
        "子女",
    ),
    "son_in_law": ("婿",),
    "daughter_in_law": ("媳", "媳妇"),
    "grandchild": ("孙子", "孙女", "外孙", "外孙子", "外孙女", "孙", "孙辈"),
    "parent": ("父", "母", "父亲", "母亲", "爸爸", "妈妈", "公公", "婆婆", "岳父", "岳母"),
    "grandparent": ("祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "外公", "外婆"),
    "sibling": ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹"),
    "other": ("家属", "亲属", "其他亲属", "非亲属", "其它"),
}
_CODE_OF: dict[str, str] = {
    **{code: code for code in RELATIONS},
    **{label: code for code, label in RELATION_LABELS.items()},
    **{word: code for code, words in _WORDS.items() for word in words},
}


def relation_code(word: str) -> str | None:
    """The code for a relation as typed (code, label or a known word), or None."""
    text = word.strip()
    return _CODE_OF.get(text) or _CODE_OF.get(text.lower())


def id_number_facts(id_number: str | None) -> dict[str, Any]:
    """``sex``, ``birth_date`` and ``birth_year`` read from a valid ID number; empty for
    none or an invalid one (schemas refuse those; stored old data may hold them)."""
    if not id_number or id_number_problem(id_number):
        return {}
    born = id_birth_date(id_number)
    return {"sex": id_sex(id_number), "birth_date": born, "birth_year": born.year}


def disagreements(typed: dict[str, Any], facts: dict[str, Any]) -> dict[str, list[str]]:
    """The typed ``sex``, ``birth_date`` and ``birth_year`` that contradict the ID number's
    ``facts``, by field, with what the number says."""
    errors: dict[str, list[str]] = {}
    for field in ("sex", "birth_date", "birth_year"):
        value = typed.get(field)
        if value is not None and field in facts and value != facts[field]:
            errors[field] = [
                f"Disagrees with the ID number, which says {facts[field]}: "
                "check both, or leave this field out."
            ]
    return errors


def with_id_number_facts(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a member as loaded) with sex and birth date taken from its valid ID
    number, and ``birth_year`` kept equal to the birth date's year."""
    facts = id_number_facts(values.get("id_number"))
    out = {**values, **facts}
    if out.get("birth_date") is not None:
        out["birth_year"] = out["birth_date"].year
    return out
