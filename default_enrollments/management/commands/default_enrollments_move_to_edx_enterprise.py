"""
``manage.py default_enrollments_move_to_edx_enterprise``: copy the app's own intentions and realizations into
edx-enterprise's tables, once the two model settings name edx-enterprise's models.

A dry run unless ``--commit`` is given: read what would move first. See ``default_enrollments.table_move``.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from default_enrollments.conf import app_models_swapped
from default_enrollments.table_move import move_all, old_tables_exist


class Command(BaseCommand):
    help = _(
        "Copy default enrollment intentions and realizations from this app's own tables into the tables of the "
        "models DEFAULT_ENROLLMENTS_INTENTION_MODEL and DEFAULT_ENROLLMENTS_REALIZATION_MODEL name "
        "(edx-enterprise's). A dry run unless --commit is given; one transaction per customer; safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commit", action="store_true", help=_("Write the rows (default: a dry run)."))

    def handle(self, *args, **options):
        if not app_models_swapped():
            raise CommandError(_(
                "DEFAULT_ENROLLMENTS_INTENTION_MODEL names this app's own model: set it and "
                "DEFAULT_ENROLLMENTS_REALIZATION_MODEL to edx-enterprise's models first, then migrate."
            ))
        if not old_tables_exist():
            self.stdout.write(_("This database has no tables of the app's own intentions: nothing to move."))
            return
        dry_run = not options["commit"]
        total, by_customer = move_all(dry_run=dry_run)
        for customer, report in by_customer.items():
            self.stdout.write(_(
                "customer %(customer)s: %(copied)s intentions to copy, %(kept)s already there; %(realizations)s "
                "realizations to copy, %(present)s already there"
            ) % {"customer": customer, "copied": report.intentions_copied, "kept": report.intentions_kept,
                 "realizations": report.realizations_copied, "present": report.realizations_present})
        for line in total.left_alone:
            self.stdout.write(_("left alone: %(what)s") % {"what": line})
        summary = _(
            "%(customers)s customers: %(copied)s intentions and %(realizations)s realizations %(verb)s; "
            "%(kept)s intentions and %(present)s realizations were already there; %(left)s enrollments left alone."
        ) % {
            "customers": total.customers, "copied": total.intentions_copied,
            "realizations": total.realizations_copied,
            "verb": _("would be copied (dry run: nothing written; add --commit)") if dry_run else _("copied"),
            "kept": total.intentions_kept, "present": total.realizations_present, "left": len(total.left_alone),
        }
        self.stdout.write(summary)
