"""Keys that let a record-linkage model compare Chinese names written differently.

splink compares columns in SQL; these functions precompute, once per distinct name, the
columns its comparisons and blocking rules read:

- ``chars``: the characters in simplified form (OpenCC ``t2s``: 張偉 -> 张伟, 峯 -> 峰),
  without spaces or the middle dot of minority names. None for a name written in pinyin.
- ``pinyin``: the toneless syllables joined (pypinyin), a surname read as a surname (单 is
  shan, 曾 zeng, 解 xie); a name written in Latin letters ("Zhang Wei", "ZHANG Xiaowei") is
  lowered and split into syllables. Homophones (张/章, 刘/柳), variant characters (喆/哲)
  and pinyin spellings meet here.
- ``pinyin_alt``: the same with the surname's everyday reading (单 -> dan, 曾 -> ceng):
  a form or a pinyin spelling made by software that did not know the surname reading.
- ``fuzzy`` / ``fuzzy_alt``: the syllables with the confusions of southern Mandarin and
  of hurried typing folded together (zh/z, ch/c, sh/s, n/l, f/hu, -ng/-n): near-homophones
  (陈/程, 林/凌, 芳/黄) meet here.
- ``surname_last``: the surname's and the last syllable's fuzzy forms: a dropped or added
  middle character (张伟 / 张小伟) keeps it.
- ``syllables``: how many syllables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import opencc
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.pinyin_dict import pinyin_dict

_T2S = opencc.OpenCC("t2s")
# Surnames whose reading differs from the character's everyday one (the heteronyms a form
# or a pinyin conversion gets wrong). pypinyin reads characters, not surnames.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "盖": "ge",
    "覃": "qin",
    "员": "yun",
    "秘": "bi",
    "召": "shao",
    "尉": "yu",
}
_IGNORED = re.compile(r"[\s·•．.\-_]+")
_LATIN = re.compile(r"^[a-z]+$")
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
# f- and hu- merge in much of the south (飞/灰, 芳/黄, 福/胡)
_F_TO_HU = {"fa": "hua", "fan": "huan", "fang": "huang", "fei": "hui", "fen": "hun",
            "feng": "hong", "fo": "huo", "fou": "hou", "fu": "hu"}  # fmt: skip
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    toneless: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            toneless.add(_strip_tone(reading))
    return frozenset(s for s in toneless if s.isascii() and s.isalpha())


_TONE_MARKS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _strip_tone(reading: str) -> str:
    return reading.translate(_TONE_MARKS)


def split_pinyin(letters: str) -> list[str] | None:
    """``zhangxiaowei`` -> ``['zhang', 'xiao', 'wei']`` (longest syllable first, with
    backtracking); None when the letters are not pinyin."""
    known = _syllables()
    memo: dict[int, list[str] | None] = {}

    def split_from(start: int) -> list[str] | None:
        if start == len(letters):
            return []
        if start in memo:
            return memo[start]
        found = None
        for end in range(min(len(letters), start + 6), start, -1):
            if letters[start:end] in known:
                rest = split_from(end)
                if rest is not None:
                    found = [letters[start:end], *rest]
                    break
        memo[start] = found
        return found

    return split_from(0)


def fold(syllable: str) -> str:
    """The near-homophone class of a toneless syllable."""
    syllable = _F_TO_HU.get(syllable, syllable)
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


@dataclass(frozen=True, slots=True)
class NameKeys:
    chars: str | None
    pinyin: str
    pinyin_alt: str
    fuzzy: str
    fuzzy_alt: str
    surname_last: str
    syllables: int


@lru_cache(maxsize=200_000)
def name_keys(raw: str) -> NameKeys | None:
    """The comparison keys of a name as written; None when nothing usable is left."""
    text = _IGNORED.sub("", raw).lower()
    if not text:
        return None
    if _LATIN.match(text):
        syllables = split_pinyin(text)
        if not syllables:
            return None
        return _keys(None, syllables, syllables)
    chars = "".join(_simplified(char) for char in text)
    found = [_reading(char) for char in chars]
    if None in found:
        return None  # not a Chinese name (digits, other scripts)
    readings: list[str] = found  # type: ignore[assignment]
    everyday = list(readings)
    surname = SURNAME_READINGS.get(chars[0])
    if surname is not None:
        readings[0] = surname
        if everyday[0] == surname:
            # pypinyin's everyday reading is the surname one; the other common reading
            other = pinyin(chars[0], style=Style.NORMAL, heteronym=True)[0]
            everyday[0] = next((r for r in other if r != surname), surname)
    return _keys(chars, readings, everyday)


# Character by character, each cached: a county's names use a few thousand characters,
# and pypinyin or OpenCC on each of a million names would cost a millisecond a name.
@cache
def _simplified(char: str) -> str:
    converted = _T2S.convert(char)
    return converted if len(converted) == 1 else char


@cache
def _reading(char: str) -> str | None:
    found = lazy_pinyin(char, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return found[0] if len(found) == 1 and found[0].isascii() and found[0].isalpha() else None


def _keys(chars: str | None, readings: list[str], everyday: list[str]) -> NameKeys:
    folded = [fold(s) for s in readings]
    return NameKeys(
        chars=chars,
        pinyin="".join(readings),
        pinyin_alt="".join(everyday),
        fuzzy="".join(folded),
        fuzzy_alt="".join(fold(s) for s in everyday),
        surname_last=folded[0] + "|" + folded[-1] if len(folded) > 1 else folded[0],
        syllables=len(readings),
    )
