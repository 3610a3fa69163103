"""JSON and form shapes of guardian notices."""

import marshmallow as ma
from marshmallow import validate

from caseflow.api.fields import Id
from caseflow.notices.services import CHANNELS, MAX_FREE_TEXT
from caseflow.notices.texts import FREE_TEXT, MEETING_KINDS, NOTICE_KINDS


def _free_text(description: str) -> ma.fields.String:
    return ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_FREE_TEXT),
        metadata={"description": description},
    )


class NoticeInputSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(tuple(NOTICE_KINDS)))
    link_id = Id(required=True, metadata={"description": "The student-guardian link"})
    incident_id = Id(load_default=None, allow_none=True, metadata={"description": "Needed but for meetings"})
    meeting_kind = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(MEETING_KINDS))
    )
    what_happened = _free_text("What happened, in plain words, naming no other student")
    next_steps = _free_text("What the school will do next (for a meeting: what it is for)")
    contact_person = _free_text("Whom to call")
    suspension_details = _free_text("The suspension: kind, days, return date")
    meeting_when = _free_text("The meeting's date and time")
    meeting_where = _free_text("The meeting's place")

    @staticmethod
    def draft_args(data: dict) -> dict:
        """The loaded input as draft_notice()'s arguments."""
        return {
            "kind": data["kind"],
            "link_id": data["link_id"],
            "incident_id": data.get("incident_id"),
            "meeting_kind": data.get("meeting_kind"),
            "values": {k: data.get(k) for k in FREE_TEXT},
        }


class NoticeSendSchema(NoticeInputSchema):
    channel = ma.fields.String(required=True, validate=validate.OneOf(CHANNELS))


class NoticePreviewSchema(ma.Schema):
    kind = ma.fields.String()
    requested_language = ma.fields.String(metadata={"description": "The guardian's language"})
    language = ma.fields.String(metadata={"description": "The language the notice is written in"})
    english_instead = ma.fields.Boolean(
        metadata={"description": "No reviewed text in the guardian's language: the English original goes"}
    )
    note = ma.fields.String(allow_none=True, metadata={"description": "That a translation can be asked for"})
    dir = ma.fields.String()
    subject = ma.fields.String()
    text = ma.fields.String()
    english_subject = ma.fields.String()
    english_text = ma.fields.String()
