"""The field app in headless Chromium (Debian's package, driven by Playwright), as a phone:
360×640, zh-CN, geolocation granted and set by the test, service workers allowed.

The demo county is served from a committed database of this test's own (the fixture of
tests/dashboard/test_browser.py). Screenshots of each screen are kept under the folder the
test prints; docs/field-app.md shows copies of them.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth.models import User
from api.casework.tasks.models import Task
from api.common.county_time import local_today
from api.config import PROJECT_ROOT
from api.db import session
from api.demo.cli import DEMO_PASSWORD
from api.photos.models import Photo
from api.rescue.centre.models import Resident
from api.rescue.patrols.models import Encounter, Patrol
from api.visits.models import Household, Visit
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, served_demo  # noqa: F401
from tests.photos.test_processing import jpeg

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "field"
PHOTOS = PROJECT_ROOT.parent / "shared" / "testdata" / "photos"
# 龙仙镇, where demo-worker works (the demo's households lie around it).
HERE = {"latitude": 24.3463, "longitude": 114.1352, "accuracy": 8}


def phone(browser, **extra):
    return browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=HERE,
        permissions=["geolocation"],
        service_workers="allow",
        **extra,
    )


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for box in page.evaluate(
        "Array.from(document.querySelectorAll('#view button, #view input, #tabs button'))"
        ".filter(e => e.offsetParent).map(e => e.getBoundingClientRect())"
        ".map(r => [r.left, r.right])"
    ):
        assert box[0] >= -1 and box[1] <= 361, box


def in_db(demo_app, fn):
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            return fn()
        finally:
            session.rollback()
            session.remove()


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/field/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")
    page.wait_for_function(
        "document.documentElement.dataset.ready === '1'"
        " && document.querySelector('#view').dataset.view === 'work'"
    )
    wait_for_service_worker(page)


def wait_for_service_worker(page) -> None:
    """The app shell's worker controls the page. An install whose shell download failed
    (a fetch cut off on a loaded machine) leaves no worker; a browser tries again at the
    next load of the page, and so does this, twice at most."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        try:
            page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.reload()
            page.wait_for_function("document.documentElement.dataset.ready === '1'")


@pytest.fixture
def camera_photos(tmp_path) -> list[str]:
    """Two camera photos: the shared real ones (EXIF orientation, GPS tags), or, where
    ../shared is not checked out, two JPEGs made here with an orientation tag, so that the
    upload is tested either way."""
    shared = [PHOTOS / "Canon_40D.jpg", PHOTOS / "gps_DSCN0010.jpg"]
    if all(path.is_file() for path in shared):
        return [str(path) for path in shared]
    made = []
    for name, orientation in (("upright.jpg", 1), ("turned.jpg", 6)):
        path = tmp_path / name
        path.write_bytes(jpeg((1600, 1200), orientation=orientation))
        made.append(str(path))
    return made


def pick_household(page, household_id: int) -> None:
    page.click("#pick-household")
    page.click(f"dialog #household-list li[data-household-id='{household_id}'] button")


@pytest.mark.browser
def test_offline_visits_reach_the_server_once(served_demo, camera_photos):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nfield app test artifacts: {ARTIFACTS}")
    worker_id, task_id = in_db(
        demo_app,
        lambda: (
            (uid := session.scalar(select(User.id).where(User.username == "demo-worker"))),
            session.scalar(
                select(Task.id)
                .where(Task.assignee_id == uid, Task.status.in_(("open", "in_progress")))
                .order_by(Task.due_on, Task.id)
                .limit(1)
            ),
        ),
    )
    # A task about a household: its head's name is filled in once the households are read,
    # after the first screen (which shows without reading them).
    task_with_household, head_name = in_db(
        demo_app,
        lambda: session.execute(
            select(Task.id, Household.head_name)
            .join(Household, Household.id == Task.household_id)
            .where(Task.assignee_id == worker_id, Task.status.in_(("open", "in_progress")))
            .order_by(Task.due_on, Task.id)
            .limit(1)
        ).one(),
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = phone(browser)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # Online: sign in once; the area's households and the form come down.
            page.goto(base_url + "/field/")
            shot(page, "01-sign-in")
            sign_in(page, base_url, "demo-worker")
            rows = page.locator("#household-list li")
            expect(rows.first).to_be_visible()
            ids = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.householdId)")]
            assert len(ids) >= 2
            fits_the_screen(page)
            shot(page, "02-my-work")

            # Offline from here: the service worker opens the app, IndexedDB has the data.
            context.set_offline(True)
            page.reload()
            page.wait_for_function("document.documentElement.dataset.ready === '1'")
            expect(page.locator("#net")).to_have_text("离线")
            expect(rows).to_have_count(len(ids))
            expect(
                page.locator(f"#task-list li[data-task-id='{task_with_household}']")
            ).to_contain_text(head_name)
            page.fill(
                "#household-search", page.locator("#household-list li strong").first.inner_text()
            )
            expect(rows.first).to_be_visible()
            page.click("#near-me")
            expect(page.locator("#household-status")).to_contain_text("按距离排序")

            # A task done offline, with its outcome.
            if task_id:
                page.click(f"#task-list li[data-task-id='{task_id}'] button")
                page.fill("#outcome-note", "已电话联系，情况已登记")
                shot(page, "03-task")
                page.click("#task-done")
                expect(page.locator(f"#task-list li[data-task-id='{task_id}']")).to_have_count(0)

            # Visit 1: in person, with a GPS fix and two real photos. A value past the form's
            # limit is caught before saving.
            page.click("#tab-visit")
            pick_household(page, ids[0])
            expect(page.locator("#gps-text")).to_contain_text("精度 ±8 米")
            page.fill("[name='findings.household_size']", "0")
            page.click("#save-visit")
            expect(page.locator(".field-error")).to_contain_text("须在 1 到 50 之间")
            page.fill("[name='findings.household_size']", "3")
            page.fill("[name='findings.monthly_income_total']", "900")
            page.fill("[name='needs']", "医疗救助\n子女上学")
            page.fill("[name='notes']", "老人卧床，需跟进")
            page.set_input_files("#photo-input", camera_photos)
            expect(page.locator("#photo-thumbs img")).to_have_count(2)
            fits_the_screen(page)
            page.screenshot(path=str(ARTIFACTS / "04-record-visit.png"), full_page=True)
            page.click("#save-visit")
            expect(page.locator("#saved-note")).to_be_visible()

            # Visit 2: by phone (no location), of a household that will have left the area.
            page.click("#tab-visit")
            pick_household(page, ids[1])
            page.check("input[name=channel][value=phone]")
            expect(page.locator("#gps")).to_be_hidden()
            page.fill("[name='notes']", "电话回访")
            page.click("#save-visit")
            expect(page.locator("#saved-note")).to_be_visible()

            # Visit 3: a new household registered during the visit.
            page.click("#tab-visit")
            page.click("#register-household")
            page.select_option("[name='new_household.area_id']", index=1)
            page.fill("[name='new_household.address']", "青云村三组 8 号")
            page.check("input[name='new_household.urban_rural'][value=rural]")
            page.fill("[name='new_household.head_name']", "黎新户")
            page.fill("[name='new_household.head_id_number']", "440229199001011234")
            page.click("#save-visit")
            expect(
                page.locator("[name='new_household.head_id_number'] + .field-error, .field-error")
            ).to_contain_text("校验位")
            page.fill("[name='new_household.head_id_number']", "")
            page.click("#save-visit")
            outbox = page.locator("#outbox-list li[data-kind=visit]")
            expect(outbox).to_have_count(3)
            waiting = page.locator("#outbox-list li[data-state=waiting]")
            expect(waiting).to_have_count(4 if task_id else 3)
            fits_the_screen(page)
            shot(page, "05-outbox-offline")
            keys = outbox.evaluate_all("rs => rs.map(r => r.dataset.key)")
            new_key, phone_key, photo_key = keys  # newest first

            # Meanwhile the second household moves to another town: the server will refuse.
            def move_away():
                other = session.scalar(
                    select(Area.id)
                    .where(Area.level == "village", Area.parent.has(Area.name == "江尾镇"))
                    .limit(1)
                )
                session.get(Household, ids[1]).area_id = other
                session.commit()

            in_db(demo_app, move_away)

            # The sign-in expired while the phone was offline (both tokens are dead now):
            # recording went on; sending waits for the worker to sign in again.
            page.evaluate(
                "localStorage.setItem('doudi.access', 'expired');"
                "localStorage.setItem('doudi.refresh', 'expired')"
            )
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            expect(page.locator("#banner")).to_contain_text("登录已过期", timeout=20000)
            expect(waiting).to_have_count(4 if task_id else 3)
            shot(page, "05b-signed-out")

            # Signing in again, the network drops twice: the batch's answer is lost after the
            # server stored it, and the page is closed while a photo is being uploaded.
            lost = {"batch": 0, "photo": 0}

            def lose_batch_answer(route):
                if lost["batch"] == 0:
                    lost["batch"] += 1
                    route.fetch()  # the server stores the visits...
                    route.abort("connectionreset")  # ...and the phone never hears it
                else:
                    route.continue_()

            def hang_photo(route):
                if lost["photo"] == 0:
                    lost["photo"] += 1
                    route.fetch()  # stored; the answer never arrives: the page closes
                    return
                route.continue_()

            page.route("**/api/v1/visits/batch", lose_batch_answer)
            page.route("**/api/v1/visits/*/photos", hang_photo)
            page.click("#sign-in-again")
            page.fill("dialog #username", "demo-worker")
            page.fill("dialog #password", DEMO_PASSWORD)
            page.click("dialog #login-button")
            expect(page.locator("#banner")).to_be_hidden()
            deadline = time.monotonic() + 60
            while lost["photo"] == 0:
                assert time.monotonic() < deadline, "no photo upload started"
                page.wait_for_timeout(200)
            page.close()

            # Reopened, online: everything is sent, once.
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base_url + "/field/#outbox")
            page.wait_for_function("document.documentElement.dataset.ready === '1'")
            page.click("#send-now")
            sent = page.locator("#outbox-list li[data-kind=visit][data-state=sent]")
            expect(sent).to_have_count(2, timeout=30000)
            expect(
                page.locator(f"#outbox-list li[data-key='{photo_key}'] .photos-line")
            ).to_contain_text("已发送 2 张", timeout=30000)
            refused = page.locator(f"#outbox-list li[data-key='{phone_key}']")
            expect(refused).to_have_attribute("data-state", "refused")
            expect(refused.locator(".reason")).to_contain_text("走访户")
            expect(
                page.locator(f"#outbox-list li[data-key='{photo_key}'] .screening")
            ).to_contain_text("初筛结果")
            fits_the_screen(page)
            shot(page, "06-outbox-sent")

            def stored():
                visits = session.scalars(select(Visit).where(Visit.client_uuid.in_(keys))).all()
                photo_counts = {
                    v.client_uuid: session.scalar(
                        select(func.count()).where(
                            Photo.owner_kind == "visit", Photo.owner_id == v.id
                        )
                    )
                    for v in visits
                }
                done = (
                    session.scalar(select(Task.status).where(Task.id == task_id))
                    if task_id
                    else None
                )
                return {v.client_uuid: v.worker_id for v in visits}, photo_counts, done

            visits, photo_counts, task_status = in_db(demo_app, stored)
            assert visits == {photo_key: worker_id, new_key: worker_id}
            assert photo_counts == {photo_key: 2, new_key: 0}
            if task_id:
                assert task_status == "done"

            # The refused visit, corrected (another household) and sent as a new record.
            refused.locator(".edit-resend").click()
            expect(page.locator("[name=notes]")).to_have_value("电话回访")
            pick_household(page, ids[2] if len(ids) > 2 else ids[0])
            page.click("#save-visit")
            expect(sent).to_have_count(3, timeout=30000)
            shot(page, "07-outbox-resent")

            # Signing out with a visit not yet sent: everything goes but that visit, unless
            # dropping it is confirmed twice.
            context.set_offline(True)
            page.click("#tab-visit")
            pick_household(page, ids[0])
            page.check("input[name=channel][value=phone]")
            page.click("#save-visit")
            expect(page.locator("#outbox-list li[data-state=waiting]")).to_have_count(1)
            page.click("#tab-me")
            shot(page, "08-me")
            page.click("#sign-out")
            expect(page.locator("#unsent-note")).to_contain_text("1 条记录")
            confirms: list[str] = []
            page.on("dialog", lambda d: (confirms.append(d.message), d.dismiss()))
            page.click("#sign-out-drop")  # the first confirmation is declined: nothing dropped
            assert len(confirms) == 1
            page.click("#confirm-sign-out")
            expect(page.locator("#login-form")).to_be_visible()
            kept = page.evaluate(
                "(async () => ({households: (await FieldStore.all('households')).length,"
                " tasks: (await FieldStore.all('tasks')).length,"
                " meta: (await FieldStore.all('meta')).length,"
                " outbox: (await FieldStore.all('outbox')).map(r => r.state)}))()"
            )
            assert kept == {"households": 0, "tasks": 0, "meta": 0, "outbox": ["waiting"]}
            assert page.evaluate("localStorage.getItem('doudi.refresh')") is None
            assert not errors, errors
        finally:
            browser.close()


def add_rescue_colleague() -> tuple[int, int]:
    """The demo's rescue worker and a colleague of the same area, made (and committed) for
    the patrol test, once per served demo."""
    rescue = session.scalar(select(User).where(User.username == "demo-rescue"))
    mate = session.scalar(select(User).where(User.username == "demo-rescue-mate"))
    if mate is None:
        mate = User(
            username="demo-rescue-mate",
            display_name="巡查队员乙",
            role="rescue_staff",
            area_id=rescue.area_id,
            password_hash=rescue.password_hash,
        )
        session.add(mate)
        session.commit()
    return rescue.id, mate.id


def call(base_url: str, method: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = base_url + "/api/v1" + path  # the test's own local server
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


@pytest.mark.browser
def test_a_patrol_records_its_route_encounters_and_an_admission(served_demo, camera_photos):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = call(
        base_url,
        "POST",
        "/auth/login",
        {"username": "demo-rescue", "password": DEMO_PASSWORD, "device_id": "browser-test"},
    )["access_token"]
    today = local_today()
    campaign = call(
        base_url,
        "POST",
        "/campaigns",
        {
            "kind": "winter_warmth",
            "name": "今冬寒冬送温暖",
            "starts_on": (today - timedelta(days=5)).isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
        },
        token,
    )
    # A colleague to take along: the demo county has one rescue worker; the app lists the
    # active rescue staff of the worker's area (GET /patrols/team-candidates) to tick.
    rescue_id, mate_id = in_db(demo_app, add_rescue_colleague)
    # Simulated time starts ten minutes ago, so that minutes of walking stay in the past.
    start = datetime.now(UTC) - timedelta(minutes=10)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = phone(browser)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.clock.install(time=start)
            sign_in(page, base_url, "demo-rescue")
            expect(page.locator("#tab-visit")).to_have_count(0)  # no households for rescue staff
            page.click("#tab-me")
            page.click("#sync-now")
            expect(page.locator("#last-sync")).not_to_contain_text("尚未同步")
            page.click("#tab-patrol")
            expect(page.locator("#campaign option").first).to_have_text("今冬寒冬送温暖")
            page.check("input[name=mode][value=on_foot]")
            expect(page.locator("#patrol-team input[name=team]")).to_have_count(1)  # not oneself
            page.check(f"#patrol-team input[name=team][value='{mate_id}']")
            fits_the_screen(page)
            shot(page, "09-patrol-start")
            page.click("#start-patrol")
            expect(page.locator("#patrol-status")).to_be_visible()

            # Walk north-east, about 25 m every 15 s, for three minutes of simulated time.
            for step in range(1, 13):
                context.set_geolocation(
                    {
                        "latitude": HERE["latitude"] + step * 0.0002,
                        "longitude": HERE["longitude"] + step * 0.0001,
                        "accuracy": 10,
                    }
                )
                page.clock.run_for(15_000)
                page.wait_for_timeout(150)  # the fix arrives (real time)
                if step == 6:
                    page.click("#new-encounter")
                    page.select_option("#encounter-form [name=outcome]", "escorted_to_centre")
                    page.check("#encounter-form input[name=sex][value=male]")
                    page.fill("#encounter-form [name=approximate_age]", "70")
                    page.evaluate("document.querySelector('dialog').scrollTop = 0")
                    shot(page, "10-encounter")
                    page.check("#encounter-form input[name=vulnerability_kinds][value=elderly]")
                    page.fill("#encounter-form [name='aid.quilt']", "1")
                    page.fill("#encounter-form [name='aid.hot_meal']", "2")
                    page.set_input_files("#encounter-photo", camera_photos[0])
                    page.click("#save-encounter")
                    page.click("#encounter-list li .admit")
                    expect(page.locator("#encounter-list li .tag")).to_have_text("已登记入站")
            expect(page.locator("#patrol-points")).not_to_contain_text("定位点 0 个")
            fits_the_screen(page)
            shot(page, "11-patrol-running")
            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#end-patrol")
            expect(page.locator("#start-patrol")).to_be_visible()
            page.click("#tab-outbox")
            page.click("#send-now")
            expect(page.locator("#outbox-list li[data-kind=patrol_end]")).to_have_attribute(
                "data-state", "sent", timeout=30000
            )
            expect(page.locator("#outbox-list li[data-state=waiting]")).to_have_count(0)
            shot(page, "12-patrol-outbox")

            patrol_key = page.locator("#outbox-list li[data-kind=patrol]").get_attribute("data-key")

            def stored():
                patrol = session.scalar(select(Patrol).where(Patrol.client_uuid == patrol_key))
                encounters = session.scalars(
                    select(Encounter).where(Encounter.patrol_id == patrol.id)
                ).all()
                photos = session.scalar(
                    select(func.count()).where(
                        Photo.owner_kind == "encounter",
                        Photo.owner_id.in_([e.id for e in encounters]),
                    )
                )
                residents = session.scalar(
                    select(func.count()).where(
                        Resident.encounter_id.in_([e.id for e in encounters])
                    )
                )
                return (
                    sorted(patrol.team_ids),
                    patrol.campaign_id,
                    patrol.mode,
                    patrol.ended_at is not None,
                    patrol.point_count,
                    patrol.route is not None,
                    len(encounters),
                    photos,
                    residents,
                )

            team, campaign_id, mode, ended, points, has_route, met, photos, admitted = in_db(
                demo_app, stored
            )
            assert team == sorted([rescue_id, mate_id])  # the worker and the colleague ticked
            assert (campaign_id, mode, ended, has_route, met, admitted) == (
                campaign["id"],
                "on_foot",
                True,
                True,
                1,
                1,
            )
            assert points >= 8
            assert photos == 1
            assert not errors, errors
        finally:
            browser.close()
