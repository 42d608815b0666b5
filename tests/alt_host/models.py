"""
A host whose enterprise models have other class and table names but the field names the app reads.

``tests.settings_swapped`` points the three ``DEFAULT_ENROLLMENTS_*_MODEL`` settings here.
"""
from __future__ import annotations

from uuid import uuid4

from django.db import models


class Organization(models.Model):
    """Plays the enterprise customer."""

    uuid = models.UUIDField(primary_key=True, default=uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=30, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationMembership(models.Model):
    """Plays the learner's link to a customer."""

    enterprise_customer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user_id = models.PositiveIntegerField(db_index=True)
    active = models.BooleanField(default=True)
    linked = models.BooleanField(default=True)

    class Meta:
        unique_together = (("enterprise_customer", "user_id"),)
        ordering = ["id"]

    def __str__(self) -> str:
        return f"user {self.user_id} in {self.enterprise_customer_id}"


class MembershipCourseEnrollment(models.Model):
    """Plays the enterprise course enrollment."""

    enterprise_customer_user = models.ForeignKey(
        OrganizationMembership, on_delete=models.CASCADE, related_name="course_enrollments"
    )
    course_id = models.CharField(max_length=255)
    saved_for_later = models.BooleanField(default=False)
    unenrolled = models.BooleanField(null=True, blank=True, default=None)
    unenrolled_at = models.DateTimeField(null=True, blank=True, default=None)

    class Meta:
        unique_together = (("enterprise_customer_user", "course_id"),)
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.course_id} for {self.enterprise_customer_user_id}"
