"""
Soft delete in the admin: "delete" hides a row (history and realizations stay), "restore" brings it back.

The restore button on a removed row's change page is a django-object-actions change action (POST only);
the changelist has a bulk "restore" action too.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import re_path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_object_actions import DjangoObjectActions, action
from django_object_actions.utils import ChangeActionView

from default_enrollments.admin.common import is_object_id, link, log_intention, object_id_or_404


class RemovedListFilter(admin.BooleanFieldListFilter):
    """The soft-delete flag, titled as operators say it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("removed")


class _AnyRowActionView(ChangeActionView):
    """Finds removed rows too: the model's default manager hides them, and restoring is for exactly those."""

    def get_queryset(self) -> QuerySet:
        return self.model.all_objects.all()

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        object_id_or_404(self.model, self.kwargs[self.pk_url_kwarg])
        return super().get_object(queryset)


class SoftDeleteAdminMixin(DjangoObjectActions):
    """For a django-model-utils ``SoftDeletableModel`` with an ``all_objects`` manager."""

    change_actions = ("restore",)
    actions = ("restore_selected",)
    # Django's own list page: this mixin has no list-wide object actions, and the change form that renders the
    # restore button is the model admin's own, so hosts need not add django_object_actions to INSTALLED_APPS.
    change_list_template = None

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        """Soft delete: the row stays (with its realizations and history) and can be restored."""
        obj.delete()
        log_intention("intention_removed", request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Soft delete row by row, so each one gets its history record; all or nothing."""
        with transaction.atomic():
            for obj in queryset.filter(is_removed=False):
                obj.delete()
                log_intention("intention_removed", request, obj)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Nothing cascades on a soft delete, so the confirmation lists only the rows themselves."""
        objs = list(objs)
        return [link(obj) for obj in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    @admin.action(description=_("Restore selected removed intentions"), permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            restored = [self._restore(request, obj) for obj in queryset.filter(is_removed=True)]
        if restored:
            self.message_user(
                request,
                ngettext("Restored %(count)d intention.", "Restored %(count)d intentions.", len(restored))
                % {"count": len(restored)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, gettext("None of the selected intentions was removed."), messages.WARNING)

    @action(
        label=_("Restore"), description=_("Bring this removed intention back"), methods=("POST",), button_type="form"
    )
    def restore(self, request: HttpRequest, obj: Model) -> None:
        """Restore one removed row from its change page (where a removed twin's error links to)."""
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if obj.is_removed:
            with transaction.atomic():
                self._restore(request, obj)
            self.message_user(request, gettext("Restored “%(object)s”.") % {"object": obj}, messages.SUCCESS)
        else:
            self.message_user(request, gettext("“%(object)s” was not removed.") % {"object": obj}, messages.WARNING)

    def get_change_actions(self, request: HttpRequest, object_id: str, form_url: str) -> tuple[str, ...]:
        """The restore button shows on removed rows, for those who may change them."""
        obj = self.model.all_objects.filter(pk=object_id).first() if is_object_id(self.model, object_id) else None
        if obj is None or not obj.is_removed or not self.has_change_permission(request, obj):
            return ()
        return super().get_change_actions(request, object_id, form_url)

    def _get_action_urls(self) -> list:
        """django-object-actions' change-action route, looking rows up among removed ones too."""
        opts = self.model._meta
        base = f"{opts.app_label}_{opts.model_name}"
        self.tools_view_name = f"admin:{base}_actions"
        view = _AnyRowActionView.as_view(
            model=self.model,
            actions={name: getattr(self, name) for name in self.change_actions},
            back=f"admin:{base}_change",
            current_app=self.admin_site.name,
        )
        route = r"^(?P<pk>.+)/actions/(?P<tool>\w+)/$"
        return [re_path(route, self.admin_site.admin_view(view), name=f"{base}_actions")]

    def _restore(self, request: HttpRequest, obj: Model) -> Model:
        obj.is_removed = False
        obj.save(update_fields=["is_removed", "modified"])
        log_intention("intention_restored", request, obj)
        return obj
