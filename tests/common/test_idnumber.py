import pytest

from api.common.fields import IdNumber, reveal_id_numbers
from api.common.idnumber import id_number_problem, mask_id_number, mask_personal

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


def test_masking_keeps_the_first_and_last_four():
    assert mask_id_number(VALID) == "1101**********002X"
    assert mask_id_number(None) is None


def test_mask_personal_finds_numbers_inside_data():
    data = {"members": [{"id_number": VALID, "note": f"身份证 {VALID} 已核"}], "n": 3}
    masked = mask_personal(data)
    assert VALID not in str(masked)
    assert masked["n"] == 3


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
