"""
Reference host models: enterprise customer, learner link, enterprise enrollment, LMS enrollment.

Each enterprise model is swappable through the setting named in its ``Meta.swappable``, exactly
like ``auth.User``; when a host points the setting elsewhere, the table here is not created.
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

    class Meta:
        swappable = COURSE_ENROLLMENT_MODEL_SETTING
        unique_together = (("enterprise_customer_user", "course_id"),)
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.course_id} for {self.enterprise_customer_user_id}"


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
