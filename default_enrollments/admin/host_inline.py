"""
An inline of intentions on the host's enterprise customer admin, attached without editing the host's code.

It goes onto whichever admin the host registered for its customer model on ``admin.site`` (the reference
host's, or edx-enterprise's ``EnterpriseCustomerAdmin``) by appending to that admin's ``inlines``.
"""
from __future__ import annotations

import logging
from importlib import import_module

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, get_enterprise_customer_model

logger = logging.getLogger(__name__)

Intention = DefaultEnterpriseEnrollmentIntention


class DefaultEnrollmentIntentionInline(admin.TabularInline):
    """Live intentions of one customer, stored fields only (no catalog call per row)."""

    model = Intention
    fk_name = "enterprise_customer"
    fields = ("content_key", "content_type", "modified")
    readonly_fields = ("content_type", "modified")
    extra = 0
    show_change_link = True
    template = "default_enrollments/admin/intentions_inline.html"  # the stock table, then the overview link
    verbose_name = _("default enrollment intention")
    verbose_name_plural = _("default enrollment intentions (default_enrollments)")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Intention.objects.filter(is_removed=False).order_by("content_key")


def attach_intentions_inline(site: admin.AdminSite = admin.site) -> bool:
    """
    Append ``DefaultEnrollmentIntentionInline`` to the host's customer admin, if one is registered and the
    intention model is the app's own.

    The host's admin module is imported first when autodiscovery has not reached it yet, so the
    order of INSTALLED_APPS does not matter. Returns whether an admin was found. Idempotent.
    """
    if Intention._meta.swapped:
        # The intentions are the host's own (edx-enterprise's), and so is its inline for them.
        return False
    try:
        customer_model = get_enterprise_customer_model()
    except (LookupError, ValueError):
        # A setting naming no installed model: ``manage.py check`` reports it (default_enrollments.E004), which
        # it could not do if autodiscovering the admin failed first.
        logger.warning("the enterprise customer model does not resolve; intentions inline not attached")
        return False
    if customer_model not in site._registry:
        app_config = customer_model._meta.app_config
        if module_has_submodule(app_config.module, "admin"):
            import_module(f"{app_config.name}.admin")
    customer_admin = site._registry.get(customer_model)
    if customer_admin is None:
        logger.info("no admin registered for %s; intentions inline not attached", customer_model._meta.label)
        return False
    if DefaultEnrollmentIntentionInline not in customer_admin.inlines:
        customer_admin.inlines = [*customer_admin.inlines, DefaultEnrollmentIntentionInline]
    return True

