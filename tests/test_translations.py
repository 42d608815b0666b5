"""
An operator whose admin speaks another language reads the app's pages (and API errors) in it, given a catalog.

The French catalog here is deliberately tiny and lives in this module: it is written as a ``.mo`` file (the
only form Django reads) into a temporary ``LOCALE_PATHS`` directory by a few lines of Python, so the test needs
neither GNU gettext nor a committed binary. Its messages must also be in the app's extracted catalog, so the
test breaks when the source strings drift away from what translators were given.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from tests.catalog_server import course_run
from tests.factories import DefaultEnterpriseEnrollmentIntentionFactory, EnterpriseCustomerFactory, StaffUserFactory

EXTRACTED_CATALOG = Path(__file__).resolve().parent.parent / "default_enrollments/locale/en/LC_MESSAGES/django.po"

FRENCH = {
    "customer": "client",
    "resolved run": "session résolue",
    "best mode": "meilleur mode",
    "realized enrollments": "inscriptions réalisées",
    "removed": "supprimée",
    "default enrollment intention": "intention d’inscription par défaut",
    "default enrollment intentions": "intentions d’inscription par défaut",
    "Customer uuid or name, course key or course run key.": "UUID ou nom du client, clé de cours ou de session.",
    "Restore selected removed intentions": "Restaurer les intentions supprimées sélectionnées",
    "enterprise_customer_uuid is a required query parameter.": (
        "enterprise_customer_uuid est un paramètre de requête obligatoire."
    ),
}

HEADER = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n > 1);\n"


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU ``.mo`` file (magic, counts, two offset tables, then the strings), the layout ``msgfmt`` writes."""
    entries = sorted({"": HEADER, **messages}.items())
    ids = [key.encode() for key, _ in entries]
    strs = [value.encode() for _, value in entries]
    count = len(entries)
    header_size = 7 * 4
    table_size = count * 8
    data_start = header_size + 2 * table_size
    offsets, data = [], b""
    for text in ids + strs:
        offsets.append((len(text), data_start + len(data)))
        data += text + b"\0"
    tables = b"".join(struct.pack("<II", length, offset) for length, offset in offsets)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        struct.pack("<7I", 0x950412DE, 0, count, header_size, header_size + table_size, 0, data_start)
        + tables
        + data
    )


@pytest.fixture
def french_catalog(settings, tmp_path):
    """The catalog above as the host's ``LOCALE_PATHS`` (changing the setting drops Django's cached catalogs)."""
    write_mo(tmp_path / "fr/LC_MESSAGES/django.mo", FRENCH)
    settings.LOCALE_PATHS = [str(tmp_path)]
    return FRENCH


@pytest.fixture
def intention(catalog_server):
    run = "course-v1:edX+DemoX+Demo_Course"
    catalog_server.add_course("edX+DemoX", runs=[course_run(run, seats=("audit", "verified"))], advertised=run)
    customer = EnterpriseCustomerFactory(name="Acme Learning")
    catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    return DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")


@pytest.mark.django_db
def test_the_intention_list_speaks_the_operators_language(client, french_catalog, intention):
    client.force_login(StaffUserFactory())
    url = reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist")

    with translation.override("fr"):
        response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    # Column headings (the admin capitalizes their first letter), the filter, the search help and the action.
    for heading in ("Client", "Session résolue", "Meilleur mode", "Inscriptions réalisées"):
        assert f">{heading}<" in page, heading
    assert "Par supprimée" in page  # Django's own "By %(filter_title)s", in French
    assert "UUID ou nom du client, clé de cours ou de session." in page
    assert "Restaurer les intentions supprimées sélectionnées" in page
    # The model's name in Django's own French title, and the rows themselves untouched.
    assert "intention d’inscription par défaut" in page
    assert "edX+DemoX" in page and "Acme Learning" in page
    assert ">Resolved run<" not in page


@pytest.mark.django_db
def test_the_same_page_stays_english_without_a_language(client, french_catalog, intention):
    client.force_login(StaffUserFactory())

    page = client.get(reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"))

    assert ">Resolved run<" in page.content.decode()
    assert "Session résolue" not in page.content.decode()


def test_the_test_catalog_translates_messages_of_the_extracted_catalog():
    """``make extract_translations`` wrote these msgids; a renamed source string must be renamed here too."""
    extracted = set(re.findall(r'^msgid "(.+)"$', EXTRACTED_CATALOG.read_text(encoding="utf-8"), re.MULTILINE))

    assert sorted(set(FRENCH) - extracted) == []


@pytest.mark.django_db
def test_an_api_error_detail_speaks_the_callers_language(client, french_catalog):
    client.force_login(StaffUserFactory())

    with translation.override("fr"):
        response = client.get(reverse("default_enrollments:default-enterprise-enrollment-intentions-list"))

    assert response.status_code == 400
    assert response.json() == {"detail": "enterprise_customer_uuid est un paramètre de requête obligatoire."}
