"""The public help form in headless Chromium on a phone's viewport (390×844, zh-CN):
fill it in, get a tracking code, look the request up. The screenshots are kept under the
folder the test prints."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.casework.leads.models import Lead
from api.config import PROJECT_ROOT
from api.db import session
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, served_demo

__all__ = ["served_demo"]  # the fixture, shared with the dashboard's browser test

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "help"


def stored_request(demo_app, code_hash_of) -> Lead | None:
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            lead = session.scalar(select(Lead).where(Lead.tracking_code_hash == code_hash_of))
            if lead is not None:
                session.expunge(lead)
            return lead
        finally:
            session.remove()


@pytest.mark.browser
def test_a_neighbour_asks_for_help_on_a_phone_and_looks_it_up(served_demo):
    from playwright.sync_api import expect, sync_playwright

    from api.casework.leads.services import keyed_hash

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artifacts: {ARTIFACTS}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                user_agent=(
                    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
                    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI"
                ),
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base_url + "/help/")
            expect(page.locator("h1")).to_have_text("困难群众求助")
            # Nothing wider than the phone.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390

            # Refused in the page itself without a phone.
            page.fill("#description", "隔壁独居老人摔倒了，没人照顾，家里也没有吃的")
            page.click("#submit")
            expect(page.locator("#ask-error")).to_contain_text("手机号")

            page.fill("#phone", "139 1234 5678")
            page.fill("#name", "张三")
            page.check("input[name=about][value=other]")
            page.fill("#subject", "李奶奶")
            page.select_option("#town", label="龙仙镇")
            page.select_option("#village", label="青云村")
            page.fill("#address", "青云村三组")
            page.check("input[name=urgent_reasons][value=no_food]")
            page.check("input[name=urgent_reasons][value=sudden_illness]")
            page.screenshot(path=str(ARTIFACTS / "help-form.png"), full_page=True)
            page.click("#submit")

            expect(page.locator("#done")).to_be_visible()
            code = page.locator("#code").inner_text().strip()
            assert len(code) == 12
            page.screenshot(path=str(ARTIFACTS / "help-received.png"), full_page=True)
            with demo_app.app_context():
                stored = stored_request(demo_app, keyed_hash(demo_app.config["SECRET_KEY"], code))
            assert stored is not None and stored.channel == "online_form"
            assert stored.urgency == "urgent" and stored.queue == "town"
            assert stored.requester_phone == "13912345678"

            # The status page, filled in from the answer: received, today.
            page.click("#go-status")
            expect(page.locator("#lookup-code")).to_have_value(code)
            expect(page.locator("#lookup-last4")).to_have_value("5678")
            page.click("#lookup")
            expect(page.locator("#result")).to_be_visible()
            expect(page.locator("#r-status")).to_have_text("已受理")
            expect(page.locator("#r-closed")).to_have_text("—")
            page.screenshot(path=str(ARTIFACTS / "help-status.png"), full_page=True)

            # Other digits: told nothing.
            page.fill("#lookup-last4", "0000")
            page.click("#lookup")
            expect(page.locator("#status-error")).to_contain_text("没有查到")
            expect(page.locator("#result")).to_be_hidden()
            assert errors == []
        finally:
            browser.close()
