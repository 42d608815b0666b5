"""
The intentions admin: stored fields, what the catalog says of each (read live, never stored), soft delete.

Catalog answers come from ``api.resolved_intentions``: a list page resolves its rows in one batch
(``prepare_page``); a change page resolves its one row with the customer's catalogs holding the run.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from default_enrollments import api
from default_enrollments.admin.actions import enroll_linked_learners_now
from default_enrollments.admin.common import (
    ObjectIdAdminMixin,
    PageBatchedAdminMixin,
    SearchMixin,
    djangoql_search,
    link,
    log_intention,
)
from default_enrollments.admin.overview import CustomerOverviewAdminMixin
from default_enrollments.admin.soft_delete import RemovedListFilter, SoftDeleteAdminMixin
from default_enrollments.data import Reason, ResolvedIntention, reason_message
from default_enrollments.keys import course_key_for_run
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, get_enterprise_customer_model

Intention = DefaultEnterpriseEnrollmentIntention


@admin.register(Intention)
class DefaultEnterpriseEnrollmentIntentionAdmin(
    CustomerOverviewAdminMixin, ObjectIdAdminMixin, PageBatchedAdminMixin, SoftDeleteAdminMixin, SearchMixin,
    SimpleHistoryAdmin
):
    """
    Intentions with their catalog state; removed rows stay listed (filter "removed") and can be restored.

    Search matches the customer's uuid and name and the stored content key. A run key also finds
    course intentions of that run's course (whose resolved run may be another one); it does not
    look into the catalog.
    """

    list_display = (
        "content_key",
        "customer",
        "content_type",
        "resolved_run",
        "enrollable",
        "best_mode",
        "realized_count",
        "removed",
        "modified",
        "overview",
    )
    list_display_links = ("content_key",)
    actions = (*SoftDeleteAdminMixin.actions, enroll_linked_learners_now)
    list_filter = (
        "content_type",
        ("is_removed", RemovedListFilter),
        ("enterprise_customer", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("enterprise_customer",)
    search_fields = ("=enterprise_customer__uuid", "enterprise_customer__name", "content_key")
    search_help_text = _("Customer uuid or name, course key or course run key.")
    djangoql_completion_enabled_by_default = False  # the plain search first; "Advanced" switches to djangoql
    ordering = ("enterprise_customer__name", "content_key")
    fields = ("enterprise_customer", "content_key")
    readonly_fields = (
        "content_type",
        "resolved_run",
        "enrollable",
        "best_mode",
        "resolution_problem",
        "applicable_catalogs",
        "realized_count",
        "removed",
        "created",
        "modified",
    )
    change_form_template = "default_enrollments/admin/intention_change_form.html"
    delete_confirmation_template = "default_enrollments/admin/intention_delete_confirmation.html"
    delete_selected_confirmation_template = "default_enrollments/admin/intention_delete_selected_confirmation.html"

    # --- queryset, search, changelist -------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Every intention, removed ones included, with its realization count computed by the database."""
        return (
            Intention.all_objects.select_related("enterprise_customer")
            .annotate(realized_count=Count("realizations", distinct=True))
            .order_by(*self.get_ordering(request))
        )

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        """Autocomplete the customer when the host's customer admin can search (it has no catalog cost)."""
        customer_admin = self.admin_site._registry.get(get_enterprise_customer_model())
        return ("enterprise_customer",) if customer_admin and customer_admin.search_fields else ()

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        course_key = course_key_for_run(term) if term and not djangoql_search(self, request) else None
        if not course_key:
            return matched, may_have_duplicates
        return queryset.filter(Q(pk__in=matched.values("pk")) | Q(content_key__iexact=course_key)), may_have_duplicates

    def prepare_page(self, request: HttpRequest, intentions: list[Intention]) -> None:
        """Resolve the page's intentions with one catalog batch; warn once when the catalog is down."""
        if not intentions:
            return
        self.page_rows.rows = {
            (row.uuid, row.content_key): row
            for row in api.resolved_intentions(intentions, with_catalogs=False).values()
        }
        if any(row.resolution.reason == Reason.CATALOG_UNAVAILABLE for row in self.page_rows.rows.values()):
            messages.warning(
                request,
                gettext("The enterprise catalog could not be reached, so resolved runs are unknown for now. "
                "Reload the page to try again."),
            )

    def resolved(self, obj: Intention) -> ResolvedIntention:
        """``obj`` as the catalog sees it: from the page's batch, or resolved alone (a change page)."""
        return self.page_rows.get((obj.uuid, obj.content_key), lambda: api.resolved_intentions([obj])[obj.uuid])

    # --- list columns and read-only fields --------------------------------------------------------

    @admin.display(description=_("customer"), ordering="enterprise_customer__name")
    def customer(self, obj: Intention) -> str:
        return link(obj.enterprise_customer)

    @admin.display(description=_("resolved run"))
    def resolved_run(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        resolution = self.resolved(obj).resolution
        if resolution.run:
            return resolution.run.course_run_key
        return format_html(
            '<span class="errornote-inline">{}</span>',
            gettext("not resolved: %(problem)s") % {"problem": _problem(resolution)},
        )

    @admin.display(description=_("enrollable"), boolean=True)
    def enrollable(self, obj: Intention) -> bool | None:
        run = self.resolved(obj).resolution.run if obj.pk else None
        return run.is_enrollable if run else None

    @admin.display(description=_("best mode"))
    def best_mode(self, obj: Intention) -> str:
        run = self.resolved(obj).resolution.run if obj.pk else None
        return (run.best_mode or gettext("none")) if run else "-"

    @admin.display(description=_("why not enrollable"))
    def resolution_problem(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        resolution = self.resolved(obj).resolution
        run = resolution.run
        if not run:
            return _problem(resolution)
        if not run.is_enrollable:
            return reason_message(Reason.NOT_ENROLLABLE, run=run.course_run_key)
        if not run.best_mode:
            return reason_message(Reason.NO_MODE, run=run.course_run_key)
        return "-"

    @admin.display(description=_("applicable catalogs"))
    def applicable_catalogs(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        catalog_uuids = self.resolved(obj).applicable_enterprise_catalog_uuids
        if not catalog_uuids:
            return gettext("none of the customer's catalogs contains this run")
        return format_html_join(", ", "{}", ((uuid,) for uuid in catalog_uuids))

    @admin.display(description=_("realized enrollments"), ordering="realized_count")
    def realized_count(self, obj: Intention) -> str:
        count = getattr(obj, "realized_count", None)
        if count is None:
            count = obj.realizations.count() if obj.pk else 0
        if not count:
            return "0"
        url = reverse("admin:default_enrollments_defaultenterpriseenrollmentrealization_changelist")
        return format_html('<a href="{}?intended_enrollment__uuid__exact={}">{}</a>', url, obj.pk, count)

    @admin.display(description=_("removed"), boolean=True, ordering="is_removed")
    def removed(self, obj: Intention) -> bool:
        return obj.is_removed

    def get_fieldsets(self, request: HttpRequest, obj: Intention | None = None):
        if obj is None:
            return ((None, {"fields": ("enterprise_customer", "content_key")}),)
        return (
            (None, {"fields": ("enterprise_customer", "content_key", "content_type")}),
            (
                _("Catalog (read live; never stored)"),
                {
                    "fields": (
                        "resolved_run",
                        "enrollable",
                        "best_mode",
                        "resolution_problem",
                        "applicable_catalogs",
                    )
                },
            ),
            (_("Status"), {"fields": ("realized_count", "removed", "created", "modified")}),
        )

    def save_model(self, request: HttpRequest, obj: Intention, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        log_intention("intention_changed" if change else "intention_added", request, obj)


def _problem(resolution) -> str:
    reason = resolution.reason.value.replace("_", " ") if resolution.reason else gettext("unknown")
    return f"{reason}: {resolution.message}" if resolution.message else reason
