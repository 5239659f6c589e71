"""The rescue centre's desk page in headless Chromium (Debian's package, driven by
Playwright), on the demo county: a rescue-centre day at phone and laptop size, a sign-in
revoked in the middle of a form, and an outreach worker who opens the page.

The demo county is served by the supervisors' page test's fixture (a committed database of
its own); screenshots are kept under test-artifacts/rescue-desk and shown in docs/pages.md.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageDraw

from api.config import PROJECT_ROOT
from api.db import session
from api.demo.cli import DEMO_PASSWORD
from api.jobs.queue import queue_for
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, served_demo  # noqa: F401

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "rescue-desk"
SIZES = {"phone": (390, 844), "laptop": (1366, 768)}


class Api:
    """The API as the field app and the test see it (Playwright's request context)."""

    def __init__(self, request, base_url: str, username: str):
        self.request = request
        self.base = base_url + "/api/v1"
        login = request.post(
            self.base + "/auth/login",
            data={"username": username, "password": DEMO_PASSWORD, "device_id": "test-" + username},
        )
        assert login.ok, login.text()
        self.headers = {"Authorization": "Bearer " + login.json()["access_token"]}

    def get(self, path: str, **params):
        return self.request.get(self.base + path, params=params, headers=self.headers)

    def post(self, path: str, body: dict):
        response = self.request.post(self.base + path, data=body, headers=self.headers)
        assert response.ok, response.text()
        return response.json()


def escorted_encounter(api: Api, name: str) -> int:
    """Last night's patrol brought someone in (as the field app records it)."""
    now = datetime.now(UTC)
    patrol = api.post(
        "/patrols",
        {
            "client_uuid": str(uuid.uuid4()),
            "mode": "vehicle",
            "started_at": (now - timedelta(hours=3)).isoformat(),
        },
    )
    encounter = api.post(
        f"/patrols/{patrol['id']}/encounters",
        {
            "client_uuid": str(uuid.uuid4()),
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
            "location": {"type": "Point", "coordinates": [114.1352, 24.3463]},
            "sex": "male",
            "approximate_age": 60,
            "clothing": "灰色棉衣",
            "condition": "腿脚不便",
            "gave_name": True,
            "name": name,
            "outcome": "escorted_to_centre",
        },
    )
    return encounter["id"]


def open_day_photo() -> bytes:
    """A JPEG that looks like something in the screenshots (a banner over a crowd)."""
    image = Image.new("RGB", (480, 320), (236, 239, 241))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 30, 440, 90), fill=(183, 28, 28))
    for i in range(12):
        x = 30 + i * 36
        draw.ellipse((x, 200, x + 28, 228), fill=(90, 110, 130))
        draw.rectangle((x + 4, 228, x + 24, 300), fill=(60, 80, 100))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def clean_photos(demo_app) -> None:
    """Run the served app's queued jobs (the photo cleaning) with a real RQ worker here."""
    from rq import SimpleWorker

    with demo_app.app_context():
        queue = queue_for(demo_app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        session.remove()


def assert_fits(page, width: int, height: int, selector: str | None = None) -> None:
    """No sideways scroll; the element (a dialog) inside the viewport."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.body.scrollWidth <= window.innerWidth")
    if selector:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/desk/rescue/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")


def case_with_status(api: Api, status: str) -> int:
    cases = api.get("/tracing-cases", status=status).json()
    assert cases, status
    return cases[0]["id"]


@pytest.mark.browser
def test_a_rescue_centre_day_at_phone_and_laptop_size(served_demo):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artifacts: {ARTIFACTS}")
    # The demo has a case at every status: a reunion from `verifying`, a local settlement
    # from `searching`.
    outcomes = {"phone": ("verifying", "reunited"), "laptop": ("searching", "settled_locally")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size, (width, height) in SIZES.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="zh-CN"
                )
                api = Api(context.request, base_url, "demo-rescue")
                name = f"测试老人{size}"
                encounter_id = escorted_encounter(api, name)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                sign_in(page, base_url, "demo-rescue")
                expect(page.locator("#residents-table")).to_be_visible()
                expect(page.locator("#who-name")).to_contain_text("救助站工作人员")
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-residents.png"), full_page=True)

                # Admit from last night's encounter.
                page.click("#admit-from-encounter")
                choice = page.locator(f"[data-encounter-id='{encounter_id}']")
                expect(choice).to_contain_text(name)
                assert_fits(page, width, height, "#encounter-dialog")
                choice.locator("button").click()
                expect(page.locator("#admit-dialog")).to_be_visible()
                page.fill("#admit-dialog [name=bed]", "3-1")
                page.fill("#admit-dialog [name=health]", "腿脚不便，需扶行")
                expect(page.locator("#admit-dialog .char-count").first).to_be_visible()
                assert_fits(page, width, height, "#admit-dialog")
                page.screenshot(path=str(ARTIFACTS / f"{size}-admit.png"))
                page.click("#admit-dialog button[type=submit]")
                expect(page.locator("#view h2").first).to_have_text(name)
                expect(page.locator("#view")).to_contain_text("巡查护送")
                expect(page.locator("#view")).to_contain_text("3-1")
                admitted = api.get("/residents", q=name).json()
                assert [(r["encounter_id"], r["bed"]) for r in admitted] == [(encounter_id, "3-1")]
                assert_fits(page, width, height)

                # Log a DNA sample on a tracing case.
                start, outcome = outcomes[size]
                case_id = case_with_status(api, start)
                page.goto(f"{base_url}/desk/rescue/#tracing/{case_id}")
                expect(page.locator("#case-status")).to_have_text(
                    {"verifying": "核实中", "searching": "寻亲中"}[start]
                )
                page.click("#add-action")
                page.select_option("#action-dialog [name=kind]", "dna_sample_taken")
                # Sent without what was done: the server's 422 shows next to the field.
                page.click("#action-dialog button[type=submit]")
                expect(page.locator("#action-dialog [name=details]")).to_have_attribute(
                    "aria-invalid", "true"
                )
                expect(page.locator("#action-dialog .field-error")).to_have_text("必填")
                page.fill("#action-dialog [name=details]", "采集血样送县公安局DNA实验室")
                assert_fits(page, width, height, "#action-dialog")
                page.click("#action-dialog button[type=submit]")
                expect(page.locator("#action-log li").first).to_contain_text("采集DNA样本")
                actions = api.get(f"/tracing-cases/{case_id}/actions").json()
                assert actions[0]["kind"] == "dna_sample_taken"

                # A reunion is recorded on the case, not as a plain discharge: the page says so.
                page.click("#case-facts a")
                page.click("#discharge")
                page.select_option("#discharge-dialog [name=reason]", "family_collected")
                page.click("#discharge-dialog button[type=submit]")
                expect(page.locator("#discharge-dialog [data-form-error]")).to_contain_text(
                    "请在案件中登记团聚或安置结果"
                )
                page.click("#discharge-dialog button:text('取消')")
                page.go_back()

                # Close the case with an outcome (which discharges the resident).
                page.click("#record-outcome")
                page.select_option("#outcome-dialog [name=outcome]", outcome)
                if outcome == "reunited":
                    page.fill("#outcome-dialog [name=collected_by]", "李大山")
                    page.fill("#outcome-dialog [name=collector_relationship]", "儿子")
                    page.fill("#outcome-dialog [name=destination]", "广西某县")
                else:
                    page.fill("#outcome-dialog [name=settled_place]", "县社会福利院")
                assert_fits(page, width, height, "#outcome-dialog")
                page.screenshot(path=str(ARTIFACTS / f"{size}-outcome.png"))
                page.click("#outcome-dialog button[type=submit]")
                expect(page.locator("#case-status")).to_have_text(
                    {"reunited": "已团聚", "settled_locally": "就地安置"}[outcome]
                )
                closed = api.get(f"/tracing-cases/{case_id}").json()
                assert closed["status"] == outcome and closed["closed_at"]
                resident = api.get(f"/residents/{closed['resident_id']}").json()
                assert resident["discharged_at"] and resident["discharge_reason"]
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-case.png"), full_page=True)

                # The cases still open, and this year's reunions and settlements.
                page.click("#sections a[data-section=tracing]")
                expect(page.locator("#tracing-summary")).to_contain_text("进行中")
                expect(page.locator("#cases-table")).not_to_contain_text(resident["display_name"])
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-tracing.png"), full_page=True)

                # The long-stay list, a campaign with its map, the staff's own tasks.
                page.click("#sections a[data-section=residents]")
                page.click("text=长期滞留名单")
                expect(page.locator("#long-stay-count")).to_contain_text("在站满 90 天")
                assert_fits(page, width, height)
                page.click("#sections a[data-section=campaigns]")
                page.locator("#campaigns-table a").first.click()
                expect(page.locator("#campaign-weeks")).to_be_visible()
                page.wait_for_function(
                    "document.querySelector('#campaign-map') &&"
                    " document.querySelector('#campaign-map').dataset.routes !== undefined"
                )
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-campaign.png"), full_page=True)

                # An open day's photo: uploaded, cleaned by the worker, shown from a blob.
                if size == "laptop":
                    page.click("#sections a[data-section=open-days]")
                    page.locator("#open-days-table a").first.click()
                    page.set_input_files(
                        "#photo-file",
                        {
                            "name": "open-day.jpg",
                            "mimeType": "image/jpeg",
                            "buffer": open_day_photo(),
                        },
                    )
                    page.click("#photo-upload")
                    expect(page.locator(".photos .pending")).to_have_text("照片处理中")
                    clean_photos(demo_app)
                    page.reload()
                    photo = page.locator(".photos img").first
                    expect(photo).to_have_attribute("src", re.compile("^blob:"))
                    page.wait_for_function("document.querySelector('.photos img').naturalWidth > 0")
                    assert_fits(page, width, height)
                    page.screenshot(path=str(ARTIFACTS / f"{size}-open-day.png"), full_page=True)

                before = page.url
                page.click("#sections a[data-section=tasks]")
                expect(page.locator("#tasks-table")).to_be_visible()
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-tasks.png"), full_page=True)
                done = page.locator(".task-done").last
                task_id = done.get_attribute("data-task-id")
                done.click()
                page.fill("#task-dialog [name=outcome_note]", "已电话回访，情况稳定")
                assert_fits(page, width, height, "#task-dialog")
                page.click("#task-dialog button[type=submit]")
                expect(page.locator(f".task-done[data-task-id='{task_id}']")).to_have_count(0)
                assert api.get(f"/tasks/{task_id}").json()["status"] == "done"

                # Reload and back keep the place.
                page.reload()
                expect(page.locator("#tasks-table")).to_be_visible()
                page.go_back()
                expect(page).to_have_url(before)
                expect(page.locator("#tasks-table")).to_have_count(0)

                # The encounter behind a task, from the task list.
                page.click("#sections a[data-section=tasks]")
                page.locator("#tasks-table a[href^='#encounters/']").first.click()
                expect(page.locator("#view h2").first).to_contain_text("巡查记录")
                expect(page.locator("#admit-this-encounter")).to_be_visible()
                assert_fits(page, width, height)
                page.go_back()
                assert errors == []
                context.close()
        finally:
            browser.close()


@pytest.mark.browser
def test_a_revoked_sign_in_keeps_the_form_and_residents_stay_behind_the_wall(served_demo):  # noqa: F811
    """Two things about who is signed in (one demo county for both, to seed it once)."""
    from playwright.sync_api import expect, sync_playwright

    base_url, _demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            revoked_sign_in_keeps_the_form(browser, base_url, expect)
            outreach_worker_gets_no_resident_data(browser, base_url, expect)
            another_user_signing_in_again_sees_nothing(browser, base_url, expect)
        finally:
            browser.close()


def revoked_sign_in_keeps_the_form(browser, base_url: str, expect) -> None:
    """A sign-in revoked mid-form: sign in again in the dialog, send again, stored once."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    api = Api(context.request, base_url, "demo-rescue")
    page = context.new_page()
    sign_in(page, base_url, "demo-rescue")
    page.click("#admit")
    page.fill("#admit-dialog [name=stated_name]", "阿福")
    page.fill("#admit-dialog [name=stated_home_place]", "湖南某县")
    page.fill("#admit-dialog [name=admission_notes]", "车站派出所送来")

    # The sign-in is revoked (a lost phone's sessions ended) while the form is open.
    page.evaluate(
        "fetch('/api/v1/auth/logout', {method: 'POST', headers:"
        " {Authorization: 'Bearer ' + localStorage.getItem('doudi.access')}})"
    )
    page.click("#admit-dialog button[type=submit]")
    expect(page.locator("#reauth")).to_be_visible()
    expect(page.locator("#admit-dialog [data-form-error]")).to_contain_text("登录已过期")
    page.fill("#reauth #username", "demo-rescue")
    page.fill("#reauth #password", DEMO_PASSWORD)
    page.click("#reauth #login-button")
    expect(page.locator("#reauth")).to_have_count(0)

    # What was typed is still there; sending it again stores it once.
    expect(page.locator("#admit-dialog [name=stated_name]")).to_have_value("阿福")
    expect(page.locator("#admit-dialog [name=admission_notes]")).to_have_value("车站派出所送来")
    page.click("#admit-dialog button[type=submit]")
    expect(page.locator("#view h2").first).to_have_text("阿福")
    assert len(api.get("/residents", q="阿福").json()) == 1
    context.close()


def outreach_worker_gets_no_resident_data(browser, base_url: str, expect) -> None:
    """The page says it is not for them and asks nothing; the API answers 403."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    answers: list[str] = []
    page.on("response", lambda r: answers.append(r.url))
    page.goto(base_url + "/desk/rescue/#residents")
    page.fill("#username", "demo-worker")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")
    expect(page.locator("#login-view")).to_contain_text("此页面供救助站工作人员、管理员使用")
    expect(page.locator("#app-view")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "outreach-worker.png"))
    rescue_paths = ("/residents", "/tracing-cases", "/encounters", "/street-people")
    assert not [url for url in answers if any(p in url for p in rescue_paths)]
    assert "resident" not in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")

    # And the API itself answers an outreach worker nothing about residents.
    api = Api(context.request, base_url, "demo-worker")
    assert api.get("/residents").status == 403
    assert api.get("/residents/1").status in (403, 404)
    assert api.get("/residents/long-stay").status == 403
    assert api.get("/residents/admissible-encounters").status == 403
    assert api.get("/tracing-cases").status == 403
    context.close()


def another_user_signing_in_again_sees_nothing(browser, base_url: str, expect) -> None:
    """An outreach worker who signs in over a rescue page whose sign-in ended gets the page
    afresh (not for them), not the resident left on screen."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    api = Api(context.request, base_url, "demo-rescue")
    resident = api.get("/residents", present="true").json()[0]
    page = context.new_page()
    sign_in(page, base_url, "demo-rescue")
    page.goto(f"{base_url}/desk/rescue/#residents/{resident['id']}")
    expect(page.locator("#view h2").first).to_have_text(resident["display_name"])
    page.evaluate(
        "fetch('/api/v1/auth/logout', {method: 'POST', headers:"
        " {Authorization: 'Bearer ' + localStorage.getItem('doudi.access')}})"
    )
    page.click("#sections a[data-section=tracing]")
    expect(page.locator("#reauth")).to_be_visible()
    page.fill("#reauth #username", "demo-worker")
    page.fill("#reauth #password", DEMO_PASSWORD)
    page.click("#reauth #login-button")
    expect(page.locator("#login-view")).to_contain_text("此页面供救助站工作人员、管理员使用")
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("body")).not_to_contain_text(resident["display_name"])
    context.close()
