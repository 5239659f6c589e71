"""The supervisors' page in headless Chromium (Debian's package, driven by Playwright).

The app runs in a thread on a free port against a database of this test's own, with the
demo county seeded and committed (a server thread cannot see the rolled-back fixtures).
The screenshot and the downloaded CSV are kept under the folder the test prints.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select
from werkzeug.serving import make_server

from api import create_app
from api.areas.scope import SYSTEM, set_actor
from api.common.county_time import local_today
from api.config import PROJECT_ROOT
from api.db import init_db, session
from api.demo.cli import DEMO_PASSWORD, seed_demo
from api.visits.models import Visit
from tests.databases import scratch_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "dashboard"


@pytest.fixture
def served_demo(app) -> Iterator[tuple[str, object]]:
    """A base URL serving the demo county from a committed database of its own."""
    queue = f"doudi-browser-{uuid.uuid4().hex[:8]}"
    server = None
    demo_app = None
    with scratch_database("doudi_browser") as url:
        try:
            demo_app = create_app(
                {
                    "DATABASE_URL": url,
                    "REDIS_URL": os.environ["TEST_REDIS_URL"],
                    "RQ_QUEUE": queue,
                    "SECRET_KEY": "browser-test",
                    "LOG_JSON": False,
                    "TESTING": True,
                    "PHOTO_STORAGE_DIR": str(ARTIFACTS / "photos"),
                }
            )
            with demo_app.app_context():
                seed_demo()
                session.commit()
                session.remove()
            server = make_server("127.0.0.1", 0, demo_app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            yield f"http://127.0.0.1:{server.server_port}", demo_app
        finally:
            if server is not None:
                server.shutdown()
            session.remove()
            if demo_app is not None:
                demo_app.extensions["doudi.engine"].dispose()
            init_db(app.extensions["doudi.engine"])
            redis = Redis.from_url(os.environ["TEST_REDIS_URL"])
            for key in redis.scan_iter(f"*{queue}*"):
                redis.delete(key)


def review_state_of(demo_app, visit_id: int) -> str:
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            return session.scalar(select(Visit.review_state).where(Visit.id == visit_id))
        finally:
            session.remove()


def sign_in(page, base_url: str, username: str) -> list[str]:
    """Open the supervisors' page and sign in as ``username`` (a demo account). Returns
    the list the page's uncaught errors are collected in."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")
    return errors


@pytest.mark.browser
def test_supervisor_reviews_and_exports_from_the_page(served_demo):
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artifacts: {ARTIFACTS}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A browser 19 hours behind the county: the page must still count county days.
            context = browser.new_context(
                viewport={"width": 1600, "height": 1000},
                accept_downloads=True,
                locale="zh-CN",
                timezone_id="Pacific/Pago_Pago",
            )
            page = context.new_page()
            errors = sign_in(page, base_url, "demo-supervisor")
            expect(page.locator("#app-view")).to_be_visible()
            expect(page.locator("#who-name")).to_contain_text("县民政局督导")

            # The default period is the last 30 days of the county's calendar.
            expect(page.locator("#to")).to_have_value(local_today().isoformat())
            expect(page.locator("#from")).to_have_value(
                (local_today() - timedelta(days=29)).isoformat()
            )

            # The coverage table lists the county's seven towns; the map draws.
            rows = page.locator("#coverage-table tbody tr")
            expect(rows).to_have_count(7)
            expect(page.locator("#coverage-table tfoot")).to_contain_text("翁源县")
            expect(page.locator("#map .leaflet-overlay-pane canvas")).to_have_count(1)
            page.wait_for_function("Number(document.querySelector('#map').dataset.features) > 7")

            # A longer period (demo visits go back 120 days), then drill into a town.
            from_day = local_today() - timedelta(days=120)
            page.fill("#from", from_day.isoformat())
            page.click("#refresh")
            page.click("#coverage-table a.drill:text('龙仙镇')")
            expect(page.locator("#breadcrumb")).to_contain_text("龙仙镇")
            expect(rows).to_have_count(3)
            expect(page.locator("#coverage-table tbody")).to_contain_text("青云村")
            expect(page.locator("#status")).to_contain_text("龙仙镇")

            # Review the first flagged visit (the 审核 view): has issues, with a comment.
            page.click("#tab-review")
            button = page.locator(".review-button").first
            expect(button).to_be_visible()
            visit_id = int(button.get_attribute("data-visit-id"))
            button.click()
            expect(page.locator("#review-dialog")).to_be_visible()
            page.check("input[name=state][value=has_issues]")
            page.fill("#review-comment", "定位与住址相距过远，请补充说明")
            page.click("#review-submit")
            expect(page.locator("#status")).to_contain_text(f"走访 #{visit_id} 已审核：有问题")
            assert review_state_of(demo_app, visit_id) == "has_issues"

            # Download the visits of the town as CSV (from the overview).
            page.click("#tab-overview")
            with page.expect_download() as download_info:
                page.click("[data-export=visits][data-format=csv]")
            download = download_info.value
            target = ARTIFACTS / download.suggested_filename
            download.save_as(target)
            data = Path(target).read_bytes()
            assert download.suggested_filename.startswith("走访记录_龙仙镇")
            assert data.startswith(b"\xef\xbb\xbf")
            assert "走访时间" in data.decode("utf-8-sig").splitlines()[0]

            page.wait_for_timeout(300)
            shot = ARTIFACTS / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert errors == []
        finally:
            browser.close()


@pytest.mark.browser
def test_a_late_answer_does_not_overwrite_a_newer_list(served_demo):
    """The task list asked for unfiltered, then for unassigned only: the first answer,
    held back until the second has been shown, must not add its rows or its count (on a
    loaded server it arrived last and the page said the whole queue was unassigned)."""
    import re

    from playwright.sync_api import expect, sync_playwright

    base_url, _ = served_demo
    held = []

    def hold_unfiltered(route):
        if "unassigned=true" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
            errors = sign_in(page, base_url, "demo-supervisor")
            expect(page.locator("#coverage-table tbody tr")).to_have_count(7)

            page.route(re.compile(r"/api/v1/tasks\?"), hold_unfiltered)
            page.click("#tab-tasks")
            for _ in range(50):  # route handlers run while the page waits
                if held:
                    break
                page.wait_for_timeout(100)
            assert len(held) == 1, "the unfiltered request should be waiting"
            page.check("#task-filters [name=unassigned]")
            expect(page.locator("#task-count")).to_contain_text("共")
            shown = page.locator("#task-count").text_content()
            rows = page.locator("#task-table tbody tr").count()
            assert page.locator("#task-table tbody td:text('未分配')").count() == rows

            with page.expect_response(lambda r: r.request == held[0].request):
                held[0].continue_()
            page.wait_for_timeout(500)  # the page's handler runs after the response event
            expect(page.locator("#task-count")).to_have_text(shown)
            expect(page.locator("#task-table tbody tr")).to_have_count(rows)

            # The shared mechanism every list uses: a fresh load makes the list's earlier
            # requests stale, its next page ("more") does not, and lists are apart.
            assert page.evaluate(
                """() => {
                  const first = Doudi.ticket("probe");
                  const more = Doudi.ticket("probe", true);
                  const other = Doudi.ticket("another");
                  const before = [first.current(), more.current()];
                  const fresh = Doudi.ticket("probe");
                  return [...before, first.current(), more.current(), fresh.current(),
                          other.current()];
                }"""
            ) == [True, True, False, False, True, True]
            assert errors == []
        finally:
            browser.close()
