"""
The customer overview: one admin page per customer with its intentions, their reach and the last 30 days.

Everything is read in a fixed number of queries whatever the number of learners or intentions: counts are computed
by the database (one aggregate query for the 30 days of the chart), and catalog answers come in one batch
(``api.resolved_intentions``). The chart is an SVG drawn by the template from numbers computed here, so the page
needs no JavaScript and no front-end build.

What the app stores is realizations (which learner was enrolled by which intention, and when). Why a learner was
skipped at login, and which realizations failed, is written to the ``default_enrollments.outcomes`` log and the
monitoring counters, not to the database; the page says so rather than guessing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from default_enrollments import api
from default_enrollments.admin.actions import enroll_now
from default_enrollments.data import ResolvedIntention
from default_enrollments.membership import MEMBERSHIP
from default_enrollments.models import BackfillRun, get_enterprise_customer_model, get_realization_model

CHART_DAYS = 30
CHART_WIDTH, CHART_HEIGHT, CHART_PADDING = 600, 160, 20
OVERVIEW_URL_NAME = "default_enrollments_customer_overview"
ENROLL_NOW_URL_NAME = "default_enrollments_customer_enroll_now"
RECENT_RUNS = 5


def overview_url(enterprise_customer_uuid: UUID | str, site: admin.AdminSite = admin.site) -> str:
    return reverse(f"{site.name}:{OVERVIEW_URL_NAME}", args=[str(enterprise_customer_uuid)])


@dataclass(frozen=True)
class IntentionRow:
    """One intention on the page: its stored key, its resolved run (or why none), and its realizations."""

    intention: Model
    resolved: ResolvedIntention | None
    realized: int  # every realization of the intention, learners who left since included
    realized_linked: int  # realizations of learners who are linked now
    linked: int

    @property
    def share(self) -> float | None:
        """Percentage of the customer's linked learners this intention enrolled."""
        return round(100 * self.realized_linked / self.linked, 1) if self.linked else None

    @property
    def not_enrolled(self) -> int:
        return max(self.linked - self.realized_linked, 0)

    @property
    def run(self) -> str:
        run = self.resolved.resolution.run if self.resolved else None
        return run.course_run_key if run else ""

    @property
    def problem(self) -> str:
        resolution = self.resolved.resolution if self.resolved else None
        if resolution is None or resolution.run:
            return ""
        reason = resolution.reason.value.replace("_", " ") if resolution.reason else ""
        return f"{reason}: {resolution.message}" if resolution.message else reason


@dataclass(frozen=True)
class ChartBar:
    day: datetime
    count: int
    x: float
    y: float
    width: float
    height: float


def intention_rows(enterprise_customer_uuid, linked: int) -> list[IntentionRow]:
    """
    The customer's live intentions with their realization counts (one query; the realizations are counted by
    field lookups, so edx-enterprise's tables count alike) and resolved runs (one catalog batch).
    """
    intentions = list(
        api.live_intentions(enterprise_customer_uuid)
        .annotate(realized=_realization_count(), realized_linked=_realization_count(_of_linked_learners("")))
        .order_by("content_key")
    )
    resolved = api.resolved_intentions(intentions, with_catalogs=False) if intentions else {}
    return [
        IntentionRow(
            intention=intention,
            resolved=resolved.get(intention.pk),
            realized=intention.realized,
            realized_linked=intention.realized_linked,
            linked=linked,
        )
        for intention in intentions
    ]


def _realization_count(condition: Q | None = None) -> Coalesce:
    """The number of realizations of the outer intention (meeting ``condition``), as a subquery."""
    rows = get_realization_model()._default_manager.filter(intended_enrollment=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    count = rows.order_by().values("intended_enrollment").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(count), 0)


def _of_linked_learners(prefix: str) -> Q:
    """Realizations (reached through ``prefix``) whose learner belongs to the customer now (``membership``)."""
    link = f"{prefix}realized_enrollment__enterprise_customer_user__"
    return Q(**{f"{link}{field}": value for field, value in MEMBERSHIP.items()})


def realizations_per_day(enterprise_customer_uuid, *, days: int = CHART_DAYS, now: datetime | None = None) -> list:
    """
    ``(day start, count)`` for each of the last ``days`` days (today included), in one aggregate query.

    Day boundaries are computed here in the current time zone and compared as instants, so the database needs no
    time zone tables (MariaDB without them turns date truncation into NULL).
    """
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    bounds = [*starts, today + timedelta(days=1)]
    counts = get_realization_model()._default_manager.filter(
        intended_enrollment__enterprise_customer_id=enterprise_customer_uuid, created__gte=bounds[0]
    ).aggregate(
        **{
            f"d{index}": Count("pk", filter=Q(created__gte=bounds[index], created__lt=bounds[index + 1]))
            for index in range(days)
        }
    )
    return [(start, counts[f"d{index}"] or 0) for index, start in enumerate(starts)]


def chart_bars(per_day: list) -> list[ChartBar]:
    """Bars scaled to the tallest day (an empty month draws empty slots, not a division by zero)."""
    tallest = max((count for _, count in per_day), default=0) or 1
    slot = (CHART_WIDTH - 2 * CHART_PADDING) / max(len(per_day), 1)
    drawable = CHART_HEIGHT - 2 * CHART_PADDING
    bars = []
    for index, (day, count) in enumerate(per_day):
        height = round(drawable * count / tallest, 1)
        bars.append(
            ChartBar(
                day=day,
                count=count,
                x=round(CHART_PADDING + index * slot + 1, 1),
                y=round(CHART_HEIGHT - CHART_PADDING - height, 1),
                width=round(max(slot - 2, 1), 1),
                height=height,
            )
        )
    return bars


def overview_context(enterprise_customer_uuid) -> dict:
    """What the page shows, in a fixed number of queries."""
    customer = get_enterprise_customer_model()._default_manager.filter(pk=enterprise_customer_uuid).first()
    if customer is None:
        raise Http404(_("No enterprise customer with this uuid."))
    linked = api.linked_customer_users().filter(enterprise_customer_id=customer.pk).count()
    rows = intention_rows(customer.pk, linked)
    per_day = realizations_per_day(customer.pk)
    return {
        "customer": customer,
        "linked_learners": linked,
        "rows": rows,
        "realized_total": sum(row.realized for row in rows),
        "bars": chart_bars(per_day),
        "chart_total": sum(count for _, count in per_day),
        "chart_days": CHART_DAYS,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "chart_baseline": CHART_HEIGHT - CHART_PADDING,
    }


def runs_context(enterprise_customer_uuid) -> dict:
    """The customer's latest "enroll now" runs (one query) with who started them (one query)."""
    runs = list(BackfillRun.objects.filter(enterprise_customer_uuid=enterprise_customer_uuid)[:RECENT_RUNS])
    starters = {run.started_by_id for run in runs if run.started_by_id}
    names = dict(
        get_user_model()._default_manager.filter(pk__in=starters).values_list("pk", get_user_model().USERNAME_FIELD)
    ) if starters else {}
    finished = next((run for run in runs if run.finished_at), None)
    return {
        "runs": [(run, names.get(run.started_by_id, run.started_by_id or "")) for run in runs],
        "active_run": next((run for run in runs if run.is_active), None),
        "last_finished_run": finished,
        "skip_reasons": sorted(finished.reasons.items()) if finished else [],
    }


class CustomerOverviewAdminMixin:
    """Adds the per-customer overview page to the intentions admin, and a link to it on every row."""

    def get_urls(self):
        overview = self.admin_site.admin_view(self.customer_overview_view)
        enroll = self.admin_site.admin_view(self.enroll_now_view)
        return [
            path("customer/<uuid:enterprise_customer_uuid>/overview/", overview, name=OVERVIEW_URL_NAME),
            path("customer/<uuid:enterprise_customer_uuid>/enroll-now/", enroll, name=ENROLL_NOW_URL_NAME),
            *super().get_urls(),
        ]

    def customer_overview_view(self, request: HttpRequest, enterprise_customer_uuid: UUID) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **overview_context(enterprise_customer_uuid),
            **runs_context(enterprise_customer_uuid),
            "opts": self.model._meta,
            "title": _("Default enrollments overview"),
            "can_enroll_now": self.has_change_permission(request),
        }
        return TemplateResponse(request, "default_enrollments/admin/customer_overview.html", context)

    def enroll_now_view(self, request: HttpRequest, enterprise_customer_uuid: UUID) -> HttpResponse:
        """The overview's button (a POST): queue a run for this customer, then show the overview again."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        if not get_enterprise_customer_model()._default_manager.filter(pk=enterprise_customer_uuid).exists():
            raise Http404(_("No enterprise customer with this uuid."))
        enroll_now(request, [enterprise_customer_uuid])
        return HttpResponseRedirect(overview_url(enterprise_customer_uuid, self.admin_site))

    @admin.display(description=_("overview"))
    def overview(self, obj: Model) -> str:
        return format_html('<a href="{}">{}</a>', overview_url(obj.enterprise_customer_id), _("customer overview"))
