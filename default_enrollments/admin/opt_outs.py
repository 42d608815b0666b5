"""Per-customer opt-outs in the admin: add a row to stop realizing a customer's learners, delete it to resume."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from default_enrollments.models import CustomerOptOut


@admin.register(CustomerOptOut)
class CustomerOptOutAdmin(admin.ModelAdmin):
    """
    A plain list: the opt-out is read at the start of each realization, so a change applies from the next login.

    The customer is entered by uuid (no foreign key), so the page works whichever host models are in use.
    """

    list_display = ("enterprise_customer_uuid", "reason", "created")
    search_fields = ("enterprise_customer_uuid", "reason")
    search_help_text = _("Customer UUID or reason.")
    fields = ("enterprise_customer_uuid", "reason", "created", "modified")
    readonly_fields = ("created", "modified")
