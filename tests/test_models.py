"""The two models: derived type, key validation, uniqueness across removed rows, soft delete with history."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from default_enrollments.models import DefaultEnterpriseEnrollmentIntention
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    DefaultEnterpriseEnrollmentRealizationFactory,
    EnterpriseCustomerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("edX+DemoX", "course"),
        ("course-v1:edX+DemoX+Demo_Course", "course_run"),
        ("edX/DemoX/Demo_Course", "course_run"),
        ("  edX+DemoX  ", "course"),
    ],
)
def test_content_type_is_derived_from_the_key(key, expected):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key=key)
    intention.refresh_from_db()
    assert intention.content_type == expected
    assert intention.content_key == key.strip()


def test_content_type_follows_a_changed_key():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    intention.content_key = "course-v1:edX+DemoX+Demo_Course"
    intention.save()
    assert DefaultEnterpriseEnrollmentIntention.objects.get(pk=intention.pk).content_type == "course_run"


@pytest.mark.parametrize("key", ["not a key", "course-v1:edX+DemoX", "edX", "a+b+c+d e"])
def test_malformed_key_is_rejected_by_full_clean_with_a_clear_message(key):
    intention = DefaultEnterpriseEnrollmentIntention(enterprise_customer=EnterpriseCustomerFactory(), content_key=key)
    with pytest.raises(ValidationError) as excinfo:
        intention.full_clean()
    message = " ".join(excinfo.value.message_dict["content_key"])
    assert "neither a course key" in message
    assert DefaultEnterpriseEnrollmentIntention.all_objects.count() == 0


def test_unique_constraint_holds_across_soft_deleted_rows():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    intention.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=intention.enterprise_customer, content_key="edX+DemoX"
        )


def test_case_variant_of_a_key_is_refused_by_the_database():
    """``EDX+DEMOX`` is the same course as ``edX+DemoX``: a second row would enroll the learners twice over."""
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    with pytest.raises(IntegrityError), transaction.atomic():
        DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=intention.enterprise_customer, content_key="EDX+DEMOX"
        )
    assert DefaultEnterpriseEnrollmentIntention.all_objects.count() == 1


def test_case_variant_of_a_removed_key_is_refused_by_the_database():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="course-v1:edX+DemoX+2T2024")
    intention.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=intention.enterprise_customer, content_key="course-v1:EDX+demox+2t2024"
        )


@pytest.mark.parametrize("key", ["edX+DemoX", "EDX+DEMOX", "edx+demox"])
def test_live_twin_in_any_case_gives_a_clear_error_before_the_catalog_is_asked(key, catalog_server):
    existing = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    twin = DefaultEnterpriseEnrollmentIntention(enterprise_customer=existing.enterprise_customer, content_key=key)

    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()

    assert list(excinfo.value.message_dict) == ["content_key"]  # one error, on the field the operator typed
    [message] = excinfo.value.message_dict["content_key"]
    assert message.startswith("An intention for edX+DemoX already exists for this customer (")
    change_url = f"/admin/default_enrollments/defaultenterpriseenrollmentintention/{existing.pk}/change/"
    assert f'<a href="{change_url}">' in message
    assert ("Keys that differ only in letter case name the same course." in message) == (key != "edX+DemoX")
    assert catalog_server.catalog_requests == 0
    assert DefaultEnterpriseEnrollmentIntention.all_objects.count() == 1


def test_removed_twin_in_another_case_gives_the_row_to_restore():
    removed = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    removed.delete()
    customer = removed.enterprise_customer
    twin = DefaultEnterpriseEnrollmentIntention(enterprise_customer=customer, content_key="EDX+demoX")

    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()

    message = excinfo.value.message_dict["content_key"][0]
    assert "A removed intention for edX+DemoX already exists" in message
    assert f"/admin/default_enrollments/defaultenterpriseenrollmentintention/{removed.pk}/change/" in message


def test_changing_only_the_case_of_its_own_key_is_not_a_twin(catalog_server):
    catalog_server.add_course("edX+DemoX")
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edx+demox")
    intention.content_key = "edX+DemoX"

    intention.full_clean()
    intention.save()

    assert DefaultEnterpriseEnrollmentIntention.objects.get().content_key == "edX+DemoX"


def test_same_key_is_allowed_for_another_customer():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    other = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    assert other.enterprise_customer_id != intention.enterprise_customer_id


def test_soft_delete_hides_the_row_and_restore_brings_it_back_with_history():
    intention = DefaultEnterpriseEnrollmentIntentionFactory()
    intention.delete()
    assert not DefaultEnterpriseEnrollmentIntention.objects.filter(pk=intention.pk).exists()
    assert DefaultEnterpriseEnrollmentIntention.all_objects.get(pk=intention.pk).is_removed

    intention.is_removed = False
    intention.save()
    assert DefaultEnterpriseEnrollmentIntention.objects.filter(pk=intention.pk).exists()
    removed_flags = [record.is_removed for record in intention.history.order_by("history_date", "history_id")]
    assert removed_flags == [False, True, False]


def test_soft_deleted_twin_gives_an_error_that_links_the_row_to_restore():
    removed = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    removed.delete()
    twin = DefaultEnterpriseEnrollmentIntention(
        enterprise_customer=removed.enterprise_customer, content_key="edX+DemoX"
    )
    with pytest.raises(ValidationError) as excinfo:
        twin.clean()
    message = excinfo.value.message_dict["content_key"][0]
    assert "Restore it" in message
    assert f"/admin/default_enrollments/defaultenterpriseenrollmentintention/{removed.pk}/change/" in message


def test_save_never_needs_the_catalog_so_a_vanished_course_can_be_removed(settings):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_API_URL": "http://127.0.0.1:9/api/v1/"}
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+GoneX")
    intention.delete()
    assert DefaultEnterpriseEnrollmentIntention.all_objects.get(pk=intention.pk).is_removed


def test_str_names_the_key_and_the_removed_state():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    assert "edX+DemoX" in str(intention)
    intention.delete()
    assert "(removed)" in str(intention)


def test_clean_refuses_to_move_an_intention_with_realizations_to_another_customer():
    intention = DefaultEnterpriseEnrollmentRealizationFactory().intended_enrollment
    intention.enterprise_customer = EnterpriseCustomerFactory()

    with pytest.raises(ValidationError) as excinfo:
        intention.clean()

    assert list(excinfo.value.message_dict) == ["enterprise_customer"]
    assert "cannot move" in excinfo.value.message_dict["enterprise_customer"][0]


@pytest.mark.parametrize("key", ["", None])
def test_an_empty_key_is_reported_once_by_its_field(key):
    intention = DefaultEnterpriseEnrollmentIntention(enterprise_customer=EnterpriseCustomerFactory(), content_key=key)

    with pytest.raises(ValidationError) as excinfo:
        intention.full_clean()

    assert len(excinfo.value.message_dict["content_key"]) == 1, excinfo.value.message_dict
