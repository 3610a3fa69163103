"""Running a roster sync: read the feed, check it, write it with the importers' writer, close
leavers, and keep it only when nothing in it looks wrong.

One run, whatever starts it (the nightly job, "Sync now", "Preview", the command line):

1. the feed is read whole (caseflow.roster.feed); one that cannot be read (401, 429 that does
   not recover, 5xx, a malformed answer) fails the run: nothing is changed;
2. the safety stop: an empty feed, a feed cut short, a full feed missing a whole school that
   has students here, or one that would close or deactivate more than the source's share
   (default 5%) of the district's people, changes nothing and alerts the system
   administrators;
3. the records are written (created, updated; a rejected row is reported, the rest kept),
   leavers are closed or deactivated (caseflow.roster.leavers), and one audit event names
   every change, all in one transaction; a preview rolls it back and keeps only the counts.

A full feed is the whole district: whoever it no longer holds has left. A delta holds what
changed since the last success: only those it marks deleted (or whose enrolment it ends)
have left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.audit.services import record
from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import Role
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.imports.services import write_roster
from caseflow.labels import N_, Message
from caseflow.people.models import District, School, Student
from caseflow.roster.feed import Feed, read_drop, read_rest
from caseflow.roster.history import HISTORY_DAY
from caseflow.roster.leavers import close_student, deactivate_leaver
from caseflow.roster.models import RosterSource, SyncRun
from caseflow.roster.rest import FeedError, OneRosterClient, TruncatedFeed

log = logging.getLogger(__name__)
DELTA_OVERLAP = timedelta(hours=1)  # a delta starts a little before the last success began
LISTED = 200  # names kept per kind of change on the run's record (the audit event has all)


class Stop(Exception):
    """The safety stop: the reason is shown on the run and sent to the system administrators."""


@dataclass
class Plan:
    """Who would leave, decided before anything is written."""

    students: dict[str, int]  # local id → student id
    staff: dict[str, int]  # external id → user id
    people: int  # the district's active students and synced staff


def _last_success(district_id: int, *kinds: str) -> SyncRun | None:
    return db.session.scalar(
        sa.select(SyncRun)
        .where(SyncRun.district_id == district_id, SyncRun.mode == "sync", SyncRun.outcome == "ok")
        .where(SyncRun.kind.in_(kinds or ("full", "delta")))
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    )


def choose_kind(source: RosterSource, now: datetime, *, manual: bool = False) -> tuple[str, datetime | None]:
    """Full on the source's weekly day, the first time, for a drop folder or a provider without
    deltas, and when asked by hand; otherwise a delta since the last success."""
    if source.kind != "oneroster_rest" or not source.delta or manual:
        return "full", None
    district = db.session.get(District, source.district_id)
    local = now.astimezone(ZoneInfo(district.time_zone))
    last_full = _last_success(source.district_id, "full")
    if last_full is None or local.weekday() == source.full_sync_weekday:
        return "full", None
    if now - last_full.started_at > timedelta(days=8):  # the weekly full one was missed
        return "full", None
    last = _last_success(source.district_id)
    return "delta", last.started_at - DELTA_OVERLAP


def build_run(source: RosterSource, *, mode: str, trigger: str, now: datetime, actor=None) -> SyncRun:
    """A queued run of `source` (not yet added to the session)."""
    kind, since = choose_kind(source, now, manual=trigger != "schedule")
    return SyncRun(
        district_id=source.district_id,
        source_kind=source.kind,
        source=(source.base_url or source.drop_path or "")[:500],
        kind=kind,
        since=since,
        mode=mode,
        trigger=trigger,
        requested_by_id=actor.id if actor is not None else None,
        requested_at=now,
        outcome="queued",
        counts={},
        rejects=[],
        changes={},
    )


# Reading and checking ---------------------------------------------------------------------
def _read(source: RosterSource, run: SyncRun, as_of: date, client: OneRosterClient | None) -> Feed:
    if source.kind == "drop_folder":
        return read_drop(source, as_of=as_of)
    return read_rest(source, since=run.since if run.kind == "delta" else None, client=client)


def _check_feed(feed: Feed, district: District) -> None:
    """Raise Stop for an empty full feed or one missing a school that has students here."""
    if feed.kind != "full":
        return
    roster = feed.roster
    if not roster.students or not roster.schools:
        raise Stop("the feed is empty: it holds no school or no student; nothing was changed")
    in_feed = {r.school_code for r in roster.students}
    populated = db.session.execute(
        sa.select(School.code, sa.func.count(Student.id))
        .join(Student, Student.school_id == School.id)
        .where(School.district_id == district.id, Student.active)
        .group_by(School.code)
        .order_by(School.code)
    ).all()
    missing = [(code, n) for code, n in populated if code not in in_feed]
    if missing:
        names = ", ".join(f"{code} ({n} students here)" for code, n in missing)
        raise Stop(f"the feed is missing whole schools: {names}; nothing was changed")


def _plan(feed: Feed, district: District, as_of: date) -> Plan:
    """Who leaves: gone from a full feed, marked deleted, disabled or with an ended enrolment."""
    roster = feed.roster
    active_students = dict(
        db.session.execute(
            sa.select(Student.local_id, Student.id).where(Student.district_id == district.id, Student.active)
        ).all()
    )
    active_staff = dict(
        db.session.execute(
            sa.select(User.external_id, User.id).where(
                User.district_id == district.id, User.active, User.external_id.is_not(None)
            )
        ).all()
    )
    placed = any(r.school_code for r in roster.students)
    for record_ in roster.students:
        if record_.enrolment_end is not None and record_.enrolment_end < as_of:
            record_.active = False  # the enrolment ended: the writer closes it
        elif feed.kind == "full" and placed and record_.school_code is None:
            record_.active = False  # in the files, but enrolled in no school any more
        elif record_.active is None:
            record_.active = True  # in the feed and enrolled: a student who left comes back
    gone = {r.local_id for r in roster.students if r.active is False}
    gone |= set(roster.withdrawn_students)
    staff_gone = set(roster.withdrawn_staff)
    if feed.kind == "full":
        gone |= set(active_students) - feed.students_seen
        staff_gone |= set(active_staff) - feed.staff_seen
    return Plan(
        {k: active_students[k] for k in sorted(gone) if k in active_students},
        {k: active_staff[k] for k in sorted(staff_gone) if k in active_staff},
        len(active_students) + len(active_staff),
    )


def _check_share(plan: Plan, source: RosterSource) -> None:
    leaving = len(plan.students) + len(plan.staff)
    if plan.people and leaving / plan.people > float(source.safety_share):
        raise Stop(
            f"it would close {len(plan.students)} student enrolment(s) and deactivate "
            f"{len(plan.staff)} staff account(s): {leaving / plan.people:.1%} of the district's "
            f"{plan.people} people, more than the {float(source.safety_share):.1%} allowed; "
            "nothing was changed"
        )


# Writing ----------------------------------------------------------------------------------
def _apply(feed: Feed, plan: Plan, district: District, run: SyncRun, now: datetime, as_of: date) -> dict:
    """Write the feed and the leavers in the current transaction; returns the changes."""
    db.session.info[HISTORY_DAY] = as_of
    try:
        writer = write_roster(feed.roster, feed.report, district_code=district.code, now=now)
        for student_id in plan.students.values():
            student = db.session.get(Student, student_id)
            if student.active:
                close_student(student)
        requeued = 0
        for user_id in plan.staff.values():
            requeued += deactivate_leaver(db.session.get(User, user_id), now=now)
        db.session.flush()
    finally:
        db.session.info.pop(HISTORY_DAY, None)
    return {
        "created": writer.created,
        "updated": sorted((kind, key) for kind, keys in writer.updated.items() for key in keys),
        "closed": sorted(plan.students),
        "deactivated": sorted(plan.staff),
        "cases_requeued": requeued,
    }


def _counts(feed: Feed, plan: Plan) -> dict:
    report = feed.report
    return {
        "created": report.total("created"),
        "updated": report.total("updated"),
        "unchanged": report.total("unchanged"),
        "closed": len(plan.students),
        "deactivated": len(plan.staff),
        "rejected": len(report.rejects),
        "skipped": len(report.skipped),
    }


def _listed(changes: dict) -> dict:
    out = {}
    for name, value in changes.items():
        if isinstance(value, dict):
            value = [f"{kind}: {key}" for kind, keys in value.items() for key in keys]
        if isinstance(value, list):
            out[name] = {"total": len(value), "first": [str(v) for v in value[:LISTED]]}
        else:
            out[name] = value
    return out


def _finish(run_id: int, outcome: str, *, reason: str | None = None, **values) -> SyncRun:
    run = db.session.get(SyncRun, run_id)
    run.outcome, run.reason, run.finished_at = outcome, reason, now_utc()
    for name, value in values.items():
        setattr(run, name, value)
    db.session.commit()
    return run


def alert_system_administrators(district_id: int, text: str, *, now: datetime) -> int:
    """Tell the district's system administrators (in the app, and by e-mail when configured)."""
    from caseflow.notifications.services import notify

    people = db.session.scalars(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.district_id == district_id, User.active)
        .where(UserRole.role == Role.SYSTEM_ADMINISTRATOR.value)
        .distinct()
    ).all()
    for user_id in people:
        notify(
            user_id,
            text,
            "/admin/roster",
            now=now,
            email_subject=N_("Caseflow: the roster sync stopped"),
            priority="soon",
        )
    return len(people)


def execute(run_id: int, *, client: OneRosterClient | None = None, now: datetime | None = None) -> SyncRun:
    """Run a queued sync or preview to its end (see the module); returns the finished run."""
    run = db.session.get(SyncRun, run_id)
    source = db.session.scalar(sa.select(RosterSource).where(RosterSource.district_id == run.district_id))
    district = db.session.get(District, run.district_id)
    run.outcome, run.started_at = "running", now_utc()
    db.session.commit()
    now = now or run.started_at
    as_of = now.astimezone(ZoneInfo(district.time_zone)).date()
    preview = run.mode == "preview"
    try:
        feed = _read(source, run, as_of, client)
        rejects = [p.as_json() for p in feed.report.rejects]
        _check_feed(feed, district)
        plan = _plan(feed, district, as_of)
        _check_share(plan, source)
    except TruncatedFeed as exc:
        return _stopped(run_id, district.id, f"{exc}; nothing was changed", preview, now)
    except FeedError as exc:
        db.session.rollback()
        return _finish(run_id, "failed", reason=str(exc))
    except Stop as exc:
        return _stopped(run_id, district.id, str(exc), preview, now, rejects=rejects)
    except Exception as exc:  # a feed nobody foresaw: recorded with the run, nothing changed
        db.session.rollback()
        log.exception("roster sync %s could not read its feed", run_id)
        reason = f"unexpected error reading the feed: {type(exc).__name__}: {exc}"
        return _finish(run_id, "failed", reason=reason[:2000])
    try:
        changes = _apply(feed, plan, district, run, now, as_of)
        counts = _counts(feed, plan)
        if preview:
            db.session.rollback()
            return _finish(run_id, "preview", counts=counts, rejects=rejects, changes=_listed(changes))
        record(
            None,
            "roster.sync",
            run,
            now=now,
            changes={"kind": run.kind, "source": feed.source, "counts": counts, **changes},
        )
        db.session.commit()
    except Exception as exc:  # an unexpected failure is recorded with the run; nothing is kept
        db.session.rollback()
        log.exception("roster sync %s failed", run_id)
        return _finish(run_id, "failed", reason=f"unexpected error: {type(exc).__name__}: {exc}"[:2000])
    return _finish(
        run_id, "ok", counts=counts, rejects=rejects, changes=_listed(changes), source=feed.source[:500]
    )


def _stopped(run_id: int, district_id: int, reason: str, preview: bool, now: datetime, **values) -> SyncRun:
    db.session.rollback()
    if preview:  # a preview only says what would happen
        return _finish(run_id, "preview", reason=f"the safety stop would stop this sync: {reason}", **values)
    alert_system_administrators(
        district_id, Message(N_("Roster sync stopped: %(reason)s."), reason=reason), now=now
    )
    return _finish(run_id, "stopped", reason=reason, **values)
