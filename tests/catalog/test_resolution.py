"""Resolution is pure: course documents in, a run (or the reason there is none) out."""
import pytest

from default_enrollments.catalog.resolution import best_mode, resolve
from default_enrollments.data import Reason
from tests.catalog_server import course_document, course_run

ARCHIVED = "course-v1:edX+DemoX+1T2024"
CURRENT = "course-v1:edX+DemoX+Demo_Course"


def demo_document(**kwargs):
    runs = [
        course_run(ARCHIVED, is_enrollable=False, availability="Archived"),
        course_run(CURRENT, seats=("audit", "verified")),
    ]
    return course_document("edX+DemoX", runs, advertised=CURRENT, **kwargs)


def test_a_course_key_resolves_to_its_advertised_run_with_its_metadata():
    resolution = resolve("edX+DemoX", demo_document())

    assert resolution.is_resolved
    run = resolution.run
    assert (run.course_key, run.course_run_key) == ("edX+DemoX", CURRENT)
    assert run.is_enrollable
    assert run.best_mode == "verified"
    assert run.seat_modes == ("audit", "verified")
    assert run.normalized_metadata["content_price"] == 49.0
    assert set(run.normalized_metadata) >= {"start_date", "end_date", "enroll_by_date", "enroll_start_date"}


def test_a_run_key_resolves_to_exactly_that_run_even_when_it_is_not_advertised():
    run = resolve(ARCHIVED, demo_document()).run

    assert run.course_run_key == ARCHIVED
    assert run.course_key == "edX+DemoX"


def test_an_archived_run_resolves_but_is_not_enrollable():
    run = resolve(ARCHIVED, demo_document()).run

    assert run.is_enrollable is False
    assert run.best_mode == "verified"  # what it would offer; enrollability is a separate question


def test_an_unpublished_run_is_not_enrollable_even_if_the_catalog_flags_it_enrollable():
    runs = [course_run("course-v1:edX+Draft+1T2030", status="unpublished", is_enrollable=True)]
    run = resolve("edX+Draft", course_document("edX+Draft", runs)).run

    assert run.is_enrollable is False


@pytest.mark.parametrize(
    "key", ["course-v1:EDX+DEMOX+DEMO_COURSE", "course-v1:edx+demox+demo_course", "course-v1:edX+DemoX+demo_COURSE"]
)
def test_run_keys_compare_case_insensitively_and_answer_with_the_catalog_spelling(key):
    resolution = resolve(key, demo_document())

    assert resolution.run.course_run_key == CURRENT
    assert resolution.content_key == key


def test_a_course_without_an_advertised_run_says_so():
    resolution = resolve("edX+DemoX", demo_document() | {"advertised_course_run_uuid": None})

    assert not resolution.is_resolved
    assert resolution.reason == Reason.NO_ADVERTISED_RUN
    assert "edX+DemoX" in resolution.message
    assert "no advertised run" in resolution.message


def test_an_advertised_uuid_that_matches_no_run_is_no_advertised_run():
    resolution = resolve("edX+DemoX", demo_document() | {"advertised_course_run_uuid": "not-a-run"})

    assert resolution.reason == Reason.NO_ADVERTISED_RUN
    assert "not-a-run" in resolution.message


def test_a_run_key_missing_from_its_course_names_the_runs_that_exist():
    resolution = resolve("course-v1:edX+DemoX+3T2099", demo_document())

    assert resolution.reason == Reason.RUN_NOT_IN_COURSE
    assert "course-v1:edX+DemoX+3T2099" in resolution.message
    assert CURRENT in resolution.message and ARCHIVED in resolution.message


@pytest.mark.parametrize("key", ["edX+GoneX", "course-v1:edX+GoneX+1T2024"])
def test_unknown_content_says_which_key_the_catalog_does_not_know(key):
    resolution = resolve(key, None)

    assert resolution.reason == Reason.UNKNOWN_CONTENT
    assert key in resolution.message


def test_a_malformed_key_is_an_invalid_key_not_a_catalog_question():
    resolution = resolve("not a key", demo_document())

    assert resolution.reason == Reason.INVALID_KEY
    assert "neither a course key" in resolution.message


def test_an_honor_only_run_resolves_to_honor():
    runs = [course_run("course-v1:edX+E2E-101+Honor", seats=("honor",))]
    run = resolve("edX+E2E-101", course_document("edX+E2E-101", runs)).run

    assert run.best_mode == "honor"
    assert run.is_enrollable


def test_a_credit_seat_is_never_the_mode():
    credit_only = [course_run("course-v1:edX+Credit+1T2030", seats=("credit",))]
    assert resolve("edX+Credit", course_document("edX+Credit", credit_only)).run.best_mode is None

    with_verified = [course_run("course-v1:edX+Credit+1T2030", seats=("credit", "verified", "audit"))]
    assert resolve("edX+Credit", course_document("edX+Credit", with_verified)).run.best_mode == "verified"


def test_mode_priority_is_read_from_settings(settings):
    settings.DEFAULT_ENROLLMENTS = {"MODE_PRIORITY": ["audit", "verified"]}
    assert resolve("edX+DemoX", demo_document()).run.best_mode == "audit"


def test_best_mode_ignores_credit_even_when_a_priority_lists_it():
    assert best_mode(["credit", "audit"], ["credit", "audit"]) == "audit"
    assert best_mode([], ["verified"]) is None


def test_a_run_without_seats_resolves_with_no_mode():
    runs = [course_run("course-v1:edX+NoSeats+1T2030", seats=())]
    run = resolve("edX+NoSeats", course_document("edX+NoSeats", runs)).run

    assert run.best_mode is None
    assert run.seat_modes == ()


def test_metadata_falls_back_to_the_course_level_copy_for_the_advertised_run():
    document = demo_document(normalized_metadata_by_run={}) | {"normalized_metadata": {"content_price": 149.0}}

    assert resolve("edX+DemoX", document).run.normalized_metadata == {"content_price": 149.0}
    assert resolve(ARCHIVED, document).run.normalized_metadata == {}


def test_resolved_runs_cannot_be_changed_by_callers():
    run = resolve("edX+DemoX", demo_document()).run
    with pytest.raises(TypeError):
        run.normalized_metadata["content_price"] = 0
