"""The admins' page in headless Chromium (Debian's package, driven by Playwright), on the
demo county, at phone (390x844) and laptop (1366x768) sizes: an admin replaces a worker's
lost phone (finds the worker, revokes their sign-ins, resets the password; the worker
signs in on a new phone and must choose a new password), imports a small GeoJSON file and
sees it in the tree, adds and closes a programme standard, and reads the audit log of the
worker's account. Screenshots are kept under test-artifacts/admin (docs/pages.md)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.config import PROJECT_ROOT
from api.db import session, utcnow
from api.demo.cli import DEMO_PASSWORD
from api.jobs.models import OutboxJob
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, served_demo  # noqa: F401
from tests.visits.factories import visit_payload

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "admin"
SIZES = (("phone", 390, 844), ("laptop", 1366, 768))
LONGXIAN = "440229100"  # 龙仙镇 of the demo county


def geojson(code: str, name: str) -> bytes:
    square = [[[114.12, 24.34], [114.13, 24.34], [114.13, 24.35], [114.12, 24.34]]]
    feature = {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": "village", "parent_code": LONGXIAN},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def fail_a_job(demo_app) -> None:
    """A photo-cleaning job of 龙仙镇 that failed three times, its error quoting an ID
    number (the page must show it masked)."""
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            town = session.scalar(select(Area).where(Area.code == LONGXIAN))
            session.add(
                OutboxJob(
                    func="workers.photos.clean_photo",
                    args=[987654],
                    area_id=town.id,
                    enqueued_at=utcnow(),
                    attempts=3,
                    last_error="FileNotFoundError: 原图缺失 440229199001011234\nTraceback ...",
                )
            )
            session.commit()
        finally:
            session.remove()


def fits(page) -> None:
    """Nothing runs off the side: no sideways scroll, open dialogs inside the viewport."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
    for dialog in page.locator("dialog[open]").all():
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def shot(page, name: str) -> None:
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.mark.browser
def test_an_admin_replaces_a_lost_phone_and_keeps_the_county_in_order(served_demo):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    fail_a_job(demo_app)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artifacts: {ARTIFACTS}")
    worker_password = DEMO_PASSWORD
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        api = pw.request.new_context(base_url=base_url)
        try:
            for n, (size, width, height) in enumerate(SIZES):
                # The worker's old phone, signed in before it was lost.
                old = api.post(
                    "/api/v1/auth/login",
                    data={
                        "username": "demo-worker",
                        "password": worker_password,
                        "device_id": f"old-phone-{size}",
                    },
                ).json()
                worker_password = run_round(
                    browser, api, expect, base_url, size, width, height, n, old
                )
        finally:
            api.dispose()
            browser.close()


def run_round(browser, api, expect, base_url, size, width, height, n, old) -> str:
    """One admin's round at one screen size; returns the worker's new password."""
    errors: list[str] = []
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure" confirmations
    page.goto(base_url + "/desk/admin/")
    page.fill("#username", "demo-admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")
    expect(page.locator("#users")).to_be_visible()
    fits(page)

    # Find the worker, open their account: the old phone is among the signed-in devices.
    page.fill("#user-filter [name=q]", "龙仙镇社工")
    page.click("#user-filter button[type=submit]")
    expect(page).to_have_url(re.compile(r"#users\?q="))  # the filter is in the address
    rows = page.locator("#users-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("demo-worker")
    worker_id = int(page.locator("#users-table .manage").get_attribute("data-user-id"))
    page.click("#users-table .manage")
    expect(page.locator("#user-dialog")).to_be_visible()
    expect(page.locator("#sessions-table")).to_contain_text(f"old-phone-{size}")
    fits(page)

    # Revoke the lost phone's sign-ins: its access and refresh tokens fail at once.
    page.click("#revoke-tokens")
    expect(page.locator("#user-message")).to_contain_text("已撤销")
    bearer = {"Authorization": f"Bearer {old['access_token']}"}
    assert api.get("/api/v1/me", headers=bearer).status == 401
    refreshed = api.post(
        "/api/v1/auth/refresh",
        data={"refresh_token": old["refresh_token"], "device_id": old["device_id"]},
    )
    assert refreshed.status == 401
    expect(page.locator("#sessions-table")).to_contain_text("已撤销")

    # Reset the password: a temporary one, to be read out to the worker.
    page.click("#reset-password")
    expect(page.locator("#temporary")).to_be_visible()
    temporary = page.locator("#temp-password").text_content()
    assert temporary and len(temporary) == 10
    fits(page)
    shot(page, f"admin-lost-phone-{size}")

    # The worker's new phone (a new browser: a new device id) signs in with it and must
    # choose a password of their own before anything else.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    worker_page = phone.new_page()
    worker_page.goto(base_url + "/desk/admin/")
    worker_page.fill("#username", "demo-worker")
    worker_page.fill("#password", temporary)
    worker_page.click("#login-button")
    expect(worker_page.locator("#password-change-form")).to_be_visible()
    new_password = f"my own password {n}"
    worker_page.fill("#current-password", temporary)
    worker_page.fill("#new-password", new_password)
    worker_page.fill("#repeat-password", new_password)
    if n == 0:
        shot(worker_page, "new-phone-password-change")
    worker_page.click("#password-change-button")
    # Signed in with their own password; this page is an admin's, so they are sent on.
    expect(worker_page.locator("#login-view")).to_contain_text("此页面供管理员使用")
    device = worker_page.evaluate("localStorage.getItem('doudi.device')")
    assert device and device != old["device_id"]
    phone.close()
    again = api.post(
        "/api/v1/auth/login",
        data={"username": "demo-worker", "password": new_password, "device_id": "check"},
    )
    assert again.status == 200
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"})
    assert me.json()["must_change_password"] is False

    # The account's audit log: the reset, by the admin, without any password in it.
    page.click("#user-audit")
    expect(page.locator("#audit")).to_be_visible()
    expect(page.locator("#audit-filter [name=record_id]")).to_have_value(str(worker_id))
    audit = page.locator("#audit-table tbody")
    expect(audit).to_contain_text("must_change_password")
    expect(audit).to_contain_text("演示管理员")
    assert temporary not in audit.text_content()
    fits(page)
    shot(page, f"admin-audit-{size}")

    # A sync batch is one entry naming its visits: found by any of them, the first few
    # named and the rest counted.
    worker_auth = {"Authorization": f"Bearer {again.json()['access_token']}"}
    homes = api.get("/api/v1/households?page_size=5", headers=worker_auth).json()
    visits = [visit_payload(home["id"], channel="phone") for home in homes]
    sent = api.post("/api/v1/visits/batch", data={"visits": visits}, headers=worker_auth)
    ids = [item["id"] for item in sent.json()["results"]]
    assert len(ids) == 5, sent.json()
    page.fill("#audit-filter [name=record_id]", str(ids[-1]))
    page.select_option("#audit-filter [name=actor_id]", "")
    page.select_option("#audit-filter [name=table_name]", "visits")
    page.click("#audit-filter button[type=submit]")
    expect(audit).to_contain_text(f"#{ids[0]}、#{ids[1]}、#{ids[2]} 等 5 条")
    fits(page)
    shot(page, f"admin-audit-batch-{size}")

    if n == 0:
        create_and_deactivate(page, api, expect)

    # Import a village into 龙仙镇: a bad file is refused naming the feature, a good one
    # appears in the tree.
    page.click("[data-tab=areas]")
    code, name = f"{LONGXIAN}9{n:02d}", f"新建村{n + 1}"
    page.set_input_files(
        "#area-import [name=file]",
        {"name": "bad.geojson", "mimeType": "application/geo+json", "buffer": geojson("1", name)},
    )
    page.click("#area-import button[type=submit]")
    expect(page.locator("#import-errors")).to_contain_text("第 1 个要素")
    page.set_input_files(
        "#area-import [name=file]",
        {"name": "v.geojson", "mimeType": "application/geo+json", "buffer": geojson(code, name)},
    )
    page.click("#area-import button[type=submit]")
    expect(page.locator("#import-result")).to_contain_text("新增 1 个")
    village = page.locator(f"#area-tree li[data-code='{LONGXIAN}'] li[data-code='{code}']")
    expect(village).to_contain_text(name)
    fits(page)
    shot(page, f"admin-areas-{size}")

    # A new dibao figure for rural households from 203n: a wrong period and an overlap
    # with the figure in force are shown next to their fields; closing the old one (its
    # last day) lets the new one in.
    page.click("[data-tab=standards]")
    form = page.locator("#standard-form")
    form.locator("[name=programme]").select_option("dibao")
    form.locator("[name=urban_rural]").select_option("rural")
    form.locator("[name=monthly_amount]").fill(f"{888 + n}")
    form.locator("[name=valid_from]").fill(f"203{n}-01-01")
    form.locator("[name=valid_to]").fill(f"202{n}-12-31")
    source = f"翁民〔203{n}〕1号"
    form.locator("[name=source]").fill(source)
    expect(form.locator(".char-count")).to_contain_text(f"{len(source)}/255")
    page.click("#add-standard")
    expect(form.locator("[name=valid_to][aria-invalid=true]")).to_have_count(1)
    expect(form.locator(".field-error")).to_contain_text("截止日期早于起始日期")
    form.locator("[name=valid_to]").fill("")
    page.click("#add-standard")
    expect(form.locator("[name=valid_from][aria-invalid=true]")).to_have_count(1)
    expect(form.locator(".field-error")).to_contain_text("有效期重叠")
    fits(page)
    in_force = (
        page.locator("#standards-table tbody tr", has_text="最低生活保障")
        .filter(has_text="农村")
        .filter(has_text="长期")
    )
    expect(in_force).to_have_count(1)
    in_force.locator(".close-standard").click()
    expect(page.locator("#close-standard-dialog")).to_be_visible()
    fits(page)
    last_day = f"20{29 + n}-12-31"
    page.fill("#close-standard-form [name=valid_to]", last_day)
    page.click("#close-standard-form button[type=submit]")
    expect(page.locator("#standards-table tbody")).to_contain_text(last_day)
    page.click("#add-standard")
    added = page.locator("#standards-table tbody tr", has_text=source)
    expect(added).to_contain_text("长期")
    expect(form.locator(".field-error")).to_have_count(0)
    fits(page)
    shot(page, f"admin-standards-{size}")

    # Failed background jobs, with their errors.
    page.click("[data-tab=jobs]")
    failed = page.locator("#failed-jobs tbody")
    expect(failed).to_contain_text("FileNotFoundError: 原图缺失")
    assert "440229199001011234" not in failed.text_content()
    fits(page)
    shot(page, f"admin-jobs-{size}")
    assert errors == []
    context.close()
    return new_password


def create_and_deactivate(page, api, expect) -> None:
    """A clerk's account made for a month, then deactivated: they can no longer sign in."""
    page.click("[data-tab=users]")
    page.click("#new-user")
    dialog = page.locator("#new-user-dialog")
    expect(dialog).to_be_visible()
    fits(page)
    form = page.locator("#new-user-form")
    form.locator("[name=username]").fill("demo-worker")  # taken: said in the form
    form.locator("[name=display_name]").fill("临时文员")
    form.locator("[name=role]").select_option("outreach_worker")
    town = form.locator("[name=area_id] option", has_text="龙仙镇").first.get_attribute("value")
    form.locator("[name=area_id]").select_option(town)
    form.locator("[name=password]").fill("clerk password 1")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-form-error]")).to_contain_text("已存在")
    form.locator("[name=username]").fill("demo-clerk")
    form.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("已创建账号 demo-clerk")
    page.fill("#user-filter [name=q]", "临时文员")
    page.click("#user-filter button[type=submit]")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    page.click("#users-table .manage")
    page.click("#toggle-active")
    expect(page.locator("#user-message")).to_contain_text("账号已停用")
    expect(page.locator("#user-facts")).to_contain_text("已停用")
    page.click("#user-dialog [data-close]")
    expect(page.locator("#users-table tbody")).to_contain_text("已停用")
    signed_in = api.post(
        "/api/v1/auth/login",
        data={"username": "demo-clerk", "password": "clerk password 1", "device_id": "clerk"},
    )
    assert signed_in.status == 401
