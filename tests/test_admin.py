"""The operator's admin, driven through Django's test client as staff, against the loopback catalog."""
from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from default_enrollments.admin import DefaultEnrollmentIntentionInline, attach_intentions_inline
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, get_enterprise_customer_model
from tests.catalog_server import course_run
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    DefaultEnterpriseEnrollmentRealizationFactory,
    EnterpriseCourseEnrollmentFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Intention = DefaultEnterpriseEnrollmentIntention
ADVERTISED_RUN = "course-v1:edX+DemoX+Demo_Course"
ARCHIVED_RUN = "course-v1:edX+DemoX+1T2024"


def intention_url(name: str, *args) -> str:
    if name == "restore":  # a django-object-actions change action
        (pk,) = args
        return reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_actions",
                       kwargs={"pk": pk, "tool": "restore"})
    return reverse(f"admin:default_enrollments_defaultenterpriseenrollmentintention_{name}", args=args)


def realization_url(name: str, *args) -> str:
    return reverse(f"admin:default_enrollments_defaultenterpriseenrollmentrealization_{name}", args=args)


@pytest.fixture
def catalog(catalog_server):
    catalog_server.add_course(
        "edX+DemoX",
        runs=[
            course_run(ARCHIVED_RUN, is_enrollable=False, availability="Archived"),
            course_run(ADVERTISED_RUN, seats=("audit", "verified")),
        ],
        advertised=ADVERTISED_RUN,
    )
    return catalog_server


@pytest.fixture
def customer(catalog):
    customer = EnterpriseCustomerFactory(name="Acme Learning")
    catalog.add_catalog(customer.uuid, ["edX+DemoX"], catalog_uuid="11111111-2222-3333-4444-555555555555")
    return customer


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory())
    return client


def admin_change_url(instance) -> str:
    """The host model's admin page, wherever the host's app registers it."""
    opts = instance._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])


def cold_cache() -> None:
    for cache in caches.all():
        cache.clear()


# --- list -------------------------------------------------------------------------------------------


def test_list_shows_each_intention_with_its_resolved_run_mode_and_realized_count(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentRealizationFactory.create_batch(2, intended_enrollment=intention)

    response = staff_client.get(intention_url("changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "edX+DemoX" in page
    assert "Acme Learning" in page
    assert ADVERTISED_RUN in page
    assert ">verified<" in page
    assert f'?intended_enrollment__uuid__exact={intention.pk}">2</a>' in page


def test_list_says_why_an_intention_does_not_resolve(staff_client, customer):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+GoneX")

    page = staff_client.get(intention_url("changelist")).content.decode()

    assert "not resolved: unknown content" in page


def test_list_still_renders_with_a_warning_when_the_catalog_is_down(staff_client, customer, catalog):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    catalog.fail_with(503)

    response = staff_client.get(intention_url("changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "edX+DemoX" in page
    assert "could not be reached" in page


def test_list_shows_removed_intentions_and_filters_on_removed(staff_client, customer):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+OldX")
    removed.delete()

    everything = staff_client.get(intention_url("changelist")).context["cl"].result_list
    only_removed = staff_client.get(intention_url("changelist"), {"is_removed__exact": "1"}).context["cl"].result_list

    assert {row.content_key for row in everything} == {"edX+DemoX", "edX+OldX"}
    assert [row.content_key for row in only_removed] == ["edX+OldX"]


def test_list_filters_on_type_and_customer(staff_client, customer):
    other = EnterpriseCustomerFactory()
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=ADVERTISED_RUN)
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=other, content_key="edX+DemoX")

    runs = staff_client.get(intention_url("changelist"), {"content_type__exact": "course_run"}).context["cl"]
    mine = staff_client.get(intention_url("changelist"), {"enterprise_customer__uuid__exact": str(customer.uuid)})

    assert [row.content_key for row in runs.result_list] == [ADVERTISED_RUN]
    assert {row.enterprise_customer_id for row in mine.context["cl"].result_list} == {customer.uuid}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Acme", {"edX+DemoX", ADVERTISED_RUN}),
        ("DemoX", {"edX+DemoX", ADVERTISED_RUN}),
        ("edX+E2E", {"edX+E2E-101"}),
        # a run key finds the run intention and the course intention of its course
        (ADVERTISED_RUN, {"edX+DemoX", ADVERTISED_RUN}),
        ("course-v1:edX+E2E-101+1T2030", {"edX+E2E-101"}),
    ],
)
def test_search_by_customer_name_content_key_and_run_key(staff_client, customer, term, expected):
    other = EnterpriseCustomerFactory(name="Globex")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=ADVERTISED_RUN)
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=other, content_key="edX+E2E-101")

    result = staff_client.get(intention_url("changelist"), {"q": term}).context["cl"].result_list

    assert {row.content_key for row in result} == expected


def test_search_by_customer_uuid(staff_client, customer):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+Other")

    result = staff_client.get(intention_url("changelist"), {"q": str(customer.uuid)}).context["cl"].result_list

    assert [row.content_key for row in result] == ["edX+DemoX"]


def test_djangoql_search_on_the_intention_list(staff_client, customer):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=ADVERTISED_RUN)

    response = staff_client.get(intention_url("changelist"), {"q": 'content_type = "course_run"', "q-l": "on"})

    assert [row.content_key for row in response.context["cl"].result_list] == [ADVERTISED_RUN]


def test_list_page_cost_does_not_grow_with_the_number_of_intentions(staff_client, catalog):
    """One page of 1 or 20 intentions: the same queries and one catalog batch, not one call per row."""
    customers = [EnterpriseCustomerFactory() for _ in range(4)]
    for customer in customers:
        catalog.add_catalog(customer.uuid, ["edX+DemoX"])
    first = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customers[0], content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentRealizationFactory(intended_enrollment=first)

    def measure() -> tuple[int, int]:
        cold_cache()
        catalog.reset_counts()
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(intention_url("changelist"))
        assert response.status_code == 200
        return len(queries), catalog.catalog_requests

    staff_client.get(intention_url("changelist"))  # session, content types and other one-off warm-ups
    queries_for_one, catalog_requests_for_one = measure()

    for number in range(19):
        intention = DefaultEnterpriseEnrollmentIntentionFactory(
            enterprise_customer=customers[number % 4], content_key=f"edX+Course{number}"
        )
        DefaultEnterpriseEnrollmentRealizationFactory(intended_enrollment=intention)
    assert Intention.objects.count() == 20
    queries_for_twenty, catalog_requests_for_twenty = measure()

    assert queries_for_twenty == queries_for_one
    assert catalog_requests_for_one <= 3
    assert catalog_requests_for_twenty <= 3


# --- change form and history ------------------------------------------------------------------------


def test_change_form_shows_resolution_enrollability_mode_and_applicable_catalogs(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")

    response = staff_client.get(intention_url("change", intention.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert ADVERTISED_RUN in page
    assert "verified" in page
    assert "11111111-2222-3333-4444-555555555555" in page
    assert 'alt="True"' in page  # the enrollable icon
    assert 'name="content_key"' in page
    assert 'name="content_type"' not in page  # derived, never typed in


def test_change_form_explains_a_run_that_is_not_enrollable(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=ARCHIVED_RUN)

    page = staff_client.get(intention_url("change", intention.pk)).content.decode()

    assert "not open for enrollment" in page


def test_changing_the_key_rederives_the_type_and_is_recorded_in_history(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")

    response = staff_client.post(
        intention_url("change", intention.pk),
        {"enterprise_customer": str(customer.uuid), "content_key": ADVERTISED_RUN},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    intention.refresh_from_db()
    assert (intention.content_key, intention.content_type) == (ADVERTISED_RUN, "course_run")

    history = staff_client.get(intention_url("history", intention.pk))
    assert history.status_code == 200
    page = history.content.decode()
    assert ADVERTISED_RUN in page
    assert "edX+DemoX" in page  # the earlier value, shown in the change list of the history
    assert intention.history.count() == 2


# --- add --------------------------------------------------------------------------------------------


def test_add_with_a_valid_course_key_creates_the_intention(staff_client, customer):
    response = staff_client.post(
        intention_url("add"), {"enterprise_customer": str(customer.uuid), "content_key": "  edX+DemoX "}
    )

    assert response.status_code == 302
    intention = Intention.objects.get(enterprise_customer=customer)
    assert (intention.content_key, intention.content_type) == ("edX+DemoX", "course")
    assert intention.history.count() == 1


def test_add_with_a_malformed_key_shows_why_and_creates_nothing(staff_client, customer):
    response = staff_client.post(
        intention_url("add"), {"enterprise_customer": str(customer.uuid), "content_key": "not a key"}
    )

    assert response.status_code == 200
    assert "neither a course key" in response.content.decode()
    assert Intention.all_objects.count() == 0


def test_add_with_a_key_the_catalog_does_not_know_names_the_problem(staff_client, customer):
    response = staff_client.post(
        intention_url("add"), {"enterprise_customer": str(customer.uuid), "content_key": "edX+NoSuchX"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["content_key"]
    assert any("edX+NoSuchX" in error for error in errors), errors
    assert Intention.all_objects.count() == 0


def test_add_of_a_removed_twin_links_to_the_row_to_restore(staff_client, customer):
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    removed.delete()

    response = staff_client.post(
        intention_url("add"), {"enterprise_customer": str(customer.uuid), "content_key": "edX+DemoX"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="{intention_url("change", removed.pk)}">{removed.pk}</a>' in page  # a link, not escaped text
    assert "Restore it instead" in page
    assert Intention.all_objects.count() == 1


# --- soft delete and restore ------------------------------------------------------------------------


def test_delete_confirmation_says_it_is_a_soft_delete_and_lists_nothing_else(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    DefaultEnterpriseEnrollmentRealizationFactory(intended_enrollment=intention)

    page = staff_client.get(intention_url("delete", intention.pk)).content.decode()

    assert "can be restored" in page
    assert "realization" not in page.split('id="deleted-objects"')[1].split("</ul>")[0]


def test_delete_is_a_soft_delete_that_keeps_realizations(staff_client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    realization = DefaultEnterpriseEnrollmentRealizationFactory(intended_enrollment=intention)

    response = staff_client.post(intention_url("delete", intention.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Intention.objects.filter(pk=intention.pk).exists()
    assert Intention.all_objects.get(pk=intention.pk).is_removed
    assert realization.__class__.objects.filter(pk=realization.pk).exists()
    assert type(realization.realized_enrollment).objects.filter(pk=realization.realized_enrollment_id).exists()


def test_bulk_delete_action_is_a_soft_delete(staff_client, customer):
    intentions = [
        DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=key)
        for key in ("edX+DemoX", "edX+OtherX")
    ]

    response = staff_client.post(
        intention_url("changelist"),
        {"action": "delete_selected", "_selected_action": [str(i.pk) for i in intentions], "post": "yes"},
    )

    assert response.status_code == 302
    assert Intention.objects.count() == 0
    assert Intention.all_objects.filter(is_removed=True).count() == 2
    assert all(i.history.latest().is_removed for i in intentions)


def test_restore_action_brings_removed_intentions_back(staff_client, customer):
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    removed.delete()
    live = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+OtherX")

    response = staff_client.post(
        intention_url("changelist"),
        {"action": "restore_selected", "_selected_action": [str(removed.pk), str(live.pk)]},
        follow=True,
    )

    assert "Restored 1 intention" in response.content.decode()
    assert Intention.objects.count() == 2
    assert [record.is_removed for record in removed.history.order_by("history_date")] == [False, True, False]


def test_a_removed_intentions_page_offers_restore_and_restoring_works(staff_client, customer):
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    removed.delete()

    page = staff_client.get(intention_url("change", removed.pk)).content.decode()
    assert "This intention is removed" in page
    assert intention_url("restore", removed.pk) in page

    assert staff_client.get(intention_url("restore", removed.pk)).status_code == 405
    response = staff_client.post(intention_url("restore", removed.pk))

    assert response.status_code == 302
    assert response.url == intention_url("change", removed.pk)
    assert not Intention.all_objects.get(pk=removed.pk).is_removed


# --- who may use it ---------------------------------------------------------------------------------


def test_a_learner_is_refused(client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    client.force_login(UserFactory())

    for url in (intention_url("changelist"), intention_url("change", intention.pk), realization_url("changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response.url
    response = client.post(intention_url("restore", intention.pk))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_staff_without_permissions_is_refused(client, customer):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    intention.delete()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(intention_url("changelist")).status_code == 403
    assert client.post(intention_url("restore", intention.pk)).status_code == 403
    assert Intention.all_objects.get(pk=intention.pk).is_removed


# --- realizations -----------------------------------------------------------------------------------


@pytest.fixture
def realization(customer):
    learner = UserFactory(username="ada", email="ada@example.com")
    link = EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=learner.id)
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    enrollment = EnterpriseCourseEnrollmentFactory(enterprise_customer_user=link, course_id=ADVERTISED_RUN)
    return DefaultEnterpriseEnrollmentRealizationFactory(intended_enrollment=intention, realized_enrollment=enrollment)


def test_realization_list_links_the_intention_and_the_enrollment_and_names_the_learner(staff_client, realization):
    page = staff_client.get(realization_url("changelist")).content.decode()

    assert intention_url("change", realization.intended_enrollment_id) in page
    enrollment_url = admin_change_url(realization.realized_enrollment)
    assert enrollment_url in page
    assert "ada" in page
    assert ADVERTISED_RUN in page


def test_realizations_are_read_only(staff_client, realization):
    change_page = staff_client.get(realization_url("change", realization.pk))

    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert staff_client.get(realization_url("add")).status_code == 403
    assert staff_client.post(realization_url("delete", realization.pk), {"post": "yes"}).status_code == 403
    assert realization.__class__.objects.filter(pk=realization.pk).exists()


@pytest.mark.parametrize("term", ["ada", "ada@example.com", "by-id", ADVERTISED_RUN, "Demo_Course"])
def test_realizations_are_searchable_by_learner_and_run(staff_client, realization, term):
    other_learner = UserFactory(username="bob")
    other_link = EnterpriseCustomerUserFactory(
        enterprise_customer=realization.intended_enrollment.enterprise_customer, user_id=other_learner.id
    )
    DefaultEnterpriseEnrollmentRealizationFactory(
        intended_enrollment=DefaultEnterpriseEnrollmentIntentionFactory(
            enterprise_customer=realization.intended_enrollment.enterprise_customer, content_key="edX+E2E-101"
        ),
        realized_enrollment=EnterpriseCourseEnrollmentFactory(
            enterprise_customer_user=other_link, course_id="course-v1:edX+E2E-101+1T2030"
        ),
    )
    if term == "by-id":
        term = str(realization.realized_enrollment.enterprise_customer_user.user_id)

    result = staff_client.get(realization_url("changelist"), {"q": term}).context["cl"].result_list

    assert [row.pk for row in result] == [realization.pk]


def test_realization_list_queries_do_not_grow_with_rows(staff_client, realization):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(realization_url("changelist")).status_code == 200
        return len(queries)

    staff_client.get(realization_url("changelist"))
    for_one = measure()
    DefaultEnterpriseEnrollmentRealizationFactory.create_batch(
        9, intended_enrollment=realization.intended_enrollment
    )
    assert measure() == for_one


# --- inline on the host's customer admin ------------------------------------------------------------


def test_customer_admin_shows_the_live_intentions_inline_without_catalog_calls(staff_client, customer, catalog):
    if get_enterprise_customer_model()._meta.app_label == "enterprise":
        pytest.skip(
            "edx-enterprise's customer page renders its own intentions inline through the LMS's catalog client, "
            "which does not exist outside an LMS; the attachment itself is checked by the next test"
        )
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+GoneX")
    removed.delete()
    catalog.reset_counts()

    response = staff_client.get(admin_change_url(customer))

    assert response.status_code == 200
    page = response.content.decode()
    assert "default enrollment intentions" in page.lower()
    assert 'value="edX+DemoX"' in page
    assert "edX+GoneX" not in page
    assert catalog.catalog_requests == 0


def test_the_inline_is_attached_once_to_the_registered_customer_admin():
    from django.contrib import admin  # noqa: PLC0415

    assert attach_intentions_inline() is True
    assert attach_intentions_inline() is True
    customer_admin = admin.site._registry[get_enterprise_customer_model()]
    assert customer_admin.inlines.count(DefaultEnrollmentIntentionInline) == 1


def test_the_realized_count_links_to_that_intentions_realizations(staff_client, realization):
    other = DefaultEnterpriseEnrollmentRealizationFactory()

    url = f"{realization_url('changelist')}?intended_enrollment__uuid__exact={realization.intended_enrollment_id}"
    response = staff_client.get(url)

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [realization.pk]
    assert other.pk != realization.pk


def test_deleting_in_the_customer_inline_is_a_soft_delete(staff_client, customer):
    if get_enterprise_customer_model()._meta.app_label == "enterprise":
        pytest.skip("edx-enterprise's customer page needs a running LMS (see above)")
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    prefix = Intention._meta.get_field("enterprise_customer").remote_field.get_accessor_name()  # the formset prefix

    response = staff_client.post(
        admin_change_url(customer),
        {
            "name": customer.name,
            "slug": customer.slug,
            "active": "on",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-uuid": str(intention.pk),
            f"{prefix}-0-enterprise_customer": str(customer.pk),
            f"{prefix}-0-content_key": "edX+DemoX",
            f"{prefix}-0-DELETE": "on",
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert Intention.all_objects.get(pk=intention.pk).is_removed


# --- what an operator types: ids, search terms, a customer change ----------------------------------


@pytest.mark.parametrize("name", ["change", "delete", "history", "restore"])
@pytest.mark.parametrize("object_id", ["not-a-uuid", "1", "%C2%B2"])
def test_an_intention_url_with_an_id_that_is_not_a_uuid_is_not_found(staff_client, customer, name, object_id):
    url = intention_url(name, "PLACEHOLDER").replace("PLACEHOLDER", object_id)

    response = staff_client.post(url) if name == "restore" else staff_client.get(url)

    if name in ("change", "delete"):  # Django's own answer for a missing row: back to the index, with a message
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("object_id", ["not-a-uuid", "%C2%B2"])
def test_an_intention_history_version_url_with_an_id_that_is_not_a_uuid_is_not_found(
    staff_client, customer, object_id
):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    version = intention.history.get().history_id
    url = intention_url("simple_history", intention.pk, version)

    assert staff_client.get(url.replace(str(intention.pk), object_id)).status_code == 404
    assert staff_client.get(url.replace(f"/{version}/", "/not-a-number/")).status_code == 404


@pytest.mark.parametrize("name", ["change", "delete", "history"])
@pytest.mark.parametrize("object_id", ["not-a-number", "%C2%B2", "9" * 30])
def test_a_realization_url_with_an_id_that_is_not_a_row_id_is_not_found(staff_client, realization, name, object_id):
    url = realization_url(name, 12345).replace("/12345/", f"/{object_id}/")

    response = staff_client.get(url)

    if name == "delete":  # read-only: refused before any lookup
        assert response.status_code == 403
    else:
        assert response.status_code == (302 if name == "change" else 404)


@pytest.mark.parametrize("term", ["²", "٣", "①", "9" * 30, "-1"])
def test_a_realization_search_for_digits_no_user_id_can_have_finds_nothing(staff_client, realization, term):
    response = staff_client.get(realization_url("changelist"), {"q": term})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_an_intention_with_realizations_cannot_be_moved_to_another_customer(staff_client, realization, catalog):
    intention = realization.intended_enrollment
    other = EnterpriseCustomerFactory(name="Other Learning")
    catalog.add_catalog(other.uuid, ["edX+DemoX"])

    response = staff_client.post(
        intention_url("change", intention.pk), {"enterprise_customer": str(other.uuid), "content_key": "edX+DemoX"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["enterprise_customer"]
    assert "realizations" in errors["enterprise_customer"][0]
    intention.refresh_from_db()
    assert intention.enterprise_customer_id == realization.intended_enrollment.enterprise_customer_id
    assert intention.history.count() == 1


def test_an_intention_without_realizations_may_move_to_another_customer(staff_client, customer, catalog):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    other = EnterpriseCustomerFactory(name="Other Learning")
    catalog.add_catalog(other.uuid, ["edX+DemoX"])

    response = staff_client.post(
        intention_url("change", intention.pk), {"enterprise_customer": str(other.uuid), "content_key": "edX+DemoX"}
    )

    assert response.status_code == 302
    intention.refresh_from_db()
    assert intention.enterprise_customer_id == other.uuid


@pytest.mark.parametrize("key", ["not a key", "course-v1:edX+DemoX", "", "   ", "edX+" + "D" * 300])
def test_a_bad_key_gets_exactly_one_error_on_add(staff_client, customer, key):
    response = staff_client.post(intention_url("add"), {"enterprise_customer": str(customer.uuid), "content_key": key})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["content_key"]
    assert len(errors["content_key"]) == 1, errors["content_key"]
    assert Intention.all_objects.count() == 0


@pytest.mark.parametrize("key", ["not a key", "", "edX+" + "D" * 300])
def test_a_bad_key_gets_exactly_one_error_on_change(staff_client, customer, key):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")

    response = staff_client.post(
        intention_url("change", intention.pk), {"enterprise_customer": str(customer.uuid), "content_key": key}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["content_key"]
    assert len(errors["content_key"]) == 1, errors["content_key"]
    intention.refresh_from_db()
    assert intention.content_key == "edX+DemoX"


@pytest.mark.parametrize("customer_value", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_customer_gets_exactly_one_error_and_none_on_the_key(staff_client, customer, customer_value):
    response = staff_client.post(
        intention_url("add"), {"enterprise_customer": customer_value, "content_key": "edX+DemoX"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["enterprise_customer"]
    assert len(errors["enterprise_customer"]) == 1, errors["enterprise_customer"]
    assert Intention.all_objects.count() == 0
