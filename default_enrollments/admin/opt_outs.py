"""Per-customer opt-outs in the admin: add a row to stop realizing a customer's learners, delete it to resume."""
from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from default_enrollments.models import CustomerOptOut, get_enterprise_customer_model


class CustomerOptOutForm(forms.ModelForm):
    """Refuses a UUID that names no enterprise customer: a typo would otherwise opt out nobody, silently."""

    class Meta:
        model = CustomerOptOut
        fields = ("enterprise_customer_uuid", "reason")

    def clean_enterprise_customer_uuid(self) -> UUID:
        uuid = self.cleaned_data["enterprise_customer_uuid"]
        if not get_enterprise_customer_model()._default_manager.filter(pk=uuid).exists():
            raise ValidationError(_("No enterprise customer has this UUID."), code="unknown_customer")
        return uuid


@admin.register(CustomerOptOut)
class CustomerOptOutAdmin(admin.ModelAdmin):
    """
    A plain list: the opt-out is read at the start of each realization, so a change applies from the next login.

    The customer is entered by uuid (no foreign key), so the page works whichever host models are in use.
    """

    form = CustomerOptOutForm
    list_display = ("enterprise_customer_uuid", "reason", "created")
    search_fields = ("enterprise_customer_uuid", "reason")
    search_help_text = _("Customer UUID or reason.")
    fields = ("enterprise_customer_uuid", "reason", "created", "modified")
    readonly_fields = ("created", "modified")
