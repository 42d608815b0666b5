"""
The app's two models and the accessors for the host's enterprise models.

Host models are swappable (like ``AUTH_USER_MODEL``): always reach them through the
``get_*_model()`` accessors below, never by importing a class.
"""
from __future__ import annotations

from uuid import uuid4

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from model_utils.managers import SoftDeletableManager
from model_utils.models import SoftDeletableModel, TimeStampedModel
from simple_history.models import HistoricalRecords

from default_enrollments.catalog.batch import resolve_intentions
from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    CUSTOMER_USER_MODEL_SETTING,
    INTENTION_MODEL_SETTING,
    REALIZATION_MODEL_SETTING,
    app_model_label,
    host_model_label,
    intentions_related_name,
)
from default_enrollments.data import ContentType, Reason
from default_enrollments.keys import MalformedKey, content_type_for_key


def get_enterprise_customer_model() -> type[models.Model]:
    """The host's enterprise customer model (``DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL``)."""
    return apps.get_model(host_model_label(CUSTOMER_MODEL_SETTING), require_ready=False)


def get_enterprise_customer_user_model() -> type[models.Model]:
    """The host's customer-user link model (``DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL``)."""
    return apps.get_model(host_model_label(CUSTOMER_USER_MODEL_SETTING), require_ready=False)


def get_enterprise_course_enrollment_model() -> type[models.Model]:
    """The host's enterprise enrollment model (``DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL``)."""
    return apps.get_model(host_model_label(COURSE_ENROLLMENT_MODEL_SETTING), require_ready=False)


def get_intention_model() -> type[models.Model]:
    """
    The intention model (``DEFAULT_ENROLLMENTS_INTENTION_MODEL``): ours, or edx-enterprise's.

    Reach its rows through ``available_objects`` (live) and ``all_objects`` (removed too), never through a
    reverse accessor, its catalog-backed properties or its ``save()``: edx-enterprise's calls its catalog.
    """
    return apps.get_model(app_model_label(INTENTION_MODEL_SETTING), require_ready=False)


def get_realization_model() -> type[models.Model]:
    """The realization model (``DEFAULT_ENROLLMENTS_REALIZATION_MODEL``): ours, or edx-enterprise's."""
    return apps.get_model(app_model_label(REALIZATION_MODEL_SETTING), require_ready=False)


class SwappableHistoricalRecords(HistoricalRecords):
    """
    History that is swapped out with its model: when the intention and realization settings name other
    models, the app's historical models are swapped out too (no checks on their foreign keys to a swapped
    model, no registration under ``apps.get_models()``); their tables, created by ``0001``, stay empty.
    """

    def get_meta_options(self, model) -> dict:
        options = super().get_meta_options(model)
        if model._meta.swapped:
            options["swappable"] = model._meta.swappable
        return options


class CaseInsensitiveUniqueConstraint(models.UniqueConstraint):
    """
    A unique constraint on expressions (``Lower(...)``) that is quiet where the database cannot index them.

    Django creates it where the database indexes expressions (PostgreSQL, SQLite, MySQL 8.0.13+) and skips it
    elsewhere (MariaDB) with warning models.W044 at every ``migrate``. On MariaDB the tables' ``_ci`` collations
    already compare keys case-insensitively, so the plain unique constraint on the same columns refuses case
    variants there, and the warning would only alarm operators. (``_check`` is the per-constraint check of
    Django 5.1+; Django 4.2 checks constraints in the model and still warns.)
    """

    def _check(self, model, connection) -> list:
        return [issue for issue in super()._check(model, connection) if issue.id != "models.W044"]


class DefaultEnterpriseEnrollmentIntention(TimeStampedModel, SoftDeletableModel):
    """
    A course (its advertised run) or one course run that a customer's learners are enrolled in on login.

    ``save()`` never calls the catalog: an intention whose course vanished must stay editable and
    removable. Catalog checks happen in ``clean()`` and at realization time.

    .. no_pii:
    """

    uuid = models.UUIDField(primary_key=True, default=uuid4, editable=False)
    enterprise_customer = models.ForeignKey(
        host_model_label(CUSTOMER_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name=intentions_related_name(),
        help_text="The customer whose learners are enrolled.",
    )
    content_key = models.CharField(
        max_length=255,
        help_text="A course key (edX+DemoX: its advertised run) or a course run key (course-v1:edX+DemoX+2T2024).",
    )
    content_type = models.CharField(
        max_length=16,
        choices=[(choice.value, choice.name.replace("_", " ").capitalize()) for choice in ContentType],
        editable=False,
        help_text="Derived from the key's syntax on save.",
    )

    objects = SoftDeletableManager()
    available_objects = SoftDeletableManager()
    all_objects = models.Manager()
    history = SwappableHistoricalRecords()

    class Meta:
        swappable = INTENTION_MODEL_SETTING
        verbose_name = "default enrollment intention"
        ordering = ["enterprise_customer_id", "content_key", "uuid"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise_customer", "content_key"],
                name="default_enrollments_unique_intention",
            ),
            CaseInsensitiveUniqueConstraint(
                "enterprise_customer",
                Lower("content_key"),
                name="default_enrollments_unique_intention_ci",
                violation_error_message="An intention for this key, in some letter case, already exists "
                "for this customer.",
            ),
        ]

    def __str__(self) -> str:
        removed = " (removed)" if self.is_removed else ""
        return f"{self.content_key} for customer {self.enterprise_customer_id}{removed}"

    def save(self, *args, **kwargs) -> None:
        self._derive_content_type()
        super().save(*args, **kwargs)

    def _derive_content_type(self) -> None:
        """The key, trimmed, decides the type; a malformed key is the operator's error on that field."""
        self.content_key = (self.content_key or "").strip()
        try:
            self.content_type = content_type_for_key(self.content_key)
        except MalformedKey as exc:
            raise ValidationError({"content_key": str(exc)}) from exc

    def clean(self) -> None:
        super().clean()
        self._derive_content_type()
        self._reject_twin()
        self._require_catalog_run()

    def _require_catalog_run(self) -> None:
        """The key must lead to a concrete run in the catalog; checked here only, never in ``save()``."""
        resolution = resolve_intentions([self])[self.uuid]
        if resolution.is_resolved:
            return
        if resolution.reason == Reason.CATALOG_UNAVAILABLE:
            raise ValidationError(
                {
                    "content_key": f"The catalog could not be reached to check {self.content_key!r}; "
                    f"nothing was saved. Try again in a moment."
                },
                code=Reason.CATALOG_UNAVAILABLE.value,
            )
        raise ValidationError({"content_key": resolution.message}, code=str(resolution.reason))

    def _reject_twin(self) -> None:
        """
        One row per customer and key, whatever the letter case, removed rows included (as the constraints).

        Checked before the catalog is asked, so the operator reads "already exists" and is pointed at that row
        (to restore it when it was removed), not at a catalog message about the twin's spelling.
        """
        if not self.enterprise_customer_id or not self.content_key:
            return
        twin = (
            type(self).all_objects.alias(lowered_key=Lower("content_key"))
            .filter(enterprise_customer_id=self.enterprise_customer_id, lowered_key=Lower(Value(self.content_key)))
            .exclude(pk=self.pk)
            .order_by("is_removed", "content_key")
            .first()
        )
        if twin is None:
            return
        try:
            url = reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_change", args=[twin.pk])
        except NoReverseMatch:
            url = ""
        where = format_html('<a href="{}">{}</a>', url, twin.pk) if url else str(twin.pk)
        if twin.is_removed:
            message = format_html(
                "A removed intention for {} already exists for this customer ({}). Restore it instead.",
                twin.content_key,
                where,
            )
            raise ValidationError({"content_key": message}, code="removed_twin")
        case_note = ""
        if twin.content_key != self.content_key:
            case_note = " Keys that differ only in letter case name the same course."
        message = format_html(
            "An intention for {} already exists for this customer ({}).{}", twin.content_key, where, case_note
        )
        raise ValidationError({"content_key": message}, code="twin")


class DefaultEnterpriseEnrollmentRealization(TimeStampedModel):
    """
    Provenance: this host course enrollment exists because of that intention.

    One-to-one with the enrollment row, so a second worker realizing the same (learner, run)
    fails on the constraint instead of writing a duplicate.

    .. no_pii:
    """

    intended_enrollment = models.ForeignKey(
        DefaultEnterpriseEnrollmentIntention,
        on_delete=models.CASCADE,
        related_name="realizations",
    )
    realized_enrollment = models.OneToOneField(
        host_model_label(COURSE_ENROLLMENT_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name="default_enrollment_realization",
    )
    history = SwappableHistoricalRecords()

    class Meta:
        swappable = REALIZATION_MODEL_SETTING
        verbose_name = "default enrollment realization"
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.intended_enrollment_id} -> enrollment {self.realized_enrollment_id}"
