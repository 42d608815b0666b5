"""What the app's admins share: the optional djangoql search, page batching, links to other admin pages."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest
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


def is_object_id(model: type[Model], object_id: str) -> bool:
    """
    Whether ``object_id`` (from a URL, still quoted) can be a primary key of ``model`` at all.

    Django's lookups raise on one that cannot (a UUID field given ``not-a-uuid``, an integer beyond the
    column's range), and some admin views (history, object actions) do not catch that: they answered 500.
    """
    pk = model._meta.pk
    try:
        pk.run_validators(pk.to_python(unquote(object_id)))
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    return True


def object_id_or_404(model: type[Model], object_id: str) -> None:
    """Not found, before any lookup, when ``object_id`` cannot name a row of ``model``."""
    if not is_object_id(model, object_id):
        raise Http404


class ObjectIdAutocompleteSelect(AutocompleteSelect):
    """
    Django's autocomplete widget, re-rendering a refused form: it looks the submitted value up to show its label,
    and a value that cannot be a key of the related model (``not-a-uuid``) raised there. It shows nothing instead.
    """

    def optgroups(self, name: str, value: list, attr=None) -> list:
        model = self.field.remote_field.model
        return super().optgroups(name, [item for item in value if is_object_id(model, str(item))], attr)


class ObjectIdAdminMixin:
    """
    Every admin URL that names a row (change, delete, history, a history version) answers a malformed id as a
    missing row: change and delete as Django does (back to the index, with a message), history with 404. A
    malformed id typed into an autocompleted field is that field's error only.
    """

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ObjectIdAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        if from_field is None and not is_object_id(self.model, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        object_id_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        object_id_or_404(self.model, object_id)
        object_id_or_404(self.model.history.model, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


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
