"""The actions on a threat assessment, shared by its page and its API."""

from caseflow.steps import Step
from caseflow.threats import schemas as s
from caseflow.threats import services

STEPS = (
    Step("start", s.EmptyInput, services.start, "Assessment started."),
    Step("team", s.TeamMemberInput, services.add_team_member, "Team member added."),
    Step("statements", s.StatementInput, services.add_statement, "Account recorded."),
    Step("classification", s.ClassificationInput, services.classify, "Classification recorded."),
    Step("response", s.ResponseInput, services.respond, "Step 3 recorded."),
    Step("victims", s.VictimInput, services.add_victim, "Intended victim added."),
    Step("warning", s.WarningInput, services.warn_victim, "Warning recorded."),
    Step(
        "safety-evaluation", s.SummaryInput, services.record_safety_evaluation, "Safety evaluation recorded."
    ),
    Step(
        "mental-health-evaluation",
        s.SummaryInput,
        services.record_mental_health_evaluation,
        "Mental-health evaluation recorded.",
    ),
    Step("safety-plan", s.SafetyPlanInput, services.write_safety_plan, "Safety plan saved."),
    Step("plan-review", s.PlanReviewInput, services.record_plan_review, "IEP/504 review recorded."),
    Step("monitoring", s.MonitoringInput, services.record_monitoring, "Monitoring recorded."),
    Step("close", s.SummaryInput, services.close, "Assessment closed."),
)


def load_target(user, case_id: int):
    """(assessment, case) for a case the user may read; 404 when it has no assessment."""
    from caseflow.cases.services import get_case_for
    from caseflow.errors import NotFound

    case = get_case_for(user, case_id)
    assessment = services.assessment_of(case)
    if assessment is None:
        raise NotFound("This case has no threat assessment (only threat-team cases have one).")
    return assessment, case
