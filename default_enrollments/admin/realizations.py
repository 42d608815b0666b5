"""Read-only provenance in the admin: which intention produced which enterprise course enrollment."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from default_enrollments.admin.common import (
    ObjectIdAdminMixin,
    PageBatchedAdminMixin,
    SearchMixin,
    djangoql_search,
    link,
)
from default_enrollments.models import get_realization_model

# Ours, or edx-enterprise's (which has no admin of its own for it).
Realization = get_realization_model()


@admin.register(Realization)
class DefaultEnterpriseEnrollmentRealizationAdmin(
    ObjectIdAdminMixin, PageBatchedAdminMixin, SearchMixin, SimpleHistoryAdmin
):
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
    search_help_text = _("Learner (user id, exact username or email) or course run key.")
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
            return _by_user_id(queryset, term), False
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        user_ids = get_user_model()._default_manager.filter(Q(username__iexact=term) | Q(email__iexact=term))
        by_learner = Q(realized_enrollment__enterprise_customer_user__user_id__in=user_ids.values("pk"))
        return queryset.filter(Q(pk__in=matched.values("pk")) | by_learner), may_have_duplicates

    def prepare_page(self, request: HttpRequest, realizations: list[Realization]) -> None:
        """Look up the page's learners in one query instead of one per row."""
        user_ids = {row.realized_enrollment.enterprise_customer_user.user_id for row in realizations}
        users = get_user_model()._default_manager.in_bulk(user_ids)
        self.page_rows.rows = {user_id: users.get(user_id) for user_id in user_ids}

    @admin.display(description=_("learner"), ordering="realized_enrollment__enterprise_customer_user__user_id")
    def learner(self, obj: Realization) -> str:
        user_id = obj.realized_enrollment.enterprise_customer_user.user_id
        user = self.page_rows.get(user_id, lambda: get_user_model()._default_manager.filter(pk=user_id).first())
        if user is None:
            return gettext("user %(user_id)s (no such user)") % {"user_id": user_id}
        return format_html(gettext("{} (user {}, {})"), user.get_username(), user_id, getattr(user, "email", ""))

    @admin.display(description=_("customer"), ordering="intended_enrollment__enterprise_customer__name")
    def customer(self, obj: Realization) -> str:
        return link(obj.intended_enrollment.enterprise_customer)

    @admin.display(description=_("intention"), ordering="intended_enrollment__content_key")
    def intention(self, obj: Realization) -> str:
        return link(obj.intended_enrollment, obj.intended_enrollment.content_key)

    @admin.display(description=_("course run"), ordering="realized_enrollment__course_id")
    def course_run_key(self, obj: Realization) -> str:
        return obj.realized_enrollment.course_id

    @admin.display(description=_("enterprise course enrollment"))
    def enrollment(self, obj: Realization) -> str:
        return link(obj.realized_enrollment, gettext("enrollment %(id)s") % {"id": obj.realized_enrollment.pk})


def _by_user_id(queryset: QuerySet, digits: str) -> QuerySet:
    """
    The realizations of the learner whose user id ``digits`` spells; none when no user id is spelled that way.

    ``str.isdigit()`` also accepts ``²``, ``①`` or ``٣``: no operator types an id so, ``int()`` refuses some of
    them, and a text search would let a collation match ``①`` to the ``1`` of every run key. A number beyond
    the user id column's range finds nothing either, rather than failing in the database.
    """
    if not digits.isascii():
        return queryset.none()
    user_id = int(digits)
    try:
        get_user_model()._meta.pk.run_validators(user_id)
    except ValidationError:
        return queryset.none()
    return queryset.filter(realized_enrollment__enterprise_customer_user__user_id=user_id)
