"""What the app's admins share: the optional djangoql search, page batching, links to other admin pages."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

logger = logging.getLogger("default_enrollments.admin")

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


class PageRows(threading.local):
    """What one request computed for the rows it renders (catalog answers, learners), for this thread only."""

    def __init__(self) -> None:
        self.rows: dict = {}

    def get(self, key: Hashable, compute: Callable[[], object]):
        """The batch's answer for ``key``; a row outside the batch (a change page) is computed alone."""
        if key not in self.rows:
            self.rows[key] = compute()
        return self.rows[key]


class PageBatchedAdminMixin:
    """
    List pages compute their rows' extra answers in one batch (``prepare_page`` fills ``page_rows``) and the
    columns read them from there; nothing is set on the model instances. Each request starts afresh.
    """

    page_rows: PageRows

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.page_rows = PageRows()

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[PageBatchedChangeList]:
        return PageBatchedChangeList

    def changelist_view(self, request: HttpRequest, extra_context=None):
        self.page_rows.rows = {}
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request: HttpRequest, *args, **kwargs):
        self.page_rows.rows = {}
        return super().changeform_view(request, *args, **kwargs)

    def prepare_page(self, request: HttpRequest, rows: list) -> None:
        """Fill ``page_rows`` for the page's rows in one batch."""


def djangoql_search(model_admin: admin.ModelAdmin, request: HttpRequest) -> bool:
    """Whether this request's search box holds a djangoql query rather than plain words."""
    return DJANGOQL_ENABLED and model_admin.djangoql_search_enabled(request)


def admin_change_url(instance, site: admin.AdminSite = admin.site) -> str | None:
    """The admin change page of ``instance`` when its model is registered, else None."""
    if instance is None or type(instance) not in site._registry:
        return None
    opts = instance._meta
    try:
        return reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    except NoReverseMatch:
        return None


def link(instance, label: str | None = None) -> str:
    """``instance`` (or ``label``) linked to its admin page when it has one."""
    label = str(instance) if label is None else label
    url = admin_change_url(instance)
    return format_html('<a href="{}">{}</a>', url, label) if url else label


def log_intention(event: str, request: HttpRequest, intention) -> None:
    """One structured line per operator change to an intention: who, which intention, which customer."""
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
