"""
``manage.py seed_demo``: the demo's customer, two default enrollment intentions, a linked learner and a staff user.

Idempotent: re-running keeps existing rows (and a restored intention stays restored), so ``make demo`` can be
run again without losing what was realized.
"""
from __future__ import annotations

from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from default_enrollments.models import (
    DefaultEnterpriseEnrollmentIntention,
    get_enterprise_customer_model,
    get_enterprise_customer_user_model,
)

# The static catalog fixture gives this customer a catalog that holds the demo courses.
DEMO_CUSTOMER_UUID = UUID("d3f0a1e5-0000-4000-8000-000000000001")
DEMO_CUSTOMER_NAME = "Demo Enterprise"
DEMO_CUSTOMER_SLUG = "demo-enterprise"
# One course (enroll in its advertised run) and one explicit run that is not the advertised one, both in the
# static fixture (whose catalog "*" belongs to every customer).
DEMO_CONTENT_KEYS = ("edX+DemoX", "course-v1:edX+E2E-101+Honor")

LEARNER = {"username": "learner", "email": "learner@example.com", "password": "learner"}
STAFF = {"username": "staff", "email": "staff@example.com", "password": "staff"}

BANNER = f"""
  Log in as the learner, which enrolls them:  {{base}}/login/   {LEARNER["username"]} / {LEARNER["password"]}
  Their enrollments afterwards:               {{base}}/
  Admin (intentions, realizations):           {{base}}/admin/   {STAFF["username"]} / {STAFF["password"]}
  REST API (as staff or the learner):         {{base}}/enterprise/api/v1/default-enterprise-enrollment-intentions/\
learner-status/?enterprise_customer_uuid={{customer.uuid}}
"""


class Command(BaseCommand):
    help = "Create (or keep) the demo customer, its default enrollment intentions, a linked learner and a staff user."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing but errors.")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the dev server listens.")

    @transaction.atomic
    def handle(self, *args, quiet: bool = False, **options) -> None:
        customer, _ = get_enterprise_customer_model()._default_manager.get_or_create(
            uuid=DEMO_CUSTOMER_UUID,
            defaults={"name": DEMO_CUSTOMER_NAME, "slug": DEMO_CUSTOMER_SLUG, "active": True},
        )
        created_intentions = 0
        for content_key in DEMO_CONTENT_KEYS:
            # all_objects: a removed intention is left removed; the operator decides, not the seed.
            _, created = DefaultEnterpriseEnrollmentIntention.all_objects.get_or_create(
                enterprise_customer=customer, content_key=content_key
            )
            created_intentions += created

        learner = self._user(LEARNER, is_staff=False)
        self._user(STAFF, is_staff=True)
        link = self._link(customer, learner)

        if not quiet:
            self.stdout.write(
                f"Demo data ready: customer {customer.name} ({customer.uuid}), "
                f"{len(DEMO_CONTENT_KEYS)} intentions ({created_intentions} new), "
                f"learner linked: {link.active and link.linked}."
            )
            self.stdout.write(BANNER.format(base=options.get("base_url") or "http://127.0.0.1:8000", customer=customer))

    def _link(self, customer, learner):
        """
        Link the learner to the customer without sending ``post_save``: a new link would realize at once, and
        the demo's story is that the learner's first login does it.
        """
        links = get_enterprise_customer_user_model()._default_manager
        link = links.filter(enterprise_customer=customer, user_id=learner.pk).first()
        if link is None:
            [link] = links.bulk_create([links.model(enterprise_customer=customer, user_id=learner.pk)])
        return link

    def _user(self, spec: dict, *, is_staff: bool):
        """Get or create a user; the password is (re)set so the printed credentials always work."""
        user, _ = get_user_model()._default_manager.get_or_create(
            username=spec["username"],
            defaults={"email": spec["email"], "is_staff": is_staff, "is_superuser": is_staff},
        )
        if not user.check_password(spec["password"]):
            user.set_password(spec["password"])
            user.save(update_fields=["password"])
        return user
