"""Every setting is documented in the README's settings table; a bad value stops start-up
naming the setting."""

from pathlib import Path

import pytest

from api.config import SETTINGS, load_config

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COUNTY_TIMEZONE", "Mars/Olympus"),
        ("COUNTY_TIMEZONE", "../etc/passwd"),
        ("LONG_STAY_DAYS", "ninety"),
        ("AUDIT_RETENTION_MONTHS", "-1"),
        ("AUDIT_RETENTION_MONTHS", "3"),
        ("AUDIT_RETENTION_MONTHS", "twelve"),
        ("AUDIT_RETENTION_MONTHS", "99999999999999999999"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"setting {name}"):
        load_config()


def test_the_county_zone_may_be_another_one(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("COUNTY_TIMEZONE", "Asia/Urumqi")
    assert load_config()["COUNTY_TIMEZONE"] == "Asia/Urumqi"


@pytest.mark.parametrize(("value", "months"), [("0", 0), ("6", 6), ("36", 36)])
def test_audit_retention_is_nothing_or_at_least_six_months(monkeypatch, value, months):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("AUDIT_RETENTION_MONTHS", value)
    assert load_config()["AUDIT_RETENTION_MONTHS"] == months
