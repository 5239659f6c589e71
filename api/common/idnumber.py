"""Chinese resident identity numbers (居民身份证号码, GB 11643-1999).

18 characters: a 6-digit division code, an 8-digit birth date, a 3-digit sequence and an
ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_PATTERN = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"
# A maximal run of digits (any script's: full-width ０-９ are typed in Chinese text too),
# with a final check character X. Not ``\b``: CJK characters are word characters, so
# "身份证440229198001011230已核实" has no word boundary around the number.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+[XxＸｘ]?(?!\d)")
# An old 15-digit number (1985-1999): 6-digit division code (never starting with 0), then
# the birth date as YYMMDD, then a 3-digit sequence.
_OLD_NUMBER = re.compile(r"[1-9]\d{5}\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}", re.ASCII)


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid ID number, or None when it is."""
    if not _PATTERN.match(value):
        return "An ID number has 17 digits and a final digit or X."
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "The birth date inside the ID number does not exist."
    if check_character(value[:17]) != value[17]:
        return "The ID number's check character is wrong (typing error?)."
    return None


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_birth_date(id18: str) -> date:
    """The birth date written in a valid 18-character ID number (characters 7-14)."""
    return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))


def id_sex(id18: str) -> str:
    """``'male'`` or ``'female'``: the parity of a valid 18-character number's 17th digit."""
    return "male" if int(id18[16]) % 2 else "female"


def upgrade_15_to_18(id15: str) -> str:
    """An old 15-digit number (division code, YYMMDD, sequence) as the 18-character number
    it became: the century 19 inserted before the year (the old numbers were issued to
    people born in the 1900s) and the check character appended."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_character(first17)


def upgrade_id_number(raw: str) -> str | None:
    """``raw`` as a valid 18-character ID number: an 18-character number as it is (a
    lower-case x made upper case), an old 15-digit number upgraded; None when ``raw`` is
    neither a valid 18-character number nor a 15-digit number with a real birth date."""
    text = normalize_id_number(raw)
    if len(text) == 15 and _OLD_NUMBER.fullmatch(text):
        text = upgrade_15_to_18(text)
    return text if id_number_problem(text) is None else None


def mask_id_number(value: str | None) -> str | None:
    """``440229199001011234`` -> ``4402**********1234``."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) < 15:
        return run
    if len(run) == 15 and not _OLD_NUMBER.fullmatch(run):
        return run  # e.g. a phone number dialled from abroad, 0086 13800138000
    return mask_id_number(run) or run


def mask_text(text: str) -> str:
    """``text`` with every run that is or may hold an ID number masked (first and last
    four characters kept), whatever surrounds it.

    The rule works on maximal runs of digits (a final X counts): a run of 16 or more is
    masked whole, because it is an 18-character ID number, or holds one glued to other
    digits, or is a bank-card number; a run of exactly 15 is masked when it reads as an
    old number (division code, YYMMDD birth date); shorter runs (phone numbers, dates,
    amounts, 12-digit division codes) are left alone.
    """
    return _DIGIT_RUN.sub(_mask_run, text)


# A run of fifteen digits: no shorter run is ever masked (``_mask_run``).
_MASKABLE_RUN = re.compile(r"\d{15}")


def may_need_masking(text: str) -> bool:
    """False when ``mask_text`` would leave ``text`` (or any part of it, such as a string
    inside a JSON document) as it is: one search instead of a walk of every value."""
    return _MASKABLE_RUN.search(text) is not None


def mask_personal(value: Any) -> Any:
    """A copy of ``value`` (JSON-like: strings, dicts, lists, nested) with ``mask_text``
    applied to every string, keys included."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {
            mask_text(key) if isinstance(key, str) else key: mask_personal(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_personal(item) for item in value]
    return value
