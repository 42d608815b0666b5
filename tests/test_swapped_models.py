"""
A host with its own enterprise models: the three settings move every relation there.

Runs only under ``--ds=tests.settings_swapped`` (a separate pytest run in ``make test``).
"""
import pytest
from django.conf import settings

if "tests.alt_host" not in settings.INSTALLED_APPS:
    pytest.skip("runs under --ds=tests.settings_swapped", allow_module_level=True)

# The alternative host's models exist only when its app is installed, hence the imports after the check.
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from default_enrollments.contrib.reference_host import models as reference  # noqa: E402
from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: E402
from default_enrollments.models import (  # noqa: E402
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_model,
    get_enterprise_customer_user_model,
)
from tests.alt_host.models import MembershipCourseEnrollment, Organization, OrganizationMembership  # noqa: E402
from tests.factories import (  # noqa: E402
    DefaultEnterpriseEnrollmentIntentionFactory,
    DefaultEnterpriseEnrollmentRealizationFactory,
    EnterpriseCustomerUserFactory,
    UserFactory,
)


def test_accessors_return_the_hosts_models():
    assert get_enterprise_customer_model() is Organization
    assert get_enterprise_customer_user_model() is OrganizationMembership
    assert get_enterprise_course_enrollment_model() is MembershipCourseEnrollment


def test_bundled_enterprise_models_step_aside():
    assert reference.EnterpriseCustomer._meta.swapped == "alt_host.Organization"
    assert reference.EnterpriseCustomerUser._meta.swapped == "alt_host.OrganizationMembership"
    assert reference.EnterpriseCourseEnrollment._meta.swapped == "alt_host.MembershipCourseEnrollment"
    # The LMS-side enrollment is not an enterprise model and stays.
    assert CourseEnrollment._meta.swapped is None


@pytest.mark.django_db
def test_intention_belongs_to_the_hosts_customer():
    intention = DefaultEnterpriseEnrollmentIntentionFactory(content_key="edX+DemoX")
    intention.refresh_from_db()

    assert isinstance(intention.enterprise_customer, Organization)
    assert list(intention.enterprise_customer.default_enrollment_intentions.all()) == [intention]
    assert intention.content_type == "course"


@pytest.mark.django_db
def test_realization_points_at_the_hosts_enrollment():
    realization = DefaultEnterpriseEnrollmentRealizationFactory(
        realized_enrollment__course_id="course-v1:edX+DemoX+2T2024",
    )
    enrollment = MembershipCourseEnrollment.objects.get(course_id="course-v1:edX+DemoX+2T2024")

    assert realization.realized_enrollment == enrollment
    assert enrollment.default_enrollment_realization == realization
    customer = realization.intended_enrollment.enterprise_customer
    assert enrollment.enterprise_customer_user.enterprise_customer == customer
    assert realization.history.count() == 1


@pytest.mark.django_db
def test_deleting_the_hosts_customer_removes_its_intentions_and_realizations():
    realization = DefaultEnterpriseEnrollmentRealizationFactory()
    customer = realization.intended_enrollment.enterprise_customer

    customer.delete()

    assert not DefaultEnterpriseEnrollmentIntention.all_objects.exists()
    assert not DefaultEnterpriseEnrollmentRealization.objects.exists()


@pytest.mark.django_db
def test_lms_unenrollment_marks_the_hosts_enterprise_enrollment():
    user = UserFactory()
    link = EnterpriseCustomerUserFactory(user_id=user.id)
    enterprise_enrollment = MembershipCourseEnrollment.objects.create(
        enterprise_customer_user=link, course_id="course-v1:edX+DemoX+2T2024"
    )
    lms_enrollment = CourseEnrollment.objects.create(user=user, course_id="course-v1:edX+DemoX+2T2024")

    lms_enrollment.is_active = False
    lms_enrollment.save()

    enterprise_enrollment.refresh_from_db()
    assert enterprise_enrollment.unenrolled is True
    assert enterprise_enrollment.unenrolled_at is not None


@pytest.mark.django_db
def test_migrations_apply_and_create_only_the_hosts_tables():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []

    tables = set(connection.introspection.table_names())
    assert {
        Organization._meta.db_table,
        OrganizationMembership._meta.db_table,
        MembershipCourseEnrollment._meta.db_table,
        CourseEnrollment._meta.db_table,
    } <= tables
    assert not {
        reference.EnterpriseCustomer._meta.db_table,
        reference.EnterpriseCustomerUser._meta.db_table,
        reference.EnterpriseCourseEnrollment._meta.db_table,
    } & tables


@pytest.mark.django_db
def test_foreign_keys_in_the_database_reference_the_hosts_tables():
    with connection.cursor() as cursor:
        intention_fks = connection.introspection.get_relations(
            cursor, DefaultEnterpriseEnrollmentIntention._meta.db_table
        )
        realization_fks = connection.introspection.get_relations(
            cursor, DefaultEnterpriseEnrollmentRealization._meta.db_table
        )

    assert intention_fks["enterprise_customer_id"] == ("uuid", Organization._meta.db_table)
    assert realization_fks["realized_enrollment_id"] == ("id", MembershipCourseEnrollment._meta.db_table)


@pytest.mark.django_db
def test_migrations_match_the_swapped_models():
    """``makemigrations --check`` exits non-zero when a migration would hard-code the bundled models."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_intention_and_realization_models_are_the_apps_own_unless_both_settings_name_others(settings):
    from django.core.checks import run_checks  # noqa: PLC0415

    from default_enrollments.models import get_intention_model, get_realization_model  # noqa: PLC0415

    assert get_intention_model() is DefaultEnterpriseEnrollmentIntention
    assert get_realization_model() is DefaultEnterpriseEnrollmentRealization
    assert not [error for error in run_checks() if error.id == "default_enrollments.E006"]

    settings.DEFAULT_ENROLLMENTS_INTENTION_MODEL = "alt_host.Organization"  # one without the other

    (error,) = [error for error in run_checks() if error.id == "default_enrollments.E006"]
    assert "DEFAULT_ENROLLMENTS_REALIZATION_MODEL" in error.msg
    assert "alt_host.Organization" in error.msg


@pytest.mark.django_db
def test_a_host_without_source_or_fulfillment_models_gets_its_enrollments_completed_with_nothing(caplog):
    """Its enterprise enrollment has no ``source`` and it names no fulfillment model: nothing is added, no error."""
    from uuid import uuid4  # noqa: PLC0415

    from default_enrollments.fulfillment import (  # noqa: PLC0415
        complete_enterprise_enrollments,
        new_enterprise_enrollment_fields,
    )
    from default_enrollments.models import get_enrollment_source_model, get_licensed_enrollment_model  # noqa: PLC0415

    link = EnterpriseCustomerUserFactory(user_id=UserFactory().id)
    enrollment = MembershipCourseEnrollment.objects.create(enterprise_customer_user=link, course_id="course-v1:a+b+c")

    assert get_enrollment_source_model() is None
    assert get_licensed_enrollment_model() is None
    assert new_enterprise_enrollment_fields() == {}
    complete_enterprise_enrollments({enrollment.pk: uuid4()})

    assert "license not recorded" in caplog.text
    assert not reference.LicensedEnterpriseCourseEnrollment.objects.exists()
