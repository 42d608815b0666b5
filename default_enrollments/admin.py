"""
Operator UI: intentions (with history, soft delete and restore), read-only realizations, and an
inline of intentions on the host's enterprise customer admin.

Catalog answers are never fetched per row: the intention list resolves the rows of the page in one
batch (``api.resolve_intentions``) before the template reads them, and the customer inline shows
only stored fields.

The inline is attached to whichever admin the host registered for its customer model on
``admin.site`` (the bundled reference app's, or edx-enterprise's ``EnterpriseCustomerAdmin``) by
appending to that admin's ``inlines``; the host's code is not edited. See ``attach_intentions_inline``.
"""
from __future__ import annotations

import logging
from importlib import import_module

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import module_has_submodule
from simple_history.admin import SimpleHistoryAdmin

from default_enrollments.data import Reason
from default_enrollments.keys import course_key_for_run
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_customer_model,
)

logger = logging.getLogger(__name__)

Intention = DefaultEnterpriseEnrollmentIntention
Realization = DefaultEnterpriseEnrollmentRealization

# djangoql (the optional ``djangoql`` extra) adds an advanced query box; it needs its templates and static files,
# i.e. ``djangoql`` in INSTALLED_APPS. Without it, installed or not, the lists keep the plain search box.
DJANGOQL_ENABLED = apps.is_installed("djangoql")


class _PlainSearch:
    """Stands in for djangoql's mixin when it is not installed."""


if DJANGOQL_ENABLED:
    from djangoql.admin import DjangoQLChangeList as _SearchChangeList
    from djangoql.admin import DjangoQLSearchMixin as SearchMixin
else:
    _SearchChangeList, SearchMixin = ChangeList, _PlainSearch


class PageBatchedChangeList(_SearchChangeList):
    """A changelist that hands the page's rows to ``model_admin.prepare_page`` once, before rendering."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Evaluating the page's queryset fills its cache, so the template renders these same instances.
        self.model_admin.prepare_page(request, list(self.result_list))


def _admin_change_url(instance, site: admin.AdminSite = admin.site) -> str | None:
    """The admin change page of ``instance`` when its model is registered, else None."""
    if instance is None or type(instance) not in site._registry:
        return None
    opts = instance._meta
    try:
        return reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    except NoReverseMatch:
        return None


def _link(instance, label: str | None = None) -> str:
    label = str(instance) if label is None else label
    url = _admin_change_url(instance)
    return format_html('<a href="{}">{}</a>', url, label) if url else label


class RemovedListFilter(admin.BooleanFieldListFilter):
    """The soft-delete flag, titled as operators say it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = "removed"


# --- Intentions ------------------------------------------------------------------------------------


@admin.register(Intention)
class DefaultEnterpriseEnrollmentIntentionAdmin(SearchMixin, SimpleHistoryAdmin):
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
    )
    list_display_links = ("content_key",)
    list_filter = (
        "content_type",
        ("is_removed", RemovedListFilter),
        ("enterprise_customer", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("enterprise_customer",)
    search_fields = ("=enterprise_customer__uuid", "enterprise_customer__name", "content_key")
    search_help_text = "Customer uuid or name, course key or course run key."
    djangoql_completion_enabled_by_default = False  # the plain search first; "Advanced" switches to djangoql
    ordering = ("enterprise_customer__name", "content_key")
    actions = ("restore_selected",)
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

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return PageBatchedChangeList

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        course_key = course_key_for_run(term) if term and not self._djangoql_search(request) else None
        if not course_key:
            return matched, may_have_duplicates
        return queryset.filter(Q(pk__in=matched.values("pk")) | Q(content_key__iexact=course_key)), may_have_duplicates

    def _djangoql_search(self, request: HttpRequest) -> bool:
        return DJANGOQL_ENABLED and self.djangoql_search_enabled(request)

    def prepare_page(self, request: HttpRequest, intentions: list[Intention]) -> None:
        """Resolve the page's intentions with one catalog batch; warn once when the catalog is down."""
        if not intentions:
            return
        from default_enrollments import api  # noqa: PLC0415 (api imports the catalog lazily too)

        resolutions = api.resolve_intentions(intentions)
        if any(res.reason == Reason.CATALOG_UNAVAILABLE for res in resolutions.values()):
            messages.warning(
                request,
                "The enterprise catalog could not be reached, so resolved runs are unknown for now. "
                "Reload the page to try again.",
            )

    # --- list columns and read-only fields --------------------------------------------------------

    @admin.display(description="customer", ordering="enterprise_customer__name")
    def customer(self, obj: Intention) -> str:
        return _link(obj.enterprise_customer)

    @admin.display(description="resolved run")
    def resolved_run(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        resolution = obj.resolution
        if resolution.run:
            return resolution.run.course_run_key
        return format_html('<span class="errornote-inline">not resolved: {}</span>', _problem(resolution))

    @admin.display(description="enrollable", boolean=True)
    def enrollable(self, obj: Intention) -> bool | None:
        if obj.pk is None or not obj.resolution.run:
            return None
        return obj.resolution.run.is_enrollable

    @admin.display(description="best mode")
    def best_mode(self, obj: Intention) -> str:
        run = obj.resolution.run if obj.pk else None
        return (run.best_mode or "none") if run else "-"

    @admin.display(description="why not enrollable")
    def resolution_problem(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        resolution = obj.resolution
        if not resolution.run:
            return _problem(resolution)
        if not resolution.run.is_enrollable:
            return "The catalog says this run is not open for enrollment (or not published)."
        if not resolution.run.best_mode:
            return "The run has no seat in a mode this app enrolls in."
        return "-"

    @admin.display(description="applicable catalogs")
    def applicable_catalogs(self, obj: Intention) -> str:
        if obj.pk is None:
            return "-"
        catalog_uuids = obj.applicable_enterprise_catalog_uuids
        if not catalog_uuids:
            return "none of the customer's catalogs contains this run"
        return format_html_join(", ", "{}", ((uuid,) for uuid in catalog_uuids))

    @admin.display(description="realized enrollments", ordering="realized_count")
    def realized_count(self, obj: Intention) -> str:
        count = getattr(obj, "realized_count", None)
        if count is None:
            count = obj.realizations.count() if obj.pk else 0
        if not count:
            return "0"
        url = reverse("admin:default_enrollments_defaultenterpriseenrollmentrealization_changelist")
        return format_html('<a href="{}?intended_enrollment__uuid__exact={}">{}</a>', url, obj.pk, count)

    @admin.display(description="removed", boolean=True, ordering="is_removed")
    def removed(self, obj: Intention) -> bool:
        return obj.is_removed

    def get_fieldsets(self, request: HttpRequest, obj: Intention | None = None):
        if obj is None:
            return ((None, {"fields": ("enterprise_customer", "content_key")}),)
        return (
            (None, {"fields": ("enterprise_customer", "content_key", "content_type")}),
            (
                "Catalog (read live; never stored)",
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
            ("Status", {"fields": ("realized_count", "removed", "created", "modified")}),
        )

    # --- soft delete and restore ------------------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Intention) -> None:
        """Soft delete: the row stays (with its realizations and history) and can be restored."""
        obj.delete()
        _log("intention_removed", request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Soft delete row by row, so each one gets its history record; all or nothing."""
        with transaction.atomic():
            for intention in queryset.filter(is_removed=False):
                intention.delete()
                _log("intention_removed", request, intention)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Nothing cascades on a soft delete, so the confirmation lists only the intentions themselves."""
        objs = list(objs)
        described = [_link(obj) for obj in objs]
        return described, {Intention._meta.verbose_name_plural: len(objs)}, set(), []

    @admin.action(description="Restore selected removed intentions", permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            restored = [self._restore(request, intention) for intention in queryset.filter(is_removed=True)]
        if restored:
            self.message_user(request, f"Restored {len(restored)} intention(s).", messages.SUCCESS)
        else:
            self.message_user(request, "None of the selected intentions was removed.", messages.WARNING)

    def _restore(self, request: HttpRequest, intention: Intention) -> Intention:
        intention.is_removed = False
        intention.save(update_fields=["is_removed", "modified"])
        _log("intention_restored", request, intention)
        return intention

    def get_urls(self):
        opts = self.model._meta
        restore = path(
            "<path:object_id>/restore/",
            self.admin_site.admin_view(self.restore_view),
            name=f"{opts.app_label}_{opts.model_name}_restore",
        )
        return [restore, *super().get_urls()]

    def restore_view(self, request: HttpRequest, object_id: str):
        """POST-only: restore one removed intention from its change page (where a twin error links to)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        intention = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, intention):
            raise PermissionDenied
        if intention.is_removed:
            with transaction.atomic():
                self._restore(request, intention)
            self.message_user(request, f"Restored “{intention}”.", messages.SUCCESS)
        else:
            self.message_user(request, f"“{intention}” was not removed.", messages.WARNING)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[intention.pk])
        )

    def save_model(self, request: HttpRequest, obj: Intention, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _log("intention_changed" if change else "intention_added", request, obj)


def _problem(resolution) -> str:
    reason = resolution.reason.value.replace("_", " ") if resolution.reason else "unknown"
    return f"{reason}: {resolution.message}" if resolution.message else reason


def _log(event: str, request: HttpRequest, intention: Intention) -> None:
    logger.info(
        "%s intention=%s customer=%s content_key=%s by_user=%s",
        event,
        intention.pk,
        intention.enterprise_customer_id,
        intention.content_key,
        getattr(request.user, "pk", None),
        extra={
            "intention": str(intention.pk),
            "enterprise_customer": str(intention.enterprise_customer_id),
            "content_key": intention.content_key,
            "user": getattr(request.user, "pk", None),
        },
    )


# --- Realizations ----------------------------------------------------------------------------------


@admin.register(Realization)
class DefaultEnterpriseEnrollmentRealizationAdmin(SearchMixin, SimpleHistoryAdmin):
    """
    Read-only provenance: which intention produced which enterprise course enrollment.

    Search finds a learner by user id, username or email (through the customer user's ``user_id``)
    and a run by its key.
    """

    list_display = ("id", "learner", "customer", "intention", "course_run_key", "enrollment", "created")
    list_display_links = ("id",)
    list_filter = (("intended_enrollment__enterprise_customer", admin.RelatedOnlyFieldListFilter),)
    list_select_related = (
        "intended_enrollment__enterprise_customer",
        "realized_enrollment__enterprise_customer_user",
    )
    search_fields = ("realized_enrollment__course_id", "intended_enrollment__content_key")
    search_help_text = "Learner (user id, exact username or email) or course run key."
    djangoql_completion_enabled_by_default = False
    fields = ("learner", "customer", "intention", "course_run_key", "enrollment", "created", "modified")
    readonly_fields = fields

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return PageBatchedChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term or (DJANGOQL_ENABLED and self.djangoql_search_enabled(request)):
            return super().get_search_results(request, queryset, search_term)
        if term.isdigit():
            # A bare number is a learner's user id (it would match the "v1" of every run key otherwise).
            return queryset.filter(realized_enrollment__enterprise_customer_user__user_id=int(term)), False
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        user_ids = get_user_model()._default_manager.filter(Q(username__iexact=term) | Q(email__iexact=term))
        by_learner = Q(realized_enrollment__enterprise_customer_user__user_id__in=user_ids.values("pk"))
        return queryset.filter(Q(pk__in=matched.values("pk")) | by_learner), may_have_duplicates

    def prepare_page(self, request: HttpRequest, realizations: list[Realization]) -> None:
        """Look up the page's learners in one query instead of one per row."""
        user_ids = {row.realized_enrollment.enterprise_customer_user.user_id for row in realizations}
        users = get_user_model()._default_manager.in_bulk(user_ids)
        for row in realizations:
            row._learner = users.get(row.realized_enrollment.enterprise_customer_user.user_id)

    @admin.display(description="learner", ordering="realized_enrollment__enterprise_customer_user__user_id")
    def learner(self, obj: Realization) -> str:
        user_id = obj.realized_enrollment.enterprise_customer_user.user_id
        if not hasattr(obj, "_learner"):
            obj._learner = get_user_model()._default_manager.filter(pk=user_id).first()
        user = obj._learner
        if user is None:
            return f"user {user_id} (no such user)"
        return format_html("{} (user {}, {})", user.get_username(), user_id, getattr(user, "email", ""))

    @admin.display(description="customer", ordering="intended_enrollment__enterprise_customer__name")
    def customer(self, obj: Realization) -> str:
        return _link(obj.intended_enrollment.enterprise_customer)

    @admin.display(description="intention", ordering="intended_enrollment__content_key")
    def intention(self, obj: Realization) -> str:
        return _link(obj.intended_enrollment, obj.intended_enrollment.content_key)

    @admin.display(description="course run", ordering="realized_enrollment__course_id")
    def course_run_key(self, obj: Realization) -> str:
        return obj.realized_enrollment.course_id

    @admin.display(description="enterprise course enrollment")
    def enrollment(self, obj: Realization) -> str:
        return _link(obj.realized_enrollment, f"enrollment {obj.realized_enrollment.pk}")


# --- Inline on the host's customer admin -----------------------------------------------------------


class DefaultEnrollmentIntentionInline(admin.TabularInline):
    """Live intentions of one customer, stored fields only (no catalog call per row)."""

    model = Intention
    fk_name = "enterprise_customer"
    fields = ("content_key", "content_type", "modified")
    readonly_fields = ("content_type", "modified")
    extra = 0
    show_change_link = True
    verbose_name = "default enrollment intention"
    verbose_name_plural = "default enrollment intentions (default_enrollments)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Intention.objects.filter(is_removed=False).order_by("content_key")


def attach_intentions_inline(site: admin.AdminSite = admin.site) -> bool:
    """
    Append ``DefaultEnrollmentIntentionInline`` to the host's customer admin, if one is registered.

    The host's admin module is imported first when autodiscovery has not reached it yet, so the
    order of INSTALLED_APPS does not matter. Returns whether an admin was found. Idempotent.
    """
    customer_model = get_enterprise_customer_model()
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


attach_intentions_inline()
