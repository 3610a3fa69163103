"""The actions on a threat assessment, shared by its page and its API."""

from caseflow.labels import N_
from caseflow.steps import Step
from caseflow.threats import schemas as s
from caseflow.threats import services

STEPS = (
    Step("start", s.EmptyInput, services.start, N_("Assessment started.")),
    Step("team", s.TeamMemberInput, services.add_team_member, N_("Team member added.")),
    Step("statements", s.StatementInput, services.add_statement, N_("Account recorded.")),
    Step("classification", s.ClassificationInput, services.classify, N_("Classification recorded.")),
    Step("response", s.ResponseInput, services.respond, N_("Step 3 recorded.")),
    Step("victims", s.VictimInput, services.add_victim, N_("Intended victim added.")),
    Step("warning", s.WarningInput, services.warn_victim, N_("Warning recorded.")),
    Step(
        "safety-evaluation",
        s.SummaryInput,
        services.record_safety_evaluation,
        N_("Safety evaluation recorded."),
    ),
    Step(
        "mental-health-evaluation",
        s.SummaryInput,
        services.record_mental_health_evaluation,
        N_("Mental-health evaluation recorded."),
    ),
    Step("safety-plan", s.SafetyPlanInput, services.write_safety_plan, N_("Safety plan saved.")),
    Step("plan-review", s.PlanReviewInput, services.record_plan_review, N_("IEP/504 review recorded.")),
    Step("monitoring", s.MonitoringInput, services.record_monitoring, N_("Monitoring recorded.")),
    Step("close", s.SummaryInput, services.close, N_("Assessment closed.")),
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
