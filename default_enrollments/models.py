"""
The app's models and the accessors for the host's enterprise models.

Host models are swappable (like ``AUTH_USER_MODEL``): always reach them through the
``get_*_model()`` accessors below, never by importing a class.
"""
from __future__ import annotations

from uuid import uuid4

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
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
    licensed_enrollment_model_label,
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


def get_licensed_enrollment_model() -> type[models.Model] | None:
    """
    The host's license fulfillment model (``DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL``), or
    None when the host keeps none: then no license is recorded.
    """
    label = licensed_enrollment_model_label()
    return apps.get_model(label, require_ready=False) if label else None


def get_enrollment_source_model() -> type[models.Model] | None:
    """The model the host's enterprise enrollment names its ``source`` with, or None when it has no source."""
    try:
        field = get_enterprise_course_enrollment_model()._meta.get_field("source")
    except FieldDoesNotExist:
        return None
    return field.related_model if field.is_relation else None


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
        verbose_name=_("enterprise customer"),
        help_text=_("The customer whose learners are enrolled."),
    )
    content_key = models.CharField(
        max_length=255,
        verbose_name=_("content key"),
        help_text=_("A course key (edX+DemoX: its advertised run) or a course run key (course-v1:edX+DemoX+2T2024)."),
    )
    content_type = models.CharField(
        max_length=16,
        choices=[(ContentType.COURSE.value, _("Course")), (ContentType.COURSE_RUN.value, _("Course run"))],
        editable=False,
        verbose_name=_("content type"),
        help_text=_("Derived from the key's syntax on save."),
    )

    objects = SoftDeletableManager()
    available_objects = SoftDeletableManager()
    all_objects = models.Manager()
    history = SwappableHistoricalRecords()

    class Meta:
        swappable = INTENTION_MODEL_SETTING
        verbose_name = _("default enrollment intention")
        verbose_name_plural = _("default enrollment intentions")
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
                violation_error_message=_("An intention for this key, in some letter case, already exists "
                "for this customer."),
            ),
        ]

    def __str__(self) -> str:
        removed = " " + _("(removed)") if self.is_removed else ""
        names = {"key": self.content_key, "customer": self.enterprise_customer_id}
        return _("%(key)s for customer %(customer)s") % names + removed

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
        self._keep_customer_of_realized()
        if not self.content_key:
            # Left empty, or cleared by a form whose field refused it (too long): that field's own error says so,
            # and a second "neither a course key…" on the empty value would only confuse.
            return
        self._derive_content_type()
        self._reject_twin()
        self._require_catalog_run()

    def _keep_customer_of_realized(self) -> None:
        """
        An intention that has realizations stays with its customer: those enrollments are that customer's
        learners', and moving the row would credit them to another customer. A new intention is the way.
        """
        if self._state.adding or not self.enterprise_customer_id:
            return
        stored = type(self).all_objects.filter(pk=self.pk).values_list("enterprise_customer_id", flat=True).first()
        if stored is None or stored == self.enterprise_customer_id or not self.realizations.exists():
            return
        raise ValidationError(
            {
                "enterprise_customer": _(
                    "This intention has realizations for its customer's learners, so it cannot move to another "
                    "customer. Add an intention for the other customer instead."
                )
            },
            code="realized_customer",
        )

    def _require_catalog_run(self) -> None:
        """The key must lead to a concrete run in the catalog; checked here only, never in ``save()``."""
        resolution = resolve_intentions([self])[self.uuid]
        if resolution.is_resolved:
            return
        if resolution.reason == Reason.CATALOG_UNAVAILABLE:
            raise ValidationError(
                {
                    "content_key": _("The catalog could not be reached to check %(key)s; "
                    "nothing was saved. Try again in a moment.") % {"key": repr(self.content_key)}
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
                _("A removed intention for {} already exists for this customer ({}). Restore it instead."),
                twin.content_key,
                where,
            )
            raise ValidationError({"content_key": message}, code="removed_twin")
        case_note = ""
        if twin.content_key != self.content_key:
            case_note = " " + _("Keys that differ only in letter case name the same course.")
        message = format_html(
            _("An intention for {} already exists for this customer ({}).{}"), twin.content_key, where, case_note
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
        verbose_name=_("intended enrollment"),
    )
    realized_enrollment = models.OneToOneField(
        host_model_label(COURSE_ENROLLMENT_MODEL_SETTING),
        on_delete=models.CASCADE,
        related_name="default_enrollment_realization",
        verbose_name=_("realized enrollment"),
    )
    history = SwappableHistoricalRecords()

    class Meta:
        swappable = REALIZATION_MODEL_SETTING
        verbose_name = _("default enrollment realization")
        verbose_name_plural = _("default enrollment realizations")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return _("%(intention)s -> enrollment %(enrollment)s") % {
            "intention": self.intended_enrollment_id,
            "enrollment": self.realized_enrollment_id,
        }


class CustomerOptOut(TimeStampedModel):
    """
    A customer whose learners are not realized: their intentions stay, nothing is enrolled until the row is removed.

    Keyed by the customer's uuid, not a foreign key, so it works whichever host models and intention tables are in
    use. Read at the start of each realization (``toggles``), so adding or removing a row needs no restart.

    .. no_pii:
    """

    enterprise_customer_uuid = models.UUIDField(
        unique=True,
        verbose_name=_("enterprise customer UUID"),
        help_text=_("No default enrollment is realized for this customer's learners while this opt-out exists."),
    )
    reason = models.CharField(
        max_length=255,
        blank=True,
        verbose_name=_("reason"),
        help_text=_("Why the customer opted out, for the next operator who reads this."),
    )

    class Meta:
        verbose_name = _("customer opt-out")
        verbose_name_plural = _("customer opt-outs")
        ordering = ["-created", "id"]

    def __str__(self) -> str:
        return str(self.enterprise_customer_uuid)


class BackfillRun(TimeStampedModel):
    """
    One "enroll linked learners now" run for one customer: who started it, where it is, what it did.

    Stored here rather than in Celery's results so the admin can show progress whatever result backend the host
    runs. ``running_for`` holds the customer's uuid while the run is queued or running and is cleared when it ends;
    its unique constraint (NULLs never collide) is what allows one active run per customer on every database.
    The customer is a plain uuid, not a foreign key, so the row works whichever customer model is in use.

    .. no_pii:
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    id = models.BigAutoField(primary_key=True)
    enterprise_customer_uuid = models.UUIDField(db_index=True, help_text=_("The customer whose learners are enrolled."))
    running_for = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    started_by_id = models.PositiveIntegerField(null=True, blank=True, help_text=_("Id of the user who started it."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    learners_total = models.PositiveIntegerField(default=0)
    learners_done = models.PositiveIntegerField(default=0)
    outcomes = models.JSONField(default=dict, blank=True, help_text=_("Count of (learner, intention) outcomes."))
    reasons = models.JSONField(default=dict, blank=True, help_text=_("Count of the reasons given for skips."))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enroll-now run")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise_customer_uuid} {self.status} ({self.learners_done}/{self.learners_total})"

    @property
    def is_active(self) -> bool:
        return self.running_for is not None
