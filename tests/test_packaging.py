"""
The wheel a host installs: it carries every file of the package a running LMS reads, and metadata that names the
license, the supported Python and the optional djangoql extra.

The wheel is built once per session with ``python -m build`` into a temporary directory. ``make check-wheel``
goes further: it installs that wheel into a fresh virtualenv and runs the demo settings' checks.
"""
from __future__ import annotations

import email
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO_ROOT / "default_enrollments"

pytestmark = pytest.mark.skipif(
    os.environ.get("DB_ENGINE", "sqlite") != "sqlite",
    reason="the wheel does not depend on the database; the SQLite leg checks it",
)

# What a host cannot run without, named so that a failure says what went missing.
NEEDED = [
    "default_enrollments/migrations/0001_initial.py",
    "default_enrollments/contrib/reference_host/migrations/0001_initial.py",
    "default_enrollments/contrib/reference_host/fixtures/demo_catalog.json",
    "default_enrollments/settings/common.py",
    "default_enrollments/templates/default_enrollments/admin/intention_change_form.html",
    "default_enrollments/locale/en/LC_MESSAGES/django.po",
]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    outdir = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(REPO_ROOT)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    (path,) = outdir.glob("default_enrollments-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(wheel.read(name))


def test_the_wheel_carries_what_a_host_needs(wheel):
    names = set(wheel.namelist())

    assert [path for path in NEEDED if path not in names] == []


def test_the_wheel_carries_every_file_of_the_package(wheel):
    """Migrations, templates, static files, message catalogs, fixtures: whatever lies in the package ships."""
    source = {
        path.relative_to(REPO_ROOT).as_posix()
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }

    assert sorted(source - set(wheel.namelist())) == []


def test_the_metadata_names_the_license_and_python_312(wheel):
    meta = metadata(wheel)
    license_files = [name for name in wheel.namelist() if name.endswith(".dist-info/licenses/LICENSE")]

    assert meta["License"] == "AGPL-3.0-or-later"
    assert "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)" in meta.get_all(
        "Classifier"
    )
    assert "Programming Language :: Python :: 3.12" in meta.get_all("Classifier")
    assert len(license_files) == 1
    assert b"GNU AFFERO GENERAL PUBLIC LICENSE" in wheel.read(license_files[0])


def test_djangoql_is_an_extra_not_a_requirement(wheel):
    meta = metadata(wheel)
    requirements = meta.get_all("Requires-Dist")

    assert "djangoql" in meta.get_all("Provides-Extra")
    assert [req for req in requirements if req.startswith("djangoql")] == ['djangoql; extra == "djangoql"']
