"""
An operator in a real browser: log in, add an intention, see the run it resolves to in the list.

Headless Chromium (Debian's ``chromium`` package) driven by Playwright against pytest-django's live
server and the loopback catalog.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from default_enrollments.models import DefaultEnterpriseEnrollmentIntention
from tests.catalog_server import course_run
from tests.factories import EnterpriseCustomerFactory, StaffUserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
ADVERTISED_RUN = "course-v1:edX+DemoX+Demo_Course"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_staff_adds_an_intention_and_sees_its_resolved_run(
    live_server, catalog_server, tmp_path, allow_orm_beside_playwright
):
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 (only the browser tests need it)

    catalog_server.add_course(
        "edX+DemoX",
        runs=[course_run("course-v1:edX+DemoX+1T2024", is_enrollable=False), course_run(ADVERTISED_RUN)],
        advertised=ADVERTISED_RUN,
    )
    customer = EnterpriseCustomerFactory(name="Acme Learning")
    catalog_uuid = catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    staff = StaffUserFactory(username="operator")
    screenshot = tmp_path / "intention-list.png"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 900})
            page.set_default_timeout(15_000)
            add_url = "/admin/default_enrollments/defaultenterpriseenrollmentintention/add/"

            page.goto(f"{live_server.url}/admin/login/?next={add_url}")
            page.fill("#id_username", staff.username)
            page.fill("#id_password", "password")
            page.click("input[type=submit]")
            page.wait_for_url(f"**{add_url}")

            # The customer field is an autocomplete box over the host's customer admin.
            page.click(".field-enterprise_customer .select2-selection")
            page.fill(".select2-search__field", "Acme")
            page.click(".select2-results__option:has-text('Acme Learning')")
            page.fill("#id_content_key", "edX+DemoX")
            page.click("input[name=_save]")

            page.wait_for_url("**/defaultenterpriseenrollmentintention/")
            results = page.locator("#result_list")
            expect(results).to_contain_text("edX+DemoX")
            expect(results).to_contain_text("Acme Learning")
            expect(results).to_contain_text(ADVERTISED_RUN)
            expect(results).to_contain_text("verified")
            page.screenshot(path=str(screenshot), full_page=True)

            # Its page shows what the catalog says, read live: the run, its mode and the catalogs holding it.
            results.get_by_role("link", name="edX+DemoX").click()
            catalog_fields = page.locator("fieldset", has_text="Catalog")
            expect(catalog_fields).to_contain_text(ADVERTISED_RUN)
            expect(catalog_fields).to_contain_text(catalog_uuid)
            page.screenshot(path=str(tmp_path / "intention-change.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    assert screenshot.exists() and screenshot.stat().st_size > 0
    intention = DefaultEnterpriseEnrollmentIntention.objects.get(enterprise_customer=customer)
    assert (intention.content_key, intention.content_type) == ("edX+DemoX", "course")
    if os.environ.get("KEEP_SCREENSHOTS"):  # a directory to copy the screenshots to, for a look by eye
        for taken in tmp_path.glob("*.png"):
            (Path(os.environ["KEEP_SCREENSHOTS"]) / taken.name).write_bytes(taken.read_bytes())
