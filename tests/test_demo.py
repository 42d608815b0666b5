"""
The newcomer's path, end to end: migrate and seed the demo on a fresh SQLite file, start the dev server,
log the learner in over HTTP, and find what their login realized.
"""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT = 30  # seconds
COMMAND_TIMEOUT = 120  # seconds, for migrate and seed_demo


@pytest.fixture
def demo_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="demo.settings",
        DEMO_DB_PATH=str(tmp_path / "demo.db"),
        PYTHONPATH=str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *args],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rows(db_path: str, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql).fetchall()


REALIZED_SQL = """
    SELECT intention.content_key, enrollment.course_id
    FROM default_enrollments_defaultenterpriseenrollmentrealization AS realization
    JOIN default_enrollments_defaultenterpriseenrollmentintention AS intention
      ON intention.uuid = realization.intended_enrollment_id
    JOIN default_enrollments_reference_enterprisecourseenrollment AS enrollment
      ON enrollment.id = realization.realized_enrollment_id
    ORDER BY intention.content_key
"""


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory) -> Path:
    """Migrated and seeded once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("demo") / "seeded.db"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo.settings", "DEMO_DB_PATH": str(path)}
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--quiet")
    return path


@pytest.fixture
def demo_server(demo_env, seeded_database):
    """The seeded demo running under ``runserver``; always stopped at the end."""
    shutil.copyfile(seeded_database, demo_env["DEMO_DB_PATH"])
    port = free_port()
    log_path = Path(demo_env["DEMO_DB_PATH"]).with_suffix(".log")
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=demo_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            assert server.poll() is None, f"the dev server exited:\n{log_path.read_text()}"
            try:
                requests.get(f"{base_url}/login/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def log_in(base_url: str, username: str, password: str) -> requests.Response:
    session = requests.Session()
    session.get(f"{base_url}/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{base_url}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/",
        },
        headers={"Referer": f"{base_url}/login/"},
        timeout=30,
    )
    response.raise_for_status()
    return response


def test_learner_login_on_the_demo_realizes_both_default_enrollments(demo_server, demo_env):
    db_path = demo_env["DEMO_DB_PATH"]
    assert rows(db_path, REALIZED_SQL) == []

    home = log_in(demo_server, "learner", "learner")

    assert home.url == f"{demo_server}/", "the learner should land on the home page, logged in"
    realized = rows(db_path, REALIZED_SQL)
    assert [content_key for content_key, _ in realized] == ["course-v1:edX+E2E-101+Honor", "edX+DemoX"]
    for _, course_run_key in realized:
        assert course_run_key in home.text, "the home page lists the learner's new enrollments"
    lms_enrollments = rows(db_path, "SELECT course_id, is_active FROM default_enrollments_reference_courseenrollment")
    assert sorted(course_id for course_id, _ in lms_enrollments) == sorted(key for _, key in realized)
    assert all(is_active for _, is_active in lms_enrollments)

    # A second login realizes nothing new.
    log_in(demo_server, "learner", "learner")
    assert rows(db_path, REALIZED_SQL) == realized


def test_staff_sees_realizations_in_the_admin(demo_server):
    log_in(demo_server, "learner", "learner")
    session = requests.Session()
    session.get(f"{demo_server}/admin/login/", timeout=10)
    page = session.post(
        f"{demo_server}/admin/login/?next=/admin/default_enrollments/defaultenterpriseenrollmentrealization/",
        data={"username": "staff", "password": "staff", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{demo_server}/admin/login/"},
        timeout=30,
    )
    assert page.status_code == 200
    assert "2 default enrollment realizations" in page.text


def test_rerunning_the_demo_setup_keeps_the_data(demo_server, demo_env):
    db_path = demo_env["DEMO_DB_PATH"]
    log_in(demo_server, "learner", "learner")
    realized = rows(db_path, REALIZED_SQL)
    assert len(realized) == 2

    manage(demo_env, "migrate", "--noinput")
    again = manage(demo_env, "seed_demo")

    assert "0 new" in again.stdout
    assert "learner / learner" in again.stdout, "the credentials are printed"
    assert rows(db_path, REALIZED_SQL) == realized
    assert rows(db_path, "SELECT count(*) FROM default_enrollments_defaultenterpriseenrollmentintention") == [(2,)]
    assert rows(db_path, "SELECT count(*) FROM auth_user") == [(2,)]
