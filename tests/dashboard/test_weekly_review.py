"""A supervisor's weekly review on the demo county, end to end in Chromium, at phone width
(390x844) and on a laptop (1366x768): sign in, pick a town, filter its unassigned tasks,
reassign two, open a task, review a flagged visit (has issues: a task for its worker
appears), export the tasks; the area and period survive a reload and a new tab; nothing
runs off the side of the screen. Screenshots: test-artifacts/dashboard/weekly-*.png
(shown in docs/pages.md)."""

from __future__ import annotations

from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth.models import User
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.common.county_time import local_midnight, local_today
from api.db import session
from api.demo.cli import DEMO_PASSWORD
from api.visits.models import Visit
from tests.dashboard.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.dashboard.test_browser import served_demo as served_demo  # the fixture

FROM = local_today() - timedelta(days=120)  # the demo's visits go back 120 days
SIZES = [(390, 844), (1366, 768)]


def demo_facts(demo_app) -> dict:
    """The town the review works in (the demo worker's, 龙仙镇), its unassigned tasks a
    worker may take, its flagged visits awaiting review, and the county's queue."""
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            town = session.scalar(select(Area).where(Area.name == "龙仙镇"))
            worker = session.scalar(select(User).where(User.username == "demo-worker"))
            open_unassigned = (Task.assignee_id.is_(None), Task.status.in_(ACTIVE_STATUSES))
            in_town = Task.area_id.in_(select(Area.id).where(Area.path.startswith(town.path)))
            takeable = session.scalars(
                select(Task.id)
                .where(*open_unassigned, in_town, Task.realm == "households")
                .order_by(Task.due_on, Task.id)
            ).all()
            town_unassigned = session.scalar(
                select(func.count()).select_from(Task).where(*open_unassigned, in_town)
            )
            county_unassigned = session.scalar(
                select(func.count()).select_from(Task).where(*open_unassigned)
            )
            flagged = session.scalar(
                select(func.count())
                .select_from(Visit)
                .where(
                    Visit.presence_flagged.is_(True),
                    Visit.review_state == "pending",
                    Visit.visited_at >= local_midnight(FROM),
                    Visit.area_id.in_(select(Area.id).where(Area.path.startswith(town.path))),
                )
            )
            return {
                "town": town.name,
                "worker_id": worker.id,
                "worker": worker.display_name,
                "takeable": takeable,
                "town_unassigned": town_unassigned,
                "county_unassigned": county_unassigned,
                "flagged": flagged,
            }
        finally:
            session.remove()


def assignees(demo_app, task_ids: list[int]) -> list[int | None]:
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            return list(session.scalars(select(Task.assignee_id).where(Task.id.in_(task_ids))))
        finally:
            session.remove()


def followups(demo_app, visit_id: int) -> list[tuple[int | None, str]]:
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            return [
                (row.assignee_id, row.title)
                for row in session.execute(
                    select(Task.assignee_id, Task.title).where(
                        Task.kind == "review_followup", Task.subject_id == visit_id
                    )
                )
            ]
        finally:
            session.remove()


def assert_fits(page, *selectors: str) -> None:
    """No sideways scroll, and each element (and open dialog) inside the viewport's width."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide in a {width}px viewport"
    for selector in (*selectors, "dialog[open]"):
        for box in [e.bounding_box() for e in page.locator(selector).all() if e.is_visible()]:
            assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, (selector, box)


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_weekly_review(served_demo, width, height):
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    facts = demo_facts(demo_app)
    assert facts["takeable"] and facts["flagged"] >= 1, facts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"weekly-{width}x{height}-{name}.png"))  # noqa: E731
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                accept_downloads=True,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # Sign in.
            page.goto(base_url + "/")
            assert_fits(page, "#login-form")
            page.fill("#username", "demo-supervisor")
            page.fill("#password", DEMO_PASSWORD)
            page.click("#login-button")
            expect(page.locator("#coverage-table tbody tr")).to_have_count(7)
            expect(page.locator(".leaflet-control-attribution")).to_contain_text("翁源县民政局")
            assert_fits(page, "#controls", "#map", "#side .scroll", "#views")
            shot("1-overview")

            # The tasks: the county's queue first (unassigned, all towns).
            page.fill("#from", FROM.isoformat())
            page.click("#refresh")
            page.click("#tab-tasks")
            page.check("#task-filters [name=unassigned]")
            expect(page.locator("#task-count")).to_contain_text(
                f"共 {facts['county_unassigned']} 项"
            )

            # Pick a town: the list, the breadcrumb and the address follow.
            page.select_option("#task-filters [name=town]", label=facts["town"])
            expect(page.locator("#breadcrumb")).to_contain_text(facts["town"])
            expect(page.locator("#task-count")).to_contain_text(f"共 {facts['town_unassigned']} 项")
            assert "view=tasks" in page.url and f"from={FROM.isoformat()}" in page.url
            assert_fits(page, "#task-filters", "#reassign-form", "#views")
            shot("2-unassigned")

            # Reassign (up to) two of them to the town's worker, in one request. (How many
            # the demo leaves unassigned in this town follows its escalations; the bulk
            # endpoint itself is tested with many in tests/casework/tasks.)
            picked = facts["takeable"][:2]
            for task_id in picked:
                page.check(f"#task-table input.pick[value='{task_id}']")
            expect(page.locator("#selected-count")).to_have_text(f"已选 {len(picked)} 项")
            page.select_option("#reassign-to", value=str(facts["worker_id"]))
            page.click("#reassign-button")
            expect(page.locator("#status")).to_contain_text(
                f"已将 {len(picked)} 项任务改派给{facts['worker']}"
            )
            assert assignees(demo_app, picked) == [facts["worker_id"]] * len(picked)
            expect(page.locator("#task-count")).to_contain_text(
                f"共 {facts['town_unassigned'] - len(picked)} 项"
            )

            # Reload and a new tab keep the town, the period and the view.
            page.reload()
            expect(page.locator("#breadcrumb")).to_contain_text(facts["town"])
            expect(page.locator("#tab-tasks")).to_have_attribute("aria-selected", "true")
            expect(page.locator("#from")).to_have_value(FROM.isoformat())
            other = context.new_page()
            other.goto(page.url)
            expect(other.locator("#breadcrumb")).to_contain_text(facts["town"])
            other.close()

            # Open a task: its household, reason and history.
            page.uncheck("#task-filters [name=unassigned]")
            page.locator("#task-table a.task-link").first.click()
            expect(page.locator("#task-dialog")).to_be_visible()
            expect(page.locator("#task-detail")).to_contain_text("原因")
            expect(page.locator("#task-history")).to_contain_text("创建")
            assert_fits(page)
            shot("3-task")
            page.click("#task-close")

            # Review a flagged visit: has issues; a task for its worker appears.
            page.click("#tab-review")
            pending = int(page.locator("#pending-count").get_attribute("data-count"))
            assert pending == facts["flagged"]
            expect(page.locator("#review-count")).to_contain_text(f"共 {pending} 次走访")
            button = page.locator(".review-button").first
            visit_id = int(button.get_attribute("data-visit-id"))
            button.click()
            expect(page.locator("#review-detail")).to_contain_text("走访人")
            expect(page.locator("#review-detail")).to_contain_text("位置核验")
            expect(page.locator("#review-photos")).not_to_be_empty()
            assert_fits(page)
            shot("4-review")
            page.check("input[name=state][value=has_issues]")
            page.fill("#review-comment", "定位与住址相距过远，请补充说明")
            page.click("#review-submit")
            expect(page.locator("#status")).to_contain_text(f"走访 #{visit_id} 已审核：有问题")
            # The count and the list move together, with no manual refresh.
            expect(page.locator("#review-count")).to_contain_text(f"共 {pending - 1} 次走访")
            expect(page.locator("#pending-count")).to_have_attribute("data-count", str(pending - 1))
            [(assignee, title)] = followups(demo_app, visit_id)
            assert title == "走访审核有问题：请补充或更正"
            # The next visit's form starts empty.
            if pending > 1:
                page.locator(".review-button").first.click()
                expect(page.locator("#review-comment")).to_have_value("")
                expect(page.locator("input[name=state][value=approved]")).to_be_checked()
                page.click("#review-cancel")

            # The worker's new task is in the tasks list.
            page.click("#tab-tasks")
            page.select_option("#task-filters [name=kind]", value="review_followup")
            expect(page.locator("#task-table tbody")).to_contain_text("走访审核有问题")

            # Export the tasks as listed (Excel).
            with page.expect_download() as download_info:
                page.click("#tasks-export-xlsx")
            download = download_info.value
            target = ARTIFACTS / f"weekly-{width}x{height}-{download.suggested_filename}"
            download.save_as(target)
            assert download.suggested_filename.startswith(f"跟进任务_{facts['town']}")
            sheet = openpyxl.load_workbook(target).active
            headers = [cell.value for cell in sheet[1]]
            assert {"户主", "原因", "标题"} <= set(headers)
            titles = [
                row[headers.index("标题")] for row in sheet.iter_rows(min_row=2, values_only=True)
            ]
            assert titles and all(t == "走访审核有问题：请补充或更正" for t in titles)
            assert assignee is not None

            # The households of the town, by status, down to a village.
            page.click("#tab-households")
            page.select_option("#household-filters [name=status]", value="visited")
            expect(page.locator("#household-count")).to_contain_text("户")
            page.locator("#household-table a.drill").first.click()
            expect(page.locator("#breadcrumb a")).to_have_count(2)  # county › town › village
            assert_fits(page, "#view-households .scroll", "#views")
            shot("5-households")

            # Back goes up to the town again.
            page.go_back()
            expect(page.locator("#breadcrumb a")).to_have_count(1)
            assert errors == []
        finally:
            browser.close()
