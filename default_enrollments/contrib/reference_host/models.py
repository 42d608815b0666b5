"""
Reference host models: enterprise customer, learner link, enterprise enrollment and its source, license
fulfillment, LMS enrollment.

Each enterprise model is swappable through the setting named in its ``Meta.swappable``, exactly
like ``auth.User``; when a host points the setting elsewhere, the table here is not created. The enrollment
source is not: it is reached through the enterprise enrollment's ``source`` field, whichever model that is.
"""
from __future__ import annotations

from uuid import uuid4

from django.conf import settings
from django.db import models
from model_utils.models import TimeStampedModel

from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    CUSTOMER_USER_MODEL_SETTING,
    LICENSED_ENROLLMENT_MODEL_SETTING,
    host_model_label,
)


class EnterpriseCustomer(TimeStampedModel):
    """An organization whose learners get default enrollments."""

    uuid = models.UUIDField(primary_key=True, default=uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=30, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        swappable = CUSTOMER_MODEL_SETTING
        ordering = ["name", "uuid"]

    def __str__(self) -> str:
        return self.name


class EnterpriseCustomerUser(TimeStampedModel):
    """A learner's link to a customer; the learner belongs to it while ``active`` and ``linked``."""

    enterprise_customer = models.ForeignKey(
        host_model_label(CUSTOMER_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name="enterprise_customer_users",
    )
    user_id = models.PositiveIntegerField(db_index=True)
    active = models.BooleanField(default=True)
    linked = models.BooleanField(default=True)

    class Meta:
        swappable = CUSTOMER_USER_MODEL_SETTING
        unique_together = (("enterprise_customer", "user_id"),)
        ordering = ["-active", "-modified", "id"]

    def __str__(self) -> str:
        return f"user {self.user_id} in {self.enterprise_customer_id}"


class EnterpriseEnrollmentSource(TimeStampedModel):
    """How an enterprise enrollment came to be (a slug per channel), as edx-enterprise's reporting reads it."""

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=30, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class EnterpriseCourseEnrollment(TimeStampedModel):
    """The enterprise's record that one of its learners is enrolled in a course run."""

    enterprise_customer_user = models.ForeignKey(
        host_model_label(CUSTOMER_USER_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name="enterprise_enrollments",
    )
    course_id = models.CharField(max_length=255)
    saved_for_later = models.BooleanField(default=False)
    unenrolled = models.BooleanField(null=True, blank=True, default=None, db_index=True)
    unenrolled_at = models.DateTimeField(null=True, blank=True, default=None, db_index=True)
    source = models.ForeignKey(EnterpriseEnrollmentSource, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        swappable = COURSE_ENROLLMENT_MODEL_SETTING
        unique_together = (("enterprise_customer_user", "course_id"),)
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.course_id} for {self.enterprise_customer_user_id}"


class LicensedEnterpriseCourseEnrollment(TimeStampedModel):
    """
    The subscription license that pays for an enterprise enrollment. One per enrollment: a later license
    replaces a revoked one on the same row, which ``is_revoked`` marks meanwhile.
    """

    uuid = models.UUIDField(unique=True, default=uuid4, editable=False)
    enterprise_course_enrollment = models.OneToOneField(
        host_model_label(COURSE_ENROLLMENT_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name="licensed_with",
    )
    license_uuid = models.UUIDField()
    is_revoked = models.BooleanField(default=False)

    class Meta:
        swappable = LICENSED_ENROLLMENT_MODEL_SETTING
        ordering = ["id"]

    def __str__(self) -> str:
        state = " (revoked)" if self.is_revoked else ""
        return f"license {self.license_uuid} for {self.enterprise_course_enrollment_id}{state}"


class CourseEnrollment(TimeStampedModel):
    """The LMS side of an enrollment: what the reference enrollment backend writes and reads."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reference_course_enrollments"
    )
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=100, default="audit")
    is_active = models.BooleanField(default=True)

    class Meta:
        unique_together = (("user", "course_id"),)
        ordering = ["id"]

    def __str__(self) -> str:
        state = "active" if self.is_active else "inactive"
        return f"{self.user_id} in {self.course_id} ({self.mode}, {state})"
