"""The decision order of DESIGN.md 4, row by row, as a pure function of the facts."""
import pytest

from default_enrollments.data import Action, Decision, Eligibility, EnrollmentState, Reason, Resolution, ResolvedRun
from default_enrollments.realization import decide

RUN_KEY = "course-v1:edX+DemoX+Demo_Course"


def resolution(*, enrollable=True, best_mode="verified", resolved=True, reason=None):
    if not resolved:
        return Resolution("edX+DemoX", reason=reason or Reason.NO_ADVERTISED_RUN)
    run = ResolvedRun(
        course_key="edX+DemoX", course_run_key=RUN_KEY, is_enrollable=enrollable, best_mode=best_mode,
        seat_modes=("audit", best_mode) if best_mode else (),
    )
    return Resolution("edX+DemoX", run=run)


ELIGIBLE = Eligibility(eligible=True, mode="verified")
NOT_ELIGIBLE = Eligibility(eligible=False, reason=Reason.NOT_ELIGIBLE)
VERIFIED = EnrollmentState(mode="verified", is_active=True)
VERIFIED_LEFT = EnrollmentState(mode="verified", is_active=False)
AUDIT = EnrollmentState(mode="audit", is_active=True)
AUDIT_INACTIVE = EnrollmentState(mode="audit", is_active=False)


@pytest.mark.parametrize(
    ("name", "facts", "expected"),
    [
        ("1 active paid enrollment", (resolution(), VERIFIED, False, None),
         Decision(Action.ALREADY_ENROLLED, mode="verified")),
        ("1 even when the run closed", (resolution(enrollable=False), VERIFIED, False, None),
         Decision(Action.ALREADY_ENROLLED, mode="verified")),
        ("2 left a paid enrollment", (resolution(), VERIFIED_LEFT, True, ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.UNENROLLED, mode="verified")),
        ("2 left, LMS row gone", (resolution(), None, True, ELIGIBLE), Decision(Action.SKIP, reason=Reason.UNENROLLED)),
        ("3 no advertised run", (resolution(resolved=False), None, False, ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.NO_ADVERTISED_RUN)),
        ("3 catalog down", (resolution(resolved=False, reason=Reason.CATALOG_UNAVAILABLE), None, False, None),
         Decision(Action.SKIP, reason=Reason.CATALOG_UNAVAILABLE)),
        ("3 closed run", (resolution(enrollable=False), None, False, ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.NOT_ENROLLABLE)),
        ("4 audit, paid mode, eligible", (resolution(), AUDIT, False, ELIGIBLE),
         Decision(Action.UPGRADE, mode="verified")),
        ("2 left an audit enrollment", (resolution(), AUDIT_INACTIVE, True, ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.UNENROLLED, mode="audit")),
        ("2 left an audit-only run", (resolution(best_mode="audit"), AUDIT_INACTIVE, True,
                                      Eligibility(eligible=True, mode="audit")),
         Decision(Action.SKIP, reason=Reason.UNENROLLED, mode="audit")),
        ("4 active audit marked left (revoked license), eligible", (resolution(), AUDIT, True, ELIGIBLE),
         Decision(Action.UPGRADE, mode="verified")),
        ("4 audit, paid mode, not eligible", (resolution(), AUDIT, False, NOT_ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.NOT_ELIGIBLE, mode="audit")),
        ("5 active audit, nothing better", (resolution(best_mode="audit"), AUDIT, False, None),
         Decision(Action.ALREADY_ENROLLED, mode="audit")),
        ("6 not in the customer's catalogs", (resolution(), None, False, NOT_ELIGIBLE),
         Decision(Action.SKIP, reason=Reason.NOT_ELIGIBLE)),
        ("7 enroll in the best mode", (resolution(), None, False, ELIGIBLE), Decision(Action.ENROLL, mode="verified")),
        ("7 reactivate an inactive audit-only run", (resolution(best_mode="audit"), AUDIT_INACTIVE, False,
                                                     Eligibility(eligible=True, mode="audit")),
         Decision(Action.ENROLL, mode="audit")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_decision_order(name, facts, expected):
    assert decide(*facts) == expected


@pytest.mark.parametrize(
    "facts",
    [
        (resolution(), None, False, None),
        (resolution(), AUDIT, False, None),
    ],
)
def test_eligibility_is_asked_only_when_the_answer_depends_on_it(facts):
    assert decide(*facts) is None


def test_audit_modes_follow_the_setting(settings):
    settings.DEFAULT_ENROLLMENTS = {"AUDIT_MODES": ["audit"]}
    honor = EnrollmentState(mode="honor", is_active=True)

    assert decide(resolution(), honor, False, None) == Decision(Action.ALREADY_ENROLLED, mode="honor")
