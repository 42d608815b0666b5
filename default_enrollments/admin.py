"""Operator UI for intentions and realizations."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, DefaultEnterpriseEnrollmentRealization


@admin.register(DefaultEnterpriseEnrollmentIntention)
class DefaultEnterpriseEnrollmentIntentionAdmin(SimpleHistoryAdmin):
    list_display = ("content_key", "enterprise_customer", "content_type", "is_removed", "modified")

    def get_queryset(self, request):
        return self.model.all_objects.select_related("enterprise_customer")


@admin.register(DefaultEnterpriseEnrollmentRealization)
class DefaultEnterpriseEnrollmentRealizationAdmin(SimpleHistoryAdmin):
    list_display = ("intended_enrollment", "realized_enrollment", "created")
