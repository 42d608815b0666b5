"""Read-only provenance in the admin: which intention produced which enterprise course enrollment."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from default_enrollments.admin.common import PageBatchedAdminMixin, SearchMixin, djangoql_search, link
from default_enrollments.models import get_realization_model

# Ours, or edx-enterprise's (which has no admin of its own for it).
Realization = get_realization_model()


@admin.register(Realization)
class DefaultEnterpriseEnrollmentRealizationAdmin(PageBatchedAdminMixin, SearchMixin, SimpleHistoryAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term or djangoql_search(self, request):
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
        self.page_rows.rows = {user_id: users.get(user_id) for user_id in user_ids}

    @admin.display(description="learner", ordering="realized_enrollment__enterprise_customer_user__user_id")
    def learner(self, obj: Realization) -> str:
        user_id = obj.realized_enrollment.enterprise_customer_user.user_id
        user = self.page_rows.get(user_id, lambda: get_user_model()._default_manager.filter(pk=user_id).first())
        if user is None:
            return f"user {user_id} (no such user)"
        return format_html("{} (user {}, {})", user.get_username(), user_id, getattr(user, "email", ""))

    @admin.display(description="customer", ordering="intended_enrollment__enterprise_customer__name")
    def customer(self, obj: Realization) -> str:
        return link(obj.intended_enrollment.enterprise_customer)

    @admin.display(description="intention", ordering="intended_enrollment__content_key")
    def intention(self, obj: Realization) -> str:
        return link(obj.intended_enrollment, obj.intended_enrollment.content_key)

    @admin.display(description="course run", ordering="realized_enrollment__course_id")
    def course_run_key(self, obj: Realization) -> str:
        return obj.realized_enrollment.course_id

    @admin.display(description="enterprise course enrollment")
    def enrollment(self, obj: Realization) -> str:
        return link(obj.realized_enrollment, f"enrollment {obj.realized_enrollment.pk}")
