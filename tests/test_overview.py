"""
The customer overview page: per intention its resolved run, realized count and share of linked learners, and the
realizations of the last 30 days as a chart drawn on the server, in a bounded number of queries.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from default_enrollments.admin.overview import overview_url, realizations_per_day
from default_enrollments.models import (
    BackfillRun,
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
)
from tests.factories import EnterpriseCustomerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

LEARNERS, INTENTIONS, UNLINKED = 1000, 20, 100
MAX_QUERIES = 10  # session, user, customer, linked learners, intentions with counts, chart, runs, their starters


def course_key(index: int) -> str:
    return f"edX+Course{index:02d}"


def run_key(index: int) -> str:
    return f"course-v1:edX+Course{index:02d}+1T2030"


def build_customer(catalog_server, *, learners: int, intentions: int, unlinked: int = 0, name: str = "Acme"):
    """
    A customer with ``learners`` linked learners (the last ``unlinked`` of them unlinked since) and ``intentions``
    course intentions; learner ``i`` was enrolled by intention ``i % intentions``, ``i % 30`` days ago.
    Written with bulk_create, as a large customer's rows would be there already.
    """
    customer = EnterpriseCustomerFactory(name=name)
    for index in range(intentions):
        catalog_server.add_course(course_key(index))
    catalog_server.add_catalog(customer.uuid, [course_key(index) for index in range(intentions)])
    User = get_user_model()
    prefix = f"{name.lower()}-learner"
    User.objects.bulk_create(User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(learners))
    users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
    Link = get_enterprise_customer_user_model()
    Link.objects.bulk_create(
        Link(enterprise_customer=customer, user_id=user.id, linked=index < learners - unlinked)
        for index, user in enumerate(users)
    )
    # Re-read (MySQL returns no new keys) through the base manager (edx-enterprise's default one hides unlinked rows).
    links = list(Link._base_manager.filter(enterprise_customer=customer).order_by("id"))
    rows = DefaultEnterpriseEnrollmentIntention.objects.bulk_create(
        DefaultEnterpriseEnrollmentIntention(
            enterprise_customer=customer, content_key=course_key(index), content_type="course"
        )
        for index in range(intentions)
    )
    Enrollment = get_enterprise_course_enrollment_model()
    Enrollment.objects.bulk_create(
        Enrollment(enterprise_customer_user=link, course_id=run_key(index % intentions))
        for index, link in enumerate(links)
    )
    enrollments = list(
        Enrollment._base_manager.filter(enterprise_customer_user__enterprise_customer=customer).order_by("id")
    )
    now = timezone.now()
    DefaultEnterpriseEnrollmentRealization.objects.bulk_create(
        DefaultEnterpriseEnrollmentRealization(
            intended_enrollment=rows[index % intentions],
            realized_enrollment=enrollment,
            created=now - timedelta(days=index % 30),
            modified=now,
        )
        for index, enrollment in enumerate(enrollments)
    )
    return customer


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory())
    return client


def row_of(html: str, content_key: str) -> str:
    match = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{re.escape(content_key)}</a>.*?</tr>", html, re.S)
    assert match, f"no row for {content_key}"
    return match.group(0)


def cell(row: str, css_class: str) -> str:
    return re.search(rf'<td class="{css_class}">(.*?)</td>', row, re.S).group(1).replace("&nbsp;", " ").strip()


def test_overview_of_a_large_customer_is_read_in_a_bounded_number_of_queries(
    staff_client, catalog_server, django_assert_max_num_queries
):
    customer = build_customer(catalog_server, learners=LEARNERS, intentions=INTENTIONS, unlinked=UNLINKED)
    build_customer(catalog_server, learners=30, intentions=2, name="Other")
    starter = StaffUserFactory()
    BackfillRun.objects.bulk_create(
        BackfillRun(enterprise_customer_uuid=customer.uuid, started_by_id=starter.pk, reasons={"unenrolled": 3},
                    status=BackfillRun.Status.SUCCEEDED, finished_at=timezone.now())
        for _ in range(8)
    )

    with django_assert_max_num_queries(MAX_QUERIES):
        response = staff_client.get(overview_url(customer.uuid))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{LEARNERS - UNLINKED} linked learners" in html
    assert f"{INTENTIONS} live intentions" in html
    # 1,000 realizations over 20 intentions: 50 each; learners 900-999 (unlinked) were enrolled by 0..19, 5 each.
    first = row_of(html, course_key(0))
    assert run_key(0) in first
    assert cell(first, "realized") == "50"
    assert cell(first, "share") == f"{round(100 * 45 / (LEARNERS - UNLINKED), 1)} %"
    assert cell(first, "not-enrolled") == str(LEARNERS - UNLINKED - 45)
    assert "Other" not in html
    assert html.count(f"<td>{starter.username}</td>") == 5, "the five latest runs, with who started them"
    bars = re.findall(r'data-count="(\d+)"', html)
    assert len(bars) == 30
    assert sum(int(count) for count in bars) == LEARNERS


def test_chart_counts_each_of_the_last_30_days_and_nothing_older(catalog_server):
    customer = build_customer(catalog_server, learners=60, intentions=3)
    realization = DefaultEnterpriseEnrollmentRealization.objects.filter(
        intended_enrollment__enterprise_customer=customer
    ).latest("created")
    DefaultEnterpriseEnrollmentRealization.objects.filter(pk=realization.pk).update(
        created=timezone.now() - timedelta(days=45)
    )

    per_day = realizations_per_day(customer.uuid)

    assert len(per_day) == 30
    assert [count for _, count in per_day] == [2] * 29 + [1]  # two learners per day; today lost one to day -45
    assert per_day[-1][0].date() == timezone.localdate()


def test_overview_names_an_unresolved_intention_and_an_empty_customer(staff_client, catalog_server):
    customer = EnterpriseCustomerFactory(name="Quiet")
    DefaultEnterpriseEnrollmentIntention.objects.create(enterprise_customer=customer, content_key="edX+Gone")

    html = staff_client.get(overview_url(customer.uuid)).content.decode()

    row = row_of(html, "edX+Gone")
    assert "not resolved" in row
    assert "0 linked learners" in html
    assert sum(int(count) for count in re.findall(r'data-count="(\d+)"', html)) == 0
    assert "not to the database" in html  # skip reasons are not stored: the page says where they are


def test_overview_of_an_unknown_customer_is_404(staff_client):
    assert staff_client.get(overview_url("00000000-0000-0000-0000-000000000000")).status_code == 404


def test_overview_is_refused_to_staff_without_the_view_permission(client, catalog_server):
    customer = EnterpriseCustomerFactory()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(overview_url(customer.uuid)).status_code == 403


def test_intentions_list_and_customer_page_link_to_the_overview(staff_client, catalog_server, settings):
    customer = EnterpriseCustomerFactory(name="Linked")
    catalog_server.add_course("edX+DemoX")
    DefaultEnterpriseEnrollmentIntention.objects.create(enterprise_customer=customer, content_key="edX+DemoX")
    url = overview_url(customer.uuid)

    changelist = staff_client.get(reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"))
    opts = customer._meta
    customer_page = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[customer.pk]))

    assert url in changelist.content.decode()
    assert url in customer_page.content.decode()
