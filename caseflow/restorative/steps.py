"""The actions on a case's restorative process, shared by its page and its API."""

from caseflow.labels import N_
from caseflow.restorative import schemas as s
from caseflow.restorative import services
from caseflow.steps import Step

STEPS = (
    Step("parties", s.PartyInput, services.add_party, N_("Party added.")),
    Step("pre-meeting", s.PreMeetingInput, services.record_pre_meeting, N_("Pre-meeting recorded.")),
    Step("conference", s.ConferenceInput, services.hold_conference, N_("Conference recorded.")),
    Step("items", s.ItemInput, services.add_item, N_("Agreement item added.")),
    Step("follow-up", s.SettleInput, services.settle_item, N_("Follow-up recorded.")),
    Step("close", s.RestorativeCloseInput, services.close, N_("Restorative process closed.")),
)


def load_case(user, case_id: int):
    from caseflow.cases.services import get_case_for

    return get_case_for(user, case_id)


def load_target(user, case_id: int):
    """(the open process, case) for a case the user may read; 404 when none is under way."""
    from caseflow.errors import NotFound

    case = load_case(user, case_id)
    process = services.open_process(case)
    if process is None:
        raise NotFound("No restorative process is under way on this case.")
    return process, case
