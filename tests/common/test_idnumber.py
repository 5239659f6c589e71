from datetime import date

import pytest

from api.common.fields import IdNumber, reveal_id_numbers
from api.common.idnumber import (
    id_birth_date,
    id_number_problem,
    id_sex,
    mask_id_number,
    mask_personal,
    mask_text,
    upgrade_15_to_18,
    upgrade_id_number,
)

VALID = "11010519491231002X"  # the worked example of GB 11643-1999


def test_check_character_of_known_numbers():
    assert id_number_problem(VALID) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check character"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100211", "17 digits"),
        ("11010519491331002X", "birth date"),
        ("A1010519491231002X", "17 digits"),
        ("", "17 digits"),
    ],
)
def test_invalid_numbers_say_why(value, reason):
    assert reason in id_number_problem(value)


def test_birth_date_and_sex_are_read_from_the_number():
    assert id_birth_date(VALID) == date(1949, 12, 31)
    assert id_sex(VALID) == "female"  # 17th digit 2: even
    assert id_sex("110105194912310010") == "male"


def test_an_old_15_digit_number_becomes_its_18_character_number():
    # GB 11643's example written the old way: 110105 491231 002.
    assert upgrade_15_to_18("110105491231002") == VALID
    assert upgrade_id_number("110105491231002") == VALID


@pytest.mark.parametrize(
    ("raw", "upgraded"),
    [
        (VALID, VALID),
        (VALID.lower() + " ", VALID),
        ("110105194912310021", None),  # wrong check character
        ("110105491331002", None),  # month 13
        ("110105490230002", None),  # 30 February
        ("11010549123100", None),
        ("", None),
    ],
)
def test_upgrade_id_number_gives_a_valid_number_or_none(raw, upgraded):
    assert upgrade_id_number(raw) == upgraded


def test_masking_keeps_the_first_and_last_four():
    assert mask_id_number(VALID) == "1101**********002X"
    assert mask_id_number(None) is None


ID = "440229198001011230"
ID_MASKED = "4402**********1230"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # CJK on both sides: no word boundary there, the case the review found.
        (f"户主身份证{ID}已核实", f"户主身份证{ID_MASKED}已核实"),
        (f"身份证号：{ID}。", f"身份证号：{ID_MASKED}。"),
        # ASCII letters around it, the start and the end of the string.
        (f"id{ID}ok", f"id{ID_MASKED}ok"),
        (ID, ID_MASKED),
        (f"{ID} checked", f"{ID_MASKED} checked"),
        (f"checked {ID}", f"checked {ID_MASKED}"),
        # The check character X, either case, and glued to letters after it.
        (VALID, "1101**********002X"),
        (VALID.lower(), "1101**********002x"),
        (f"号码{VALID.lower()}abc", "号码1101**********002xabc"),
        # Full-width digits, as a Chinese input method types them.
        ("４４０２２９１９８００１０１１２３０号", "４４０２**********１２３０号"),
        # Two numbers in one string.
        (f"户主{ID}，配偶{VALID}", f"户主{ID_MASKED}，配偶1101**********002X"),
        # Old 15-digit numbers (division code, YYMMDD, sequence).
        ("旧证440229800101123号", "旧证4402*******1123号"),
        # 15 digits that cannot be an old number: a phone number dialled with 0086.
        ("电话008613800138000", "电话008613800138000"),
        ("440229801301123", "440229801301123"),  # month 13
        # Runs of 16, 17, 19 and more digits are masked whole: card numbers, or an ID number
        # glued to other digits.
        ("卡号6222021234567890", "卡号6222********7890"),
        ("12345678901234567", "1234*********4567"),
        ("6222021234567890123", "6222***********0123"),
        (f"13800138000{ID}", "1380*********************1230"),
        # Shorter runs are left alone: phone numbers, dates, amounts, division codes.
        ("电话13800138000，2024年3月1日", "电话13800138000，2024年3月1日"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
        ("区划440229001001，金额12345.67", "区划440229001001，金额12345.67"),
        ("20240301123456", "20240301123456"),
        ("", ""),
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_mask_personal_finds_numbers_inside_nested_data():
    data = {
        "members": [{"id_number": VALID, "note": f"身份证{VALID}已核"}],
        "deep": {"deeper": [[f"x{ID}y"]], ID: "a key"},
        "n": 3,
        "none": None,
        "flag": True,
    }
    masked = mask_personal(data)
    assert VALID not in str(masked) and ID not in str(masked)
    assert masked["members"][0]["note"] == "身份证1101**********002X已核"
    assert masked["deep"]["deeper"] == [[f"x{ID_MASKED}y"]]
    assert masked["deep"][ID_MASKED] == "a key"
    assert (masked["n"], masked["none"], masked["flag"]) == (3, None, True)


def test_field_loads_lowercase_x_and_masks_unless_revealed():
    field = IdNumber()
    assert field.deserialize(VALID.lower()) == VALID
    assert field.serialize("n", {"n": VALID}) == "1101**********002X"
    token = reveal_id_numbers.set(True)
    try:
        assert field.serialize("n", {"n": VALID}) == VALID
    finally:
        reveal_id_numbers.reset(token)


def test_field_rejects_a_typo():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        IdNumber().deserialize("110105194912310021")
