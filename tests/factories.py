"""factory-boy factories for every model the tests touch, through the swappable accessors."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_model,
    get_enterprise_customer_user_model,
)


def _has_field(model, name: str) -> bool:
    """Whether the host's model has a field: the same factories serve the reference host and edx-enterprise."""
    return any(f.name == name for f in model._meta.get_fields())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805 (factory-boy's signature)
        if create:
            obj.save(update_fields=["password"])


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    is_superuser = True


class EnterpriseCustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_enterprise_customer_model()

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    active = True


class EnterpriseCustomerUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_enterprise_customer_user_model()

    enterprise_customer = factory.SubFactory(EnterpriseCustomerFactory)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    active = True
    linked = True

    if _has_field(get_enterprise_customer_user_model(), "should_inactivate_other_customers"):
        # edx-enterprise deactivates a learner's other links on save unless told not to; the reference host keeps
        # them all. Off here, so the same tests describe a learner active in several customers on both hosts.
        should_inactivate_other_customers = False


class EnterpriseCourseEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_enterprise_course_enrollment_model()

    enterprise_customer_user = factory.SubFactory(EnterpriseCustomerUserFactory)
    course_id = "course-v1:edX+DemoX+Demo_Course"


class CourseEnrollmentFactory(factory.django.DjangoModelFactory):
    """The reference LMS enrollment (what the reference backend reads and writes)."""

    class Meta:
        model = CourseEnrollment

    user = factory.SubFactory(UserFactory)
    course_id = "course-v1:edX+DemoX+Demo_Course"
    mode = "audit"
    is_active = True


class DefaultEnterpriseEnrollmentIntentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DefaultEnterpriseEnrollmentIntention

    enterprise_customer = factory.SubFactory(EnterpriseCustomerFactory)
    content_key = "edX+DemoX"


class DefaultEnterpriseEnrollmentRealizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DefaultEnterpriseEnrollmentRealization

    intended_enrollment = factory.SubFactory(DefaultEnterpriseEnrollmentIntentionFactory)
    realized_enrollment = factory.SubFactory(
        EnterpriseCourseEnrollmentFactory,
        enterprise_customer_user__enterprise_customer=factory.SelfAttribute(
            "...intended_enrollment.enterprise_customer"
        ),
    )
