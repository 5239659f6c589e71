"""The data-matching desk page in headless Chromium (Debian's package, driven by Playwright),
on the demo county: a supervisor at phone and laptop size uploads a sample list and watches
its import finish, works review pairs, sees the warnings and their tasks; a file in the
wrong encoding and one without the source's columns show their reason beside the file.

The demo county is served by the supervisors' page test's fixture (a committed database of
its own, jobs queued on an RQ queue of its own); the test runs the queue with a real RQ
worker in this process, as a deployment's worker would. Screenshots are kept under
test-artifacts/matching-desk and shown in docs/pages.md.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.config import PROJECT_ROOT
from api.db import session
from api.demo.cli import DEMO_PASSWORD
from api.jobs.queue import queue_for
from api.matching.demo import SAMPLES
from api.visits.models import HouseholdMember
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, served_demo  # noqa: F401
from tests.rescue.test_desk_browser import Api, assert_fits

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "matching-desk"
SIZES = {"phone": (390, 844), "laptop": (1366, 768)}
CSV_MIME = "text/csv"
MEDICAL = "医保大额自付费用"
DEATHS = "死亡人员（殡葬火化、公安户籍注销）"


def run_jobs(demo_app) -> None:
    """Run the served app's queued jobs (the import, then the warnings' tasks) with a real
    RQ worker here."""
    from rq import SimpleWorker

    with demo_app.app_context():
        queue = queue_for(demo_app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        session.remove()


def registered_people(demo_app, count: int, skip: int) -> list[tuple[str, str]]:
    """(name, ID number) of demo register members with a valid number."""
    with demo_app.app_context():
        set_actor(None, SYSTEM)
        try:
            rows = session.execute(
                select(HouseholdMember.name, HouseholdMember.id_number)
                .where(HouseholdMember.id_number.is_not(None))
                .order_by(HouseholdMember.id)
                .offset(skip)
                .limit(count)
            ).all()
        finally:
            session.remove()
    assert len(rows) == count
    return [(name, number) for name, number in rows]


def mistyped(number: str) -> str:
    """The number with its sequence digit changed: it fails its check character, one
    character away from the registered one (a candidate for repair, never a match)."""
    digit = str((int(number[15]) + 1) % 10)
    return number[:15] + digit + number[16:]


def medical_list(people: list[tuple[str, str]]) -> bytes:
    """A medical-insurance list (GBK, the source's encoding) of people whose ID numbers
    were mistyped: each row waits for review."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "身份证号", "性别", "常住地址", "个人自付金额", "结算月份"])
    for name, number in people:
        writer.writerow([name, mistyped(number), "", "翁源县龙仙镇", "15000", "2026-10-31"])
    return out.getvalue().encode("gbk")


def upload(page, source: str, name: str, data: bytes, mime: str = CSV_MIME) -> None:
    page.goto(page.url.split("#")[0] + "#lists")
    option = page.locator("#upload-source option", has_text=source)
    option.wait_for(state="attached")
    page.locator("#upload-source").select_option(option.get_attribute("value"))
    page.set_input_files("#upload-file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click("#upload-submit")


def watch_import(page, demo_app, expect, shot: str | None = None) -> int:
    """The 202 lands on the list's page, queued; the worker runs; the page sees it done."""
    expect(page.locator("#progress-card")).to_be_visible()
    expect(page.locator("#progress-card .badge")).to_have_text("排队中")
    expect(page.locator("#list-progress")).to_be_visible()
    if shot:
        page.screenshot(path=shot)
    list_id = int(page.url.rsplit("/", 1)[1])
    run_jobs(demo_app)
    expect(page.locator("#progress-card .badge")).to_have_text("已完成", timeout=20_000)
    expect(page.locator("#rows-per-second")).to_contain_text("每秒")
    return list_id


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/desk/matching/#lists")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-button")


@pytest.mark.browser
def test_a_supervisor_uploads_reviews_and_follows_warnings(served_demo):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artifacts: {ARTIFACTS}")
    samples = {"phone": ("medical_large_bills.csv", MEDICAL), "laptop": ("deaths.csv", DEATHS)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for turn, (size, (width, height)) in enumerate(SIZES.items()):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="zh-CN"
                )
                api = Api(context.request, base_url, "demo-supervisor")
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                sign_in(page, base_url, "demo-supervisor")
                expect(page.locator("#upload-form")).to_be_visible()
                expect(page.locator("#shell-header nav.pages")).to_contain_text("数据比对")
                assert_fits(page, width, height)

                # A sample list: the 202 answer, the progress while it runs, then done.
                filename, source = samples[size]
                upload(page, source, filename, (SAMPLES / filename).read_bytes())
                list_id = watch_import(
                    page, demo_app, expect, str(ARTIFACTS / f"{size}-progress.png")
                )
                done = api.get(f"/matching/lists/{list_id}").json()
                assert done["status"] == "done" and done["rows_done"] > 0
                expect(page.locator("#rows-done")).to_have_text(f"已处理 {done['rows_done']} 行")
                expect(page.locator("#list-outcomes")).to_contain_text(
                    f"已匹配 {done['rows_matched']}"
                )
                if filename == "medical_large_bills.csv":
                    # A row without a name and a 17-digit number: kept, with their reasons.
                    expect(page.locator("#bad-rows-table")).to_contain_text("缺少姓名")
                    expect(page.locator("#bad-rows-table")).to_contain_text("身份证号无法识别")
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-list.png"), full_page=True)

                # Two mistyped ID numbers of registered people: two pairs to review.
                people = registered_people(demo_app, 2, skip=3 * turn)
                upload(page, MEDICAL, f"复核{size}.csv", medical_list(people))
                review_list = watch_import(page, demo_app, expect)
                page.click("#to-review")
                items = page.locator("#review-list .review-item")
                expect(items).to_have_count(2)
                expect(page.locator("#review-heading")).to_contain_text("2 条")
                first = items.first
                expect(first.locator(".verdict")).to_contain_text("身份证号纠错")
                expect(first.locator(".reasons")).to_contain_text("校验位不符")
                expect(first.locator(".candidate-side")).to_contain_text(people[0][0])
                expect(first.locator(".row-side")).to_contain_text(people[0][0])
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-review.png"), full_page=True)

                # Accept the first: the count and the list follow without a reload.
                total_before = int(page.locator("#review-count").inner_text())
                first.locator("button.accept").click()
                expect(page.locator("#decision-dialog")).to_be_visible()
                page.fill("#decision-dialog [name=note]", "身份证号末段录入错误，核对户籍后确认")
                assert_fits(page, width, height, "#decision-dialog")
                page.screenshot(path=str(ARTIFACTS / f"{size}-decision.png"))
                page.click("#decision-submit")
                expect(items).to_have_count(1)
                expect(page.locator("#review-heading")).to_contain_text("1 条")
                expect(page.locator("#review-count")).to_have_text(str(total_before - 1))
                # Reject the second: the queue of the list is empty.
                items.first.locator("button.reject").click()
                page.click("#decision-submit")
                expect(items).to_have_count(0)
                expect(page.locator("#review-empty")).to_be_visible()
                rows = api.get(f"/matching/lists/{review_list}/rows").json()
                assert sorted(r["status"] for r in rows) == ["matched", "unmatched"]

                # The accepted row's warning gets its task (the follow-up job), with a deadline.
                run_jobs(demo_app)
                page.click("#sections a[data-section=warnings]")
                expect(page.locator("#stats-card h2")).to_contain_text("预警处置率")
                expect(page.locator("#stats-table tbody tr").first).to_be_visible()
                warnings = api.get("/matching/warnings", list_id=review_list).json()
                assert len(warnings) == 1 and warnings[0]["task_id"]
                row = page.locator("#warnings-table tbody tr", has_text=people[0][0])
                expect(row.first).to_contain_text("限 ")
                expect(row.first).to_contain_text(warnings[0]["due_on"])
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-warnings.png"), full_page=True)
                page.click(".filters a:text('红色预警')")
                expect(page.locator(".filters a[aria-current=true]")).to_have_text("红色预警")
                expect(page.locator("#warnings-table tbody")).not_to_contain_text("橙色预警")

                # A bad file shows its reason beside the file, in Chinese.
                if size == "phone":
                    # No column the source maps.
                    upload(page, DEATHS, "错表.csv", "编号,备注\r\n1,无\r\n".encode())
                    reason = "文件缺少数据源规定的列"
                else:
                    # GBK text for a source that says UTF-8.
                    medical = (SAMPLES / "medical_large_bills.csv").read_bytes()
                    upload(page, DEATHS, "编码错误.csv", medical)
                    reason = "文件不是 utf-8 编码的文本"
                expect(page.locator("#upload-form .field-error")).to_contain_text(reason)
                expect(page.locator("#upload-file")).to_have_attribute("aria-invalid", "true")
                assert_fits(page, width, height)
                page.screenshot(path=str(ARTIFACTS / f"{size}-bad-file.png"), full_page=True)
                # The same file again for its source: refused, naming the list it became.
                upload(page, source, "again-" + filename, (SAMPLES / filename).read_bytes())
                expect(page.locator("#upload-form .field-error")).to_have_text(
                    f"这个文件已为该数据源导入过（名单 #{list_id}），同一文件不会重复导入"
                )

                # The sources.
                page.click("#sections a[data-section=sources]")
                expect(page.locator("#sources-table")).to_contain_text("县医疗保障局")
                assert_fits(page, width, height)
                if size == "laptop":
                    page.screenshot(path=str(ARTIFACTS / f"{size}-sources.png"), full_page=True)
                assert errors == []
                context.close()
        finally:
            browser.close()


@pytest.mark.browser
def test_an_admin_adds_a_source_on_a_phone(served_demo):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, _demo_app = served_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = SIZES["phone"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN"
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base_url, "demo-admin")
            expect(page.locator("#upload-form")).to_be_visible()
            page.click("#sections a[data-section=sources]")
            page.click("#add-source")
            dialog = page.locator("#source-dialog")
            expect(dialog).to_be_visible()
            dialog.locator("[name=code]").fill("utility_arrears_water")
            dialog.locator("[name=name]").fill("水费欠缴")
            dialog.locator("[name=department]").fill("县自来水公司")
            dialog.locator("[name=kind]").select_option("utility_arrears")
            dialog.locator("[name=encoding]").select_option("gb18030")
            dialog.locator("[name='columns.name']").fill("户名")
            dialog.locator("[name='columns.address']").fill("用水地址")
            dialog.locator("[name='columns.amount']").fill("欠费金额")
            dialog.locator("[name=attributes]").fill("欠费月数，表号")
            # A rule on a fact the engine does not know: refused, beside the rules.
            rule = {
                "code": "arrears",
                "level": "yellow",
                "action": "visit",
                "reason": "欠缴水费{amount}元",
                "when": [{"fact": "arrears", "op": ">=", "value": 3}],
            }
            dialog.locator("[name=rules]").fill(json.dumps([rule], ensure_ascii=False))
            page.click("#source-submit")
            expect(dialog.locator("[name=rules]")).to_have_attribute("aria-invalid", "true")
            expect(dialog.locator(".field-error")).to_contain_text("条件的 fact 须为 registered")
            assert_fits(page, width, height, "#source-dialog")
            page.screenshot(path=str(ARTIFACTS / "phone-source-form.png"))
            rule["when"] = [{"fact": "amount", "op": ">=", "value": 300}]
            dialog.locator("[name=rules]").fill(json.dumps([rule], ensure_ascii=False))
            page.click("#source-submit")
            expect(dialog).to_be_hidden()
            expect(page.locator("#sources-table")).to_contain_text("县自来水公司")
            expect(page.locator("#sources-table")).to_contain_text("户名")
            assert_fits(page, width, height)
            assert errors == []
        finally:
            browser.close()
