"""
A host without the optional ``djangoql`` extra: the admin loads and its lists keep Django's plain search.

The admin module reads once, at import, whether djangoql is there, so the check runs in a fresh interpreter in
which ``import djangoql`` fails (as on a host that never installed the extra), under
``tests.settings_without_djangoql`` on an in-memory SQLite database and the static demo catalog.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("DB_ENGINE", "sqlite") != "sqlite",
    reason="runs its own in-memory SQLite host; the SQLite leg covers it",
)

HOST_SCRIPT = r"""
import json, sys
sys.modules["djangoql"] = None  # `import djangoql` raises ImportError, as where the extra is not installed

import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

setup_test_environment()
settings.DEFAULT_ENROLLMENTS = {
    "CATALOG_CLIENT": "default_enrollments.catalog.static.StaticCatalogClient",
    "CATALOG_FIXTURE": "default_enrollments/contrib/reference_host/fixtures/demo_catalog.json",
}
call_command("migrate", verbosity=0)

from default_enrollments.admin import common as our_admin
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory, EnterpriseCustomerFactory, StaffUserFactory,
)

acme = EnterpriseCustomerFactory(name="Acme Learning")
DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=acme, content_key="edX+DemoX")
DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+Other")
client = Client()
client.force_login(StaffUserFactory())
url = reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist")
searched = client.get(url, {"q": "Acme"})
add_page = client.get(reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_add"))
print(json.dumps({
    "djangoql_enabled": our_admin.DJANGOQL_ENABLED,
    "status": searched.status_code,
    "found": [row.content_key for row in searched.context["cl"].result_list],
    "page_mentions_djangoql": "djangoql" in searched.content.decode().lower(),
    "add_page_status": add_page.status_code,
}))
"""


def test_the_admin_keeps_a_plain_search_without_djangoql():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings_without_djangoql", "DB_ENGINE": "sqlite"}
    env.pop("SQLITE_PATH", None)
    result = subprocess.run(
        [sys.executable, "-c", HOST_SCRIPT],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["djangoql_enabled"] is False
    assert outcome["status"] == 200
    assert outcome["found"] == ["edX+DemoX"]  # Django's search over the customer's name
    assert outcome["page_mentions_djangoql"] is False
    assert outcome["add_page_status"] == 200
