"""The incident web form: turning its fields into the API's input shape and back.

The form posts flat fields (date and time in the school's zone, checkboxes, one role select
per student); `form_to_payload` builds the same dict the JSON API receives, so one schema
validates both.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict


def form_to_payload(form: MultiDict, school_tz: ZoneInfo) -> dict:
    """The IncidentInputSchema payload for a posted form (not yet validated)."""
    payload: dict = {
        "school_id": _number(form.get("school_id", "")),
        "location": form.get("location", ""),
        "behaviors": form.getlist("behaviors"),
        "description": form.get("description", ""),
        "students": [],
        "staff_ids": [_number(v) for v in form.getlist("staff_ids") if v],
        "injury": form.get("injury") or "none",
        "threat_made": "threat_made" in form,
        "threat_words": form.get("threat_words") or None,
        "immediate_actions": form.getlist("immediate_actions"),
        "weapon": form.get("weapon") or None,
    }
    date_text, time_text = form.get("occurred_date", ""), form.get("occurred_time", "")
    try:
        local = datetime.fromisoformat(f"{date_text}T{time_text}")
        payload["occurred_at"] = local.replace(tzinfo=school_tz).isoformat()
    except ValueError:
        payload["occurred_at"] = "" if not (date_text or time_text) else f"{date_text} {time_text}"
    for student_id in form.getlist("student_ids"):
        payload["students"].append(
            {
                "student_id": _number(student_id),
                "role": form.get(f"role_{student_id}", "responsible"),
                "with_clinician": f"clinician_{student_id}" in form,
            }
        )
    return payload


def _number(text: str):
    """Form fields are text; the schema wants whole numbers where the API sends them."""
    return int(text) if text.isdigit() else text


def to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def incident_to_form(incident, school_tz: ZoneInfo) -> MultiDict:
    """The form fields that show an existing incident, for editing."""
    local = incident.occurred_at.astimezone(school_tz)
    items = [
        ("school_id", str(incident.school_id)),
        ("occurred_date", local.date().isoformat()),
        ("occurred_time", local.strftime("%H:%M")),
        ("location", incident.location_code),
        ("description", incident.description),
        ("injury", incident.injury),
        ("weapon", incident.weapon_code or ""),
        ("threat_words", incident.threat_words or ""),
        ("version", str(incident.version)),
    ]
    if incident.threat_made:
        items.append(("threat_made", "y"))
    items += [("behaviors", code) for code in incident.behavior_codes]
    items += [("immediate_actions", code) for code in incident.action_codes]
    items += [("staff_ids", str(s.user_id)) for s in incident.staff]
    for involvement in incident.students:
        items.append(("student_ids", str(involvement.student_id)))
        items.append((f"role_{involvement.student_id}", involvement.role))
        if involvement.with_clinician:
            items.append((f"clinician_{involvement.student_id}", "y"))
    return MultiDict(items)
