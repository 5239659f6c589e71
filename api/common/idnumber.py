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
# Anything in free data that looks like an ID number, for masking in logs and audit.
_EMBEDDED = re.compile(r"\b\d{17}[\dXx]\b")


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


def mask_id_number(value: str | None) -> str | None:
    """``440229199001011234`` -> ``4402**********1234``."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_personal(value: Any) -> Any:
    """A copy of ``value`` (JSON-like) with every embedded ID number masked."""
    if isinstance(value, str):
        return _EMBEDDED.sub(lambda m: mask_id_number(m.group(0).upper()) or "", value)
    if isinstance(value, dict):
        return {key: mask_personal(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_personal(item) for item in value]
    return value
