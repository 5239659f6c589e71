"""Every setting is documented in the README's settings table."""

from pathlib import Path

from api.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in text]
    assert missing == []
