"""
Apply this app's migrations to a fresh database of the edx-enterprise host, reverse them, then drop the database.

``DB_ENGINE`` picks the server and ``TEST_DB_SUFFIX`` the database name, as for the tests. Only our two apps and
what they depend on (edx-enterprise's first migration, auth, sites, ...) are migrated: the test suite builds its
tables from the models, because one of edx-enterprise's own later migrations (blackboard 0025, a MariaDB-only
step) names a table that does not exist and stops a full ``migrate`` on MariaDB.

Run: ``DJANGO_SETTINGS_MODULE=tests.settings_edx_enterprise python -m tests.edx_enterprise.check_migrations``
"""
import sys

import django
from django.core.management import call_command
from django.db import connection

OUR_TABLES = {
    "default_enrollments_defaultenterpriseenrollmentintention",
    "default_enrollments_defaultenterpriseenrollmentrealization",
}


def main() -> int:
    django.setup()
    creation = connection.creation
    original_name = connection.settings_dict["NAME"]
    test_name = creation._create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    connection.close()
    connection.settings_dict["NAME"] = test_name
    try:
        # Django's own apps first, to their latest state: post_migrate writes permission names that only fit
        # the columns of later auth migrations.
        for app_label in ("contenttypes", "auth", "sites", "default_enrollments", "default_enrollments_reference"):
            call_command("migrate", app_label, verbosity=0, interactive=False)
        tables = set(connection.introspection.table_names())
        missing = OUR_TABLES - tables
        if missing:
            print(f"migrate left out {sorted(missing)}", file=sys.stderr)
            return 1
        swapped_out = {t for t in tables if t.startswith(("default_enrollments_reference_enterprisec",
                                                          "default_enrollments_reference_licensed"))}
        if swapped_out:
            print(f"swapped-out reference models got tables: {sorted(swapped_out)}", file=sys.stderr)
            return 1
        call_command("migrate", "default_enrollments", "zero", verbosity=0, interactive=False)
        if OUR_TABLES & set(connection.introspection.table_names()):
            print("migrating default_enrollments to zero left its tables behind", file=sys.stderr)
            return 1
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
        creation._destroy_test_db(test_name, verbosity=0)
    print(f"migrations apply and reverse on {connection.vendor} with edx-enterprise's models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
