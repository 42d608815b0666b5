"""
An operator opens a large customer's overview in a real browser and sees its intentions and the 30-day chart.

Headless Chromium (Debian's ``chromium`` package) driven by Playwright, as tests/test_admin_browser.py. The
screenshot is kept under ``test-artifacts/`` (git-ignored), or the directory named by ``TEST_ARTIFACTS``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from default_enrollments.admin.overview import overview_url
from tests.factories import StaffUserFactory
from tests.test_admin_browser import CHROMIUM, CHROMIUM_ARGS, allow_orm_beside_playwright  # noqa: F401
from tests.test_overview import INTENTIONS, LEARNERS, UNLINKED, build_customer, course_key, run_key

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS") or Path(__file__).resolve().parent.parent / "test-artifacts")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def test_staff_sees_the_customer_overview_with_its_chart(
    live_server, catalog_server, allow_orm_beside_playwright  # noqa: F811
):
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 (only the browser tests need it)

    customer = build_customer(catalog_server, learners=LEARNERS, intentions=INTENTIONS, unlinked=UNLINKED)
    staff = StaffUserFactory(username="operator")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "customer-overview.png"
    changelist = "/admin/default_enrollments/defaultenterpriseenrollmentintention/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(f"{live_server.url}/admin/login/?next={changelist}")
            page.fill("#id_username", staff.username)
            page.fill("#id_password", "password")
            page.click("input[type=submit]")
            page.wait_for_url(f"**{changelist}")

            page.locator("#result_list a", has_text="customer overview").first.click()
            page.wait_for_url(f"**{overview_url(customer.uuid)}")
            expect(page.locator("#overview-totals")).to_contain_text(f"{LEARNERS - UNLINKED} linked learners")
            table = page.locator("#overview-intentions")
            expect(table.locator("tbody tr")).to_have_count(INTENTIONS)
            expect(table).to_contain_text(course_key(0))
            expect(table).to_contain_text(run_key(0))
            chart = page.locator("#overview-chart")
            expect(chart).to_be_visible()
            expect(chart.locator("rect.bar")).to_have_count(30)
            box = chart.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
        finally:
            page.screenshot(path=str(screenshot), full_page=True)  # kept on failure too, to see what went wrong
            browser.close()

    assert screenshot.exists() and screenshot.stat().st_size > 0
