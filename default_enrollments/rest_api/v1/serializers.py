"""
JSON shapes of version 1, field for field those of edx-enterprise's default enrollment API.

Keeping the names and types identical lets edx-enterprise's clients (the learner-portal backend)
point at this app unchanged. Extra keys (``reason``, ``catalog_unavailable``) only add information.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from default_enrollments.data import Reason

INTENTION_FIELDS = (
    "uuid",
    "content_key",
    "enterprise_customer",
    "course_key",
    "course_run_key",
    "is_course_run_enrollable",
    "best_mode_for_course_run",
    "applicable_enterprise_catalog_uuids",
    "course_run_normalized_metadata",
    "created",
    "modified",
)


class DefaultEnterpriseEnrollmentIntentionSerializer(serializers.Serializer):
    """
    One intention with its resolved run: reads a ``data.ResolvedIntention`` built for the page in one batch.

    Read-only: intentions are managed in the admin, never through this API.
    """

    uuid = serializers.UUIDField(read_only=True)
    content_key = serializers.CharField(read_only=True)
    enterprise_customer = serializers.UUIDField(source="enterprise_customer_uuid", read_only=True)
    course_key = serializers.CharField(read_only=True, allow_null=True)
    course_run_key = serializers.CharField(read_only=True, allow_null=True)
    is_course_run_enrollable = serializers.BooleanField(read_only=True)
    best_mode_for_course_run = serializers.CharField(read_only=True, allow_null=True)
    applicable_enterprise_catalog_uuids = serializers.ListField(
        child=serializers.UUIDField(), read_only=True
    )
    course_run_normalized_metadata = serializers.DictField(read_only=True)
    created = serializers.DateTimeField(read_only=True)
    modified = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["course_run_normalized_metadata"] = dict(instance.course_run_normalized_metadata or {})
        return data


class IntentionWithEnrollmentStateSerializer(DefaultEnterpriseEnrollmentIntentionSerializer):
    """One ``data.IntentionStatus``: the intention plus the learner's live enrollment and the reason."""

    has_existing_enrollment = serializers.BooleanField(read_only=True)
    is_existing_enrollment_active = serializers.BooleanField(read_only=True, allow_null=True)
    is_existing_enrollment_audit = serializers.BooleanField(read_only=True, allow_null=True)
    reason = serializers.ChoiceField(
        choices=[reason.value for reason in Reason],
        read_only=True,
        allow_null=True,
        help_text="Why the learner cannot be enrolled; null when enrollable or already enrolled. "
        "Not in edx-enterprise's response.",
    )


class NeedsEnrollmentSerializer(serializers.Serializer):
    enrollable = IntentionWithEnrollmentStateSerializer(many=True, read_only=True)
    not_enrollable = IntentionWithEnrollmentStateSerializer(many=True, read_only=True)


class EnrollmentStatusesSerializer(serializers.Serializer):
    needs_enrollment = NeedsEnrollmentSerializer(read_only=True)
    already_enrolled = IntentionWithEnrollmentStateSerializer(many=True, read_only=True)


class NeedsEnrollmentCountsSerializer(serializers.Serializer):
    enrollable = serializers.IntegerField(read_only=True)
    not_enrollable = serializers.IntegerField(read_only=True)


class LearnerStatusMetadataSerializer(serializers.Serializer):
    total_default_enterprise_enrollment_intentions = serializers.IntegerField(read_only=True)
    total_needs_enrollment = NeedsEnrollmentCountsSerializer(read_only=True)
    total_already_enrolled = serializers.IntegerField(read_only=True)


class LearnerStatusSerializer(serializers.Serializer):
    """A ``data.LearnerStatus`` in edx-enterprise's learner-status shape, plus ``catalog_unavailable``."""

    lms_user_id = serializers.IntegerField(read_only=True)
    user_email = serializers.EmailField(read_only=True)
    enterprise_customer_uuid = serializers.UUIDField(read_only=True)
    enrollment_statuses = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()
    catalog_unavailable = serializers.BooleanField(
        read_only=True,
        help_text="True when the catalog could not be asked: intentions it would have resolved are listed "
        "as not enrollable with the reason catalog_unavailable. Not in edx-enterprise's response.",
    )

    @extend_schema_field(EnrollmentStatusesSerializer)
    def get_enrollment_statuses(self, status) -> dict:
        return EnrollmentStatusesSerializer(
            {
                "needs_enrollment": {"enrollable": status.enrollable, "not_enrollable": status.not_enrollable},
                "already_enrolled": status.already_enrolled,
            }
        ).data

    @extend_schema_field(LearnerStatusMetadataSerializer)
    def get_metadata(self, status) -> dict:
        return {
            "total_default_enterprise_enrollment_intentions": status.total,
            "total_needs_enrollment": {
                "enrollable": len(status.enrollable),
                "not_enrollable": len(status.not_enrollable),
            },
            "total_already_enrolled": len(status.already_enrolled),
        }


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
