#!/usr/bin/env python3
"""The report pages at district scale: a PostgreSQL database with a district of ~40 schools,
100,000 students and 1,000,000 incidents over three school years, then the report pages timed
through the app's test client.

    .venv/bin/python bench/reports.py \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports \\
        --students 100000 --incidents 1000000 [--runs 5] [--reuse] [--explain-over 500]

1. Creates the database if it is missing, drops and recreates its schema `public` and runs the
   app's migrations (flask_migrate.upgrade, as tests/conftest.py does). Only a database whose
   name starts with "bench" is touched; the test databases are refused.
2. Fills it with set-based SQL (INSERT ... SELECT FROM generate_series, random() seeded with
   setseed, so every run makes the same data): the district, its schools (three time zones),
   students, staff with roles and schools, incidents with behaviors and a responsible student,
   cases, threat assessments, disciplinary actions, guardians, guardian contacts, escalations
   (every approved one passes the `escalations_gate` trigger: the contact reached a guardian
   after the incident and before the approval, the approver is an administrator of the school)
   and emergency police responses. Then ANALYZE. `--reuse` skips all of this when the
   database already holds the data asked for.
3. Signs in (POST /login with the CSRF token of the login page) as a district auditor and times
   each report page `--runs` times after one warm-up request, counting the SQL statements each
   request executes (SQLAlchemy "before_cursor_execute") and the slowest of them.
4. With `--explain-over MS`, prints EXPLAIN (ANALYZE, BUFFERS) of every statement of the last
   run that took longer than MS milliseconds.

Target: each page answers in under 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports"
PROTECTED = {"test", "test_imports", "test_api", "test_reports", "postgres", "template0", "template1"}
PASSWORD = "bench reports password"
AUDITOR_EMAIL = "auditor@bench.example"
TARGET_SECONDS = 2.0
USERS_PER_SCHOOL = 25  # 1-2 administrators, 3 counselor, 4 psychologist, 5 social worker, ...
SEED = 0.20261124
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def bench_database_name(url: str) -> str:
    name = make_url(url).database or ""
    if name in PROTECTED or not name.startswith("bench"):
        raise SystemExit(f"refusing to use database {name!r}: give a database whose name starts with 'bench'")
    return name


def ensure_database(url: str) -> None:
    name = bench_database_name(url)
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            log(f"created database {name}")
    admin.dispose()


def make_app(url: str):
    from caseflow import create_app

    return create_app("test", {"SQLALCHEMY_DATABASE_URI": url})


def migrate_fresh(url: str) -> None:
    """Drop and recreate schema public of the bench database, then run every migration."""
    from flask_migrate import upgrade

    from caseflow.extensions import db

    bench_database_name(url)
    app = make_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


def reference_data(url: str) -> dict:
    """The codes the data uses, read as the app reads them, and one password hash."""
    from caseflow.auth.passwords import hash_password
    from caseflow.escalations.criteria import police_criteria
    from caseflow.incidents.taxonomy import get_taxonomy

    app = make_app(url)
    with app.app_context():
        taxonomy = get_taxonomy()
        criteria = police_criteria()
        return {
            "behaviors": list(taxonomy.behaviors),  # minor first, as the file lists them
            "serious": [c for c, b in taxonomy.behaviors.items() if not b.ordinary_discipline],
            "locations": list(taxonomy.locations),  # the most common first
            "taxonomy_version": taxonomy.version,
            "criteria": list(criteria.items),
            "rules_version": criteria.version,
            "password_hash": hash_password(PASSWORD),
        }


# --- the data --------------------------------------------------------------------------------------
# Every statement is one INSERT ... SELECT. Ids are given explicitly so that rows can refer to
# one another by arithmetic (user (s-1)*25 + j is the j-th staff member of school s; student i
# is at school ((i-1) % schools) + 1); the sequences are moved past them at the end.

LOAD_STEPS: list[tuple[str, str]] = [
    (
        "district and schools",
        """
        INSERT INTO districts (id, name, code, time_zone, created_at)
        VALUES (1, 'Bench Unified School District', 'BENCH', 'America/Chicago', now());
        INSERT INTO schools (id, district_id, code, name, time_zone, lowest_grade, highest_grade, created_at)
        SELECT s, 1, 'SCH' || lpad(s::text, 3, '0'),
               CASE WHEN s <= :elem THEN 'Elementary ' WHEN s <= :middle THEN 'Middle '
                    ELSE 'High ' END || 'School ' || lpad(s::text, 3, '0'),
               CASE WHEN s % 10 = 0 THEN 'America/Denver' WHEN s % 10 = 5 THEN 'America/New_York'
                    ELSE 'America/Chicago' END,
               CASE WHEN s <= :elem THEN 'PK' WHEN s <= :middle THEN '6' ELSE '9' END,
               CASE WHEN s <= :elem THEN '5' WHEN s <= :middle THEN '8' ELSE '12' END,
               now()
        FROM generate_series(1, :schools) s;
        """,
    ),
    (
        "students",
        """
        INSERT INTO students (id, district_id, school_id, local_id, first_name, last_name, birth_date,
                              grade, race_ethnicity, sex, idea_eligible, section_504, english_learner,
                              mtss_tier, active, created_at, updated_at)
        SELECT i, 1, sch, 'S' || lpad(i::text, 7, '0'), 'Student' || i,
               (ARRAY['Garcia','Smith','Johnson','Nguyen','Williams','Brown','Lopez','Jones','Kim',
                      'Davis','Martinez','Miller','Wilson','Anderson','Thomas','Taylor','Moore',
                      'Jackson','Martin','Lee'])[1 + i % 20],
               DATE '2012-01-01' + (random() * 4000)::int,
               CASE WHEN sch <= :elem THEN
                        (ARRAY['PK','K','K','1','1','2','2','3','3','4','4','5','5'])
                        [1 + floor(random() * 13)::int]
                    WHEN sch <= :middle THEN (ARRAY['6','7','8'])[1 + floor(random() * 3)::int]
                    ELSE (ARRAY['9','10','11','12'])[1 + floor(random() * 4)::int] END,
               CASE WHEN r < 0.015 THEN NULL WHEN r < 0.295 THEN 'HI' WHEN r < 0.305 THEN 'AM'
                    WHEN r < 0.355 THEN 'AS' WHEN r < 0.360 THEN 'HP' WHEN r < 0.510 THEN 'BL'
                    WHEN r < 0.960 THEN 'WH' ELSE 'TR' END,
               CASE WHEN x < 0.010 THEN NULL WHEN x < 0.013 THEN 'X' WHEN x < 0.505 THEN 'F' ELSE 'M' END,
               random() < 0.14, random() < 0.03, random() < 0.10,
               CASE WHEN t < 0.80 THEN 1 WHEN t < 0.95 THEN 2 ELSE 3 END,
               random() < 0.98, now(), now()
        FROM (SELECT i, ((i - 1) % :schools) + 1 AS sch, random() AS r, random() AS x, random() AS t
              FROM generate_series(1, :students) i) g;
        """,
    ),
    (
        "enrolment and program history (as the migration starts it: since before the records)",
        """
        INSERT INTO enrolments (student_id, school_id, begin_date, end_date, recorded_at)
        SELECT id, school_id, NULL, NULL, now() FROM students WHERE active;
        INSERT INTO program_participations (student_id, program, begin_date, end_date, recorded_at)
        SELECT id, 'idea', CAST(NULL AS date), CAST(NULL AS date), now() FROM students WHERE idea_eligible
        UNION ALL SELECT id, 'section_504', NULL, NULL, now() FROM students WHERE section_504
        UNION ALL SELECT id, 'english_learner', NULL, NULL, now() FROM students WHERE english_learner;
        """,
    ),
    (
        "staff users, roles and schools",
        """
        INSERT INTO users (id, district_id, email, full_name, password_hash, active, district_wide,
                           failed_login_count, session_epoch, wants_digest, created_at)
        SELECT (s - 1) * :per_school + j, 1,
               CASE j WHEN 1 THEN 'principal' WHEN 2 THEN 'assistant.principal' WHEN 3 THEN 'counselor'
                      WHEN 4 THEN 'psychologist' WHEN 5 THEN 'social.worker' WHEN 6 THEN 'restorative'
                      ELSE 'teacher' || j END || '.' || s || '@bench.example',
               'Staff ' || s || '-' || j, :password_hash, true, false, 0, 0, false, now()
        FROM generate_series(1, :schools) s, generate_series(1, :per_school) j;
        INSERT INTO users (id, district_id, email, full_name, password_hash, active, district_wide,
                           failed_login_count, session_epoch, wants_digest, created_at)
        VALUES (:schools * :per_school + 1, 1, :auditor, 'District Auditor', :password_hash,
                true, true, 0, 0, false, now()),
               (:schools * :per_school + 2, 1, 'district.admin@bench.example', 'District Administrator',
                :password_hash, true, true, 0, 0, false, now());
        INSERT INTO user_roles (user_id, role)
        SELECT (s - 1) * :per_school + j, r.role
        FROM generate_series(1, :schools) s, generate_series(1, :per_school) j,
             LATERAL (SELECT unnest(CASE j WHEN 1 THEN ARRAY['administrator']
                                           WHEN 2 THEN ARRAY['administrator', 'threat_team']
                                           WHEN 3 THEN ARRAY['counselor', 'threat_team']
                                           WHEN 4 THEN ARRAY['psychologist']
                                           WHEN 5 THEN ARRAY['social_worker']
                                           WHEN 6 THEN ARRAY['restorative_adviser']
                                           ELSE ARRAY['teacher'] END) AS role) r;
        INSERT INTO user_roles (user_id, role)
        VALUES (:schools * :per_school + 1, 'district_auditor'),
               (:schools * :per_school + 2, 'administrator');
        INSERT INTO user_schools (user_id, school_id)
        SELECT (s - 1) * :per_school + j, s
        FROM generate_series(1, :schools) s, generate_series(1, :per_school) j;
        -- a psychologist also serves the next school
        INSERT INTO user_schools (user_id, school_id)
        SELECT (s - 1) * :per_school + 4, s % :schools + 1
        FROM generate_series(1, :schools) s WHERE s % :schools + 1 <> s;
        """,
    ),
    (
        "guardians",
        """
        INSERT INTO guardians (id, district_id, external_id, first_name, last_name, phone,
                               preferred_language, created_at, updated_at)
        SELECT i, 1, 'G' || i, 'Guardian' || i, 'Family' || i, '555-01' || lpad((i % 10000)::text, 4, '0'),
               CASE WHEN i % 9 = 0 THEN 'es' ELSE 'en' END, now(), now()
        FROM generate_series(1, :students) i;
        INSERT INTO student_guardians (id, student_id, guardian_id, relationship, is_primary_contact,
                                       lives_with, legal_restriction)
        SELECT i, i, i, (ARRAY['mother','father','parent','grandparent','legal_guardian'])[1 + i % 5],
               true, true, 'none'
        FROM generate_series(1, :students) i;
        """,
    ),
    (
        "incident plan (temporary table)",
        """
        CREATE TEMP TABLE bench_plan ON COMMIT PRESERVE ROWS AS
        SELECT (row_number() OVER (ORDER BY q.occurred_at, q.seq))::int AS id, q.student_id, q.school_id,
               q.occurred_at, q.b1, q.b2, q.loc, q.status_r, q.reporter_j, q.clinician
        FROM (
        SELECT p.id AS seq, p.student_id, p.school_id,
               (make_date(p.year, 8, 1) + p.day_offset
                + CASE extract(isodow FROM make_date(p.year, 8, 1) + p.day_offset)
                      WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END
                + make_interval(mins => p.minute)) AT TIME ZONE sc.time_zone AS occurred_at,
               p.b1, CASE WHEN p.two THEN (p.b1 + p.b2_step - 1) % :n_behaviors + 1 END AS b2,
               p.loc, p.status_r, p.reporter_j, p.clinician
        FROM (SELECT i AS id, st AS student_id, ((st - 1) % :schools) + 1 AS school_id,
                     :first_year + floor(random() * 3)::int AS year,
                     CASE WHEN random() < 0.9 THEN 14 + floor(random() * 295)::int
                          ELSE floor(random() * 363)::int END AS day_offset,
                     450 + floor(random() * 540)::int AS minute,
                     1 + floor(power(random(), 2.0) * :n_behaviors)::int AS b1,
                     random() < 0.3 AS two, 1 + floor(random() * (:n_behaviors - 1))::int AS b2_step,
                     1 + floor(power(random(), 1.8) * :n_locations)::int AS loc,
                     random() AS status_r, 7 + floor(random() * (:per_school - 6))::int AS reporter_j,
                     random() < 0.05 AS clinician
              FROM (SELECT i, CASE WHEN random() < 0.7 THEN 1 + floor(random() * :frequent)::int
                                   ELSE 1 + floor(random() * :students)::int END AS st
                    FROM generate_series(1, :incidents) i) g) p
        JOIN schools sc ON sc.id = p.school_id) q;
        ALTER TABLE bench_plan ADD PRIMARY KEY (id);
        ANALYZE bench_plan;
        """,
    ),
    (
        "incidents",
        """
        INSERT INTO incidents (id, district_id, school_id, occurred_at, location_code, description,
                               weapon_code, injury, threat_made, threat_words, status, reported_by_id,
                               reported_at, updated_at, taxonomy_version, version)
        SELECT p.id, 1, p.school_id, p.occurred_at, (CAST(:locations AS text[]))[p.loc],
               'Bench incident ' || p.id || ': what the reporting adult saw and heard, and what happened '
               || 'just before, in a sentence or two.',
               NULL, CASE WHEN p.clinician AND p.status_r < 0.5 THEN 'minor' ELSE 'none' END,
               (CAST(:behaviors AS text[]))[p.b1] = 'threat',
               CASE WHEN (CAST(:behaviors AS text[]))[p.b1] = 'threat'
                    THEN 'I am going to get you after school.' END,
               CASE WHEN p.status_r < 0.75 THEN 'resolved' WHEN p.status_r < 0.83 THEN 'case_open'
                    WHEN p.status_r < 0.97 THEN 'routed' ELSE 'logged' END,
               (p.school_id - 1) * :per_school + p.reporter_j,
               p.occurred_at + interval '40 minutes', p.occurred_at + interval '1 day',
               :taxonomy_version, 1
        FROM bench_plan p;
        """,
    ),
    (
        "incident behaviors",
        """
        INSERT INTO incident_behaviors (incident_id, behavior_code, position, school_id, occurred_at)
        SELECT p.id, (CAST(:behaviors AS text[]))[p.b1], 0, p.school_id, p.occurred_at FROM bench_plan p
        UNION ALL
        SELECT p.id, (CAST(:behaviors AS text[]))[p.b2], 1, p.school_id, p.occurred_at
        FROM bench_plan p WHERE p.b2 IS NOT NULL;
        """,
    ),
    (
        "incident students",
        """
        INSERT INTO incident_students (id, incident_id, student_id, role, with_clinician)
        SELECT p.id, p.id, p.student_id, 'responsible', p.clinician FROM bench_plan p;
        """,
    ),
    (
        "cases",
        """
        CREATE TEMP TABLE bench_cases ON COMMIT PRESERVE ROWS AS
        SELECT row_number() OVER (ORDER BY c.incident_id)::int AS id, c.*,
               c.wants_open AND row_number() OVER (PARTITION BY c.student_id, c.kind, c.wants_open
                                                   ORDER BY c.incident_id DESC) = 1 AS open
        FROM (SELECT p.id AS incident_id, p.student_id, p.school_id, p.occurred_at,
                     CASE WHEN k < 0.40 THEN 'counselor' WHEN k < 0.55 THEN 'social_worker'
                          WHEN k < 0.65 THEN 'psychologist' WHEN k < 0.80 THEN 'restorative_adviser'
                          WHEN k < 0.85 THEN 'threat_team' ELSE 'administrator' END AS kind,
                     p.occurred_at >= :last_year_start AND random() < 0.35 AS wants_open,
                     random() AS r
              FROM (SELECT p.*, random() AS k FROM bench_plan p WHERE p.id % 17 = 0) p) c;
        INSERT INTO cases (id, district_id, school_id, student_id, kind, status, tier, priority,
                           assignee_id, source, opened_at, due_at, closed_at, outcome, close_note, version)
        SELECT c.id, 1, c.school_id, c.student_id, c.kind,
               CASE WHEN NOT c.open THEN 'closed' WHEN c.r < 0.1 THEN 'new' WHEN c.r < 0.4 THEN 'assigned'
                    WHEN c.r < 0.8 THEN 'active' ELSE 'monitoring' END,
               CASE WHEN c.r < 0.2 THEN 3 WHEN c.r < 0.9 THEN 2 ELSE 1 END,
               CASE WHEN c.r < 0.1 THEN 'urgent' WHEN c.r < 0.4 THEN 'soon' ELSE 'routine' END,
               CASE WHEN c.open AND c.r < 0.1 THEN NULL
                    ELSE (c.school_id - 1) * :per_school
                         + CASE c.kind WHEN 'administrator' THEN 1 WHEN 'threat_team' THEN 2
                                       WHEN 'counselor' THEN 3 WHEN 'psychologist' THEN 4
                                       WHEN 'social_worker' THEN 5 ELSE 6 END END,
               'triage', c.occurred_at + interval '1 hour', c.occurred_at + interval '8 days',
               CASE WHEN NOT c.open THEN c.occurred_at + make_interval(days => 5 + (c.r * 55)::int) END,
               CASE WHEN NOT c.open
                    THEN (ARRAY['goals_met','improved','referred_out','no_longer_needed','moved',
                                'declined','other'])[1 + floor(c.r * 7)::int] END,
               CASE WHEN NOT c.open THEN 'Closed after the follow-up meeting.' END,
               1
        FROM bench_cases c;
        INSERT INTO case_incidents (case_id, incident_id, added_at)
        SELECT c.id, c.incident_id, c.occurred_at + interval '1 hour' FROM bench_cases c;
        """,
    ),
    (
        "threat assessments",
        """
        INSERT INTO threat_assessments (
            id, district_id, school_id, student_id, case_id, incident_id, status, routed_at,
            must_start_by, started_at, started_by_id, threat_type, classified_at, classified_by_id,
            classification_reason, resolution_kind, resolution, severity, protective_actions,
            no_identified_victim, responded_at, law_enforcement_consultation, safety_evaluation,
            safety_evaluation_at, safety_evaluation_by_id, mental_health_evaluation,
            mental_health_evaluation_at, mental_health_evaluation_by_id, safety_plan, safety_plan_at,
            safety_plan_by_id, closed_at, closed_by_id, close_summary, version)
        SELECT row_number() OVER (ORDER BY t.id), 1, t.school_id, t.student_id, t.id, t.incident_id,
               CASE WHEN t.open THEN 'open' ELSE 'closed' END,
               t.at, t.at + interval '8 hours', t.at + interval '30 minutes', t.admin,
               t.type, CASE WHEN t.type IS NOT NULL THEN t.at + interval '1 hour' END,
               CASE WHEN t.type IS NOT NULL THEN t.admin END,
               CASE WHEN t.type IS NOT NULL THEN 'Classified by the team after the interviews.' END,
               CASE WHEN t.type = 'transient' THEN 'explained' END,
               CASE WHEN t.type = 'transient' THEN 'Said in anger; explained and apologized.' END,
               t.severity,
               CASE WHEN t.severity IS NOT NULL THEN 'Supervision at transitions; parents informed.' END,
               false, CASE WHEN t.severity IS NOT NULL THEN t.at + interval '3 hours' END,
               coalesce(t.severity, '') = 'very_serious',
               CASE WHEN t.severity = 'very_serious' THEN 'Safety evaluation done.' END,
               CASE WHEN t.severity = 'very_serious' THEN t.at + interval '1 day' END,
               CASE WHEN t.severity = 'very_serious' THEN t.admin END,
               CASE WHEN t.severity = 'very_serious' THEN 'Mental-health evaluation done.' END,
               CASE WHEN t.severity = 'very_serious' THEN t.at + interval '2 days' END,
               CASE WHEN t.severity = 'very_serious' THEN t.admin + 1 END,
               CASE WHEN t.severity IS NOT NULL THEN 'Written safety plan.' END,
               CASE WHEN t.severity IS NOT NULL THEN t.at + interval '3 days' END,
               CASE WHEN t.severity IS NOT NULL THEN t.admin END,
               CASE WHEN NOT t.open THEN t.closed_at END, CASE WHEN NOT t.open THEN t.admin END,
               CASE WHEN NOT t.open THEN 'Closed: plan in place.' END, 1
        FROM (SELECT c.id, c.school_id, c.student_id, c.incident_id, c.open,
                     c.occurred_at + interval '1 hour' AS at, (c.school_id - 1) * :per_school + 2 AS admin,
                     c.occurred_at + make_interval(days => 5 + (c.r * 55)::int) AS closed_at,
                     CASE WHEN c.open THEN NULL WHEN c.r < 0.05 THEN 'not_a_threat'
                          WHEN c.r < 0.65 THEN 'transient' ELSE 'substantive' END AS type,
                     CASE WHEN c.open OR c.r < 0.65 THEN NULL WHEN c.r < 0.95 THEN 'serious'
                          ELSE 'very_serious' END AS severity
              FROM bench_cases c WHERE c.kind = 'threat_team') t;
        """,
    ),
    (
        "disciplinary actions",
        """
        INSERT INTO discipline_actions (district_id, school_id, student_id, incident_id, action_code,
                                        action_date, length_days, recorded_by_id, recorded_at, historical)
        SELECT 1, p.school_id, p.student_id, p.id, a.code,
               (p.occurred_at AT TIME ZONE sc.time_zone)::date + 1,
               CASE WHEN a.code LIKE '%Suspension' THEN 1 + (p.status_r * 4)::int END,
               (p.school_id - 1) * :per_school + 1, p.occurred_at + interval '1 day', true
        FROM bench_plan p JOIN schools sc ON sc.id = p.school_id,
             LATERAL (SELECT CASE WHEN p.status_r < 0.40 THEN 'In School Suspension'
                                  WHEN p.status_r < 0.75 THEN 'Out of School Suspension'
                                  WHEN p.status_r < 0.90 THEN 'Removal from Classroom'
                                  ELSE 'Other' END AS code) a
        WHERE p.id % 20 = 3;
        """,
    ),
    (
        "escalations, guardian contacts, reviews, refusals",
        """
        CREATE TEMP TABLE bench_esc ON COMMIT PRESERVE ROWS AS
        SELECT row_number() OVER (ORDER BY e.incident_id)::int AS id, e.*
        FROM (SELECT p.id AS incident_id, p.student_id, p.school_id, p.occurred_at, p.clinician,
                     random() AS r, random() AS r2
              FROM bench_plan p
              WHERE (CAST(:behaviors AS text[]))[p.b1] = ANY (CAST(:serious AS text[]))
              ORDER BY md5(p.id || 'escalation') LIMIT :escalations) e;
        -- the guardian reached before each approval (and, for the others, a call that reached no one)
        INSERT INTO guardian_contacts (id, district_id, student_id, link_id, guardian_id, contacted_at,
                                       method, language, reached, purpose, note, recorded_by_id, recorded_at,
                                       incident_id)
        SELECT e.id, 1, e.student_id, e.student_id, e.student_id, e.occurred_at + interval '3 hours',
               'phone', 'en', e.r < 0.55, 'escalation_notice', 'Called before the request was decided.',
               (e.school_id - 1) * :per_school + 2, e.occurred_at + interval '3 hours', e.incident_id
        FROM bench_esc e;
        INSERT INTO escalations (
            id, district_id, school_id, student_id, incident_id, criteria, justification, rules_version,
            status, requested_by_id, requested_at, approved_by_id, approved_at, guardian_contact_id,
            guardian_reached, criteria_met, facts, closed_by_id, closed_at, close_note, referral_agency,
            referral_officer, referred_at, outcome, outcome_at, outcome_note, version)
        SELECT e.id, 1, e.school_id, e.student_id, e.incident_id,
               json_build_array((CAST(:criteria AS text[]))[1 + e.id % :n_criteria]),
               'The facts meet the criterion; see the incident.', :rules_version, s.status,
               (e.school_id - 1) * :per_school + 2, e.occurred_at + interval '2 hours',
               CASE WHEN s.status = 'approved' THEN (e.school_id - 1) * :per_school + 1 END,
               CASE WHEN s.status = 'approved' THEN e.occurred_at + interval '4 hours' END,
               CASE WHEN s.status = 'approved' THEN e.id END,
               CASE WHEN s.status = 'approved' THEN true END,
               CASE WHEN s.status = 'approved'
                    THEN json_build_array((CAST(:criteria AS text[]))[1 + e.id % :n_criteria])
               END,
               json_build_object('weapon', e.r2 < 0.2),
               CASE WHEN s.status IN ('denied', 'withdrawn') THEN (e.school_id - 1) * :per_school + 1 END,
               CASE WHEN s.status IN ('denied', 'withdrawn') THEN e.occurred_at + interval '5 hours' END,
               CASE WHEN s.status IN ('denied', 'withdrawn') THEN 'Handled by the school.' END,
               CASE WHEN s.referred THEN 'Bench City Police Department' END,
               CASE WHEN s.referred THEN 'Officer on duty' END,
               CASE WHEN s.referred THEN e.occurred_at + interval '5 hours' END,
               s.outcome, CASE WHEN s.outcome IS NOT NULL THEN e.occurred_at + interval '3 days' END,
               CASE WHEN s.outcome IS NOT NULL THEN 'Reported by the agency.' END, 1
        FROM bench_esc e,
             LATERAL (SELECT st.status, st.status = 'approved' AND e.r2 < 0.8 AS referred,
                             CASE WHEN st.status = 'approved' AND e.r2 < 0.56 THEN
                                  (ARRAY['arrest','citation','diversion','court_referral','no_action'])
                                  [1 + (e.id % 5)] END AS outcome
                      FROM (SELECT CASE WHEN e.r < 0.55 THEN 'approved' WHEN e.r < 0.70 THEN 'denied'
                                        WHEN e.r < 0.80 THEN 'withdrawn' WHEN e.r < 0.95 THEN 'refused'
                                        ELSE 'requested' END AS status) st) s;
        INSERT INTO escalation_reviews (escalation_id, kind, author_id, written_at, text, police_necessary)
        SELECT e.id, 'disability_review', (e.school_id - 1) * :per_school + 4,
               e.occurred_at + interval '150 minutes', 'Reviewed against the IEP/504 plan.', NULL
        FROM bench_esc e JOIN students s ON s.id = e.student_id
        WHERE s.idea_eligible OR s.section_504;
        INSERT INTO escalation_reviews (escalation_id, kind, author_id, written_at, text, police_necessary)
        SELECT e.id, 'clinician_statement', (e.school_id - 1) * :per_school + 3,
               e.occurred_at + interval '140 minutes', 'The counselor was working with the student.',
               e.r2 < 0.3
        FROM bench_esc e WHERE e.clinician;
        INSERT INTO gate_refusals (escalation_id, stage, actor_id, at, reasons)
        SELECT e.id, 'request', (e.school_id - 1) * :per_school + 2, e.occurred_at + interval '2 hours',
               json_build_array('No criterion of the agreement is met.')
        FROM bench_esc e JOIN escalations x ON x.id = e.id WHERE x.status = 'refused';
        """,
    ),
    (
        "emergency responses",
        """
        CREATE TEMP TABLE bench_emg ON COMMIT PRESERVE ROWS AS
        SELECT row_number() OVER (ORDER BY e.incident_id)::int AS id, e.*
        FROM (SELECT p.id AS incident_id, p.student_id, p.school_id, p.occurred_at, random() AS r
              FROM bench_plan p
              WHERE (CAST(:behaviors AS text[]))[p.b1] = ANY (CAST(:serious AS text[]))
                AND NOT EXISTS (SELECT 1 FROM bench_esc x WHERE x.incident_id = p.id)
              ORDER BY md5(p.id || 'emergency') LIMIT :emergencies) e;
        INSERT INTO guardian_contacts (id, district_id, student_id, link_id, guardian_id, contacted_at,
                                       method, language, reached, purpose, note, recorded_by_id, recorded_at,
                                       incident_id)
        SELECT :escalations + e.id, 1, e.student_id, e.student_id, e.student_id,
               e.occurred_at + interval '75 minutes', 'phone', 'en', true, 'emergency_notice',
               'Told the guardian about the police response.', (e.school_id - 1) * :per_school + 1,
               e.occurred_at + interval '75 minutes', e.incident_id
        FROM bench_emg e;
        INSERT INTO emergency_responses (
            id, district_id, school_id, student_id, incident_id, called_at, caller, agency, what_happened,
            recorded_by_id, recorded_at, justification, justified_at, justification_due_at,
            guardian_contact_id, reviewed_by_id, reviewed_at, review_note, outcome, outcome_at, version)
        SELECT e.id, 1, e.school_id, e.student_id, e.incident_id, e.occurred_at + interval '15 minutes',
               'Front office (911)', 'Bench City Police Department', 'A life was in danger; 911 was called.',
               (e.school_id - 1) * :per_school + 1, e.occurred_at + interval '2 hours',
               CASE WHEN e.r < 0.9 THEN 'Imminent danger to a student.' END,
               CASE WHEN e.r < 0.9 THEN e.occurred_at + interval '5 hours' END,
               e.occurred_at + interval '1 day',
               :escalations + e.id,
               CASE WHEN e.r < 0.8 THEN :schools * :per_school + 2 END,
               CASE WHEN e.r < 0.8 THEN e.occurred_at + interval '2 days' END,
               CASE WHEN e.r < 0.8 THEN 'Reviewed.' END,
               CASE WHEN e.r < 0.6
                    THEN (ARRAY['arrest','citation','diversion','no_action'])[1 + e.id % 4] END,
               CASE WHEN e.r < 0.6 THEN e.occurred_at + interval '3 days' END, 1
        FROM bench_emg e;
        """,
    ),
]

SEQUENCE_TABLES = (
    "districts schools students users guardians student_guardians incidents incident_students cases "
    "threat_assessments discipline_actions guardian_contacts escalations escalation_reviews "
    "gate_refusals emergency_responses"
).split()


def load(url: str, args, ref: dict) -> dict:
    schools = args.schools
    from caseflow.reports.periods import current_school_year, year_bounds

    last_year = current_school_year() - 1
    params = {
        "schools": schools,
        "elem": round(schools * 0.6),
        "middle": round(schools * 0.8),
        "students": args.students,
        "incidents": args.incidents,
        "frequent": max(1, int(args.students * 0.15)),
        "per_school": USERS_PER_SCHOOL,
        "password_hash": ref["password_hash"],
        "auditor": AUDITOR_EMAIL,
        "behaviors": ref["behaviors"],
        "serious": ref["serious"],
        "n_behaviors": len(ref["behaviors"]),
        "locations": ref["locations"],
        "n_locations": len(ref["locations"]),
        "taxonomy_version": ref["taxonomy_version"],
        "criteria": ref["criteria"],
        "n_criteria": len(ref["criteria"]),
        "rules_version": ref["rules_version"],
        "first_year": last_year - 2,
        "last_year_start": year_bounds(last_year)[0],
        "escalations": max(50, args.incidents // 250),
        "emergencies": max(20, args.incidents // 1000),
    }
    engine = sa.create_engine(url)
    timings = {}
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(sa.text("SET synchronous_commit = off"))
        conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
        conn.execute(sa.text("SET work_mem = '64MB'"))
        conn.execute(sa.text("SELECT setseed(:s)"), {"s": SEED})
        conn.commit()
        for name, sql in LOAD_STEPS:
            t0 = time.perf_counter()
            for statement in _statements(sql):
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                conn.execute(sa.text(statement), used)
            conn.commit()
            timings[name] = time.perf_counter() - t0
            log(f"  {name}: {timings[name]:.1f} s")
        t0 = time.perf_counter()
        for table in SEQUENCE_TABLES:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
        conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE)"))
    timings["sequences, VACUUM ANALYZE"] = time.perf_counter() - t0
    log(f"  sequences, VACUUM ANALYZE: {timings['sequences, VACUUM ANALYZE']:.1f} s")
    engine.dispose()
    timings["total"] = time.perf_counter() - started
    return timings


def _statements(sql: str) -> list[str]:
    """Split a step on semicolons at line ends (no statement here has one inside a string)."""
    parts = re.split(r";\s*\n", sql)
    out = []
    for part in parts:
        lines = [line for line in part.strip().splitlines() if not line.strip().startswith("--")]
        if "\n".join(lines).strip():
            out.append("\n".join(lines).strip().rstrip(";"))
    return out


def loaded(url: str, args) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            students = conn.scalar(sa.text("SELECT count(*) FROM students"))
            incidents = conn.scalar(sa.text("SELECT max(id) FROM incidents"))
            schools = conn.scalar(sa.text("SELECT count(*) FROM schools"))
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()
    return (students, incidents, schools) == (args.students, args.incidents, args.schools)


def table_sizes(url: str) -> list[tuple[str, int, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_total_relation_size(c.oid)) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 0 "
                "ORDER BY pg_total_relation_size(c.oid) DESC"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


# --- timing ----------------------------------------------------------------------------------------


class QueryLog:
    """Statements executed on the app's engine: count, and each one's time and text."""

    def __init__(self, engine):
        self.entries: list[tuple[float, str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany):
        t0 = conn.info["bench_started"].pop()
        self.entries.append((time.perf_counter() - t0, statement, parameters))

    def reset(self):
        self.entries = []


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {response.status_code}")


def time_pages(url: str, args, only: str | None = None) -> list[dict]:
    from caseflow.extensions import db

    app = make_app(url)
    with app.app_context():
        engine = db.engine
        queries = QueryLog(engine)
        school = db.session.execute(
            sa.text("SELECT id, name FROM schools WHERE name LIKE 'High%' ORDER BY id LIMIT 1")
        ).one()
    year = args.year
    pages = [
        ("civil-rights report", f"/reports/civil-rights?year={year}"),
        ("civil-rights CSV", f"/reports/civil-rights.csv?year={year}"),
        (f"dashboard, one school ({school.name})", f"/reports/dashboard?year={year}&school_id={school.id}"),
        ("dashboard, all schools", f"/reports/dashboard?year={year}"),
        ("disparity monitor", f"/reports/disparity?year={year}"),
        ("escalation audit (page 1)", "/reports/escalations"),
        ("escalation audit CSV (all rows)", "/reports/escalations.csv"),
    ]
    if only:
        pages = [(label, path) for label, path in pages if any(o in label for o in only.split(","))]
    client = app.test_client()
    sign_in(client, AUDITOR_EMAIL)
    args.load_before = os.getloadavg()
    results = []
    for label, path in pages:
        client.get(path)  # warm-up: templates compiled, statement caches filled
        times, counts, slowest, sql, statuses, sizes = [], [], [], [], set(), set()
        for _ in range(args.runs):
            queries.reset()
            t0 = time.perf_counter()
            response = client.get(path)
            body = response.get_data()
            times.append(time.perf_counter() - t0)
            statuses.add(response.status_code)
            sizes.add(len(body))
            counts.append(len(queries.entries))
            slowest.append(max((e[0] for e in queries.entries), default=0.0))
            sql.append(sum(e[0] for e in queries.entries))
        last = list(queries.entries)
        result = {
            "label": label,
            "path": path,
            "min": min(times),
            "median": statistics.median(times),
            "max": max(times),
            "queries": sorted(set(counts)),
            "slowest_query": statistics.median(slowest),
            "sql_total": statistics.median(sql),
            "status": sorted(statuses),
            "bytes": max(sizes),
            "last": last,
        }
        results.append(result)
        log(
            f"{label}: min {result['min'] * 1000:.0f} ms, median {result['median'] * 1000:.0f} ms, "
            f"max {result['max'] * 1000:.0f} ms, {result['queries']} queries, status {result['status']}"
        )
    args.load_after = os.getloadavg()
    if args.explain_over is not None:
        explain(app, results, args.explain_over / 1000)
    return results


# --- the incident list at 1M incidents ----------------------------------------------------------

LIST_ADMIN_EMAIL = "principal.{school}@bench.example"  # user (s-1)*25+1: an administrator of school s
LIST_TARGET_MS = 50


def list_token(app, email: str) -> str:
    """A personal access token of `email` (the API accepts tokens only), made by its owner."""
    from caseflow.auth.models import User
    from caseflow.auth.services import create_token
    from caseflow.db import transaction
    from caseflow.extensions import db

    with app.app_context(), transaction():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        _, secret = create_token(actor=user, user=user, name="bench incident list", days=1)
    return secret


def time_incident_lists(url: str, args) -> list[dict]:
    """The incident list page (/incidents) and GET /api/v1/incidents of one high school's
    administrator (the school serves ~25,000 of the 1,000,000 incidents): the first page, a
    filtered page, a page by number near the end of the counted rows, a page deep in the list
    by number (the old way) and the page "older than" the same point (a keyset cursor)."""
    from caseflow.extensions import db

    app = make_app(url)
    with app.app_context():
        queries = QueryLog(db.engine)
        school = db.session.execute(
            sa.text("SELECT id, name FROM schools WHERE name LIKE 'High%' ORDER BY id LIMIT 1")
        ).one()
        total = db.session.scalar(
            sa.text("SELECT count(*) FROM incidents WHERE school_id = :s"), {"s": school.id}
        )
        # The incident 10,000 rows down the school's list: where the deep pages start.
        deep = db.session.execute(
            sa.text(
                "SELECT id, occurred_at FROM incidents WHERE school_id = :s "
                "ORDER BY occurred_at DESC, id DESC OFFSET 9999 LIMIT 1"
            ),
            {"s": school.id},
        ).one()
    email = LIST_ADMIN_EMAIL.format(school=school.id)
    log(f"incident list of {school.name} ({total:,} incidents), signed in as {email}")
    cursor = f"{int(deep.occurred_at.timestamp() * 1_000_000)}_{deep.id}"
    cases = [
        ("first page", ""),
        ("filtered: status routed, 2025-26", "status=routed&date_from=2025-08-01&date_to=2026-07-31"),
        ("page 40 (rows 976-1,000)", "page=40"),
        ("page 401 by number (offset 10,000)", "page=401"),
        ("older than row 10,000 (cursor)", f"before={cursor}"),
    ]
    client = app.test_client()
    sign_in(client, email)
    headers = {"Authorization": f"Bearer {list_token(app, email)}"}
    args.lists_load_before = os.getloadavg()
    results = []
    for kind, base, extra in (("page", "/incidents", {}), ("API", "/api/v1/incidents", headers)):
        for label, query in cases:
            path = f"{base}?{query}" if query else base
            client.get(path, headers=extra)  # warm-up
            times, counts, statuses = [], [], set()
            for _ in range(args.runs):
                queries.reset()
                t0 = time.perf_counter()
                response = client.get(path, headers=extra)
                response.get_data()
                times.append(time.perf_counter() - t0)
                statuses.add(response.status_code)
                counts.append(len(queries.entries))
            result = {
                "label": f"{kind}: {label}",
                "path": path,
                "min": min(times),
                "median": statistics.median(times),
                "max": max(times),
                "queries": sorted(set(counts)),
                "sql_total": sum(e[0] for e in queries.entries),
                "slowest_query": max((e[0] for e in queries.entries), default=0.0),
                "status": sorted(statuses),
                "last": list(queries.entries),
            }
            results.append(result)
            log(
                f"{result['label']}: median {result['median'] * 1000:.1f} ms, "
                f"{result['queries']} queries, status {result['status']}"
            )
    args.lists_load_after = os.getloadavg()
    if args.explain_over is not None:
        explain(app, results, args.explain_over / 1000)
    return results


def print_list_report(args, results) -> None:
    print(
        f"\nincident lists: load average (1 min) {args.lists_load_before[0]:.1f} before, "
        f"{args.lists_load_after[0]:.1f} after; {args.runs} timed requests each after a warm-up"
    )
    print(
        "\n| request | median ms | min ms | max ms | queries | SQL ms (last) | status "
        f"| under {LIST_TARGET_MS} ms |"
    )
    print("| --- | --: | --: | --: | --: | --: | --- | --- |")
    for r in results:
        ok = "yes" if r["median"] * 1000 < LIST_TARGET_MS else "**no**"
        print(
            f"| {r['label']} | {r['median'] * 1000:.1f} | {r['min'] * 1000:.1f} | {r['max'] * 1000:.1f} "
            f"| {'/'.join(map(str, r['queries']))} | {r['sql_total'] * 1000:.1f} "
            f"| {'/'.join(map(str, r['status']))} | {ok} |"
        )


def explain(app, results, threshold: float) -> None:
    from caseflow.extensions import db

    with app.app_context():
        for result in results:
            for seconds, statement, parameters in result["last"]:
                if seconds < threshold or not statement.lstrip().upper().startswith("SELECT"):
                    continue
                print(f"\n=== {result['label']}: {seconds * 1000:.0f} ms\n{statement}\n-- {parameters}")
                with db.engine.connect() as conn:
                    plan = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or {}
                    ).all()
                print("\n".join(r[0] for r in plan))


# --- side by side: the dashboard and the escalation-audit CSV of another commit -------------------


def _module_at(ref: str, name: str):
    """caseflow/reports/<name>.py as it is at git `ref`, loaded as a module of its own (it imports
    the models and helpers of this checkout)."""
    import subprocess
    import types

    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{ref}:caseflow/reports/{name}.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    safe_ref = re.sub(r"\W", "_", ref)
    module = types.ModuleType(f"bench_{name}_at_{safe_ref}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:caseflow/reports/{name}.py", "exec"), module.__dict__)
    return module


def side_by_side(url: str, args) -> list[dict]:
    """The all-schools dashboard (school_dashboard) and the escalation-audit CSV of every row
    (audit_rows + csv_text) computed by the code of `args.against` and by this checkout, one
    after the other in each of `args.runs` rounds, in one process on the same data, with a fresh
    session each time; both must give the same result."""
    from zoneinfo import ZoneInfo

    from caseflow.extensions import db
    from caseflow.people.models import School
    from caseflow.reports import dashboard, escalation_audit
    from caseflow.reports.periods import zone_of

    versions = {
        args.against: (_module_at(args.against, "dashboard"), _module_at(args.against, "escalation_audit")),
        "this checkout": (dashboard, escalation_audit),
    }
    app = make_app(url)
    queries = None
    with app.app_context():
        queries = QueryLog(db.engine)

    def run_dashboard(module):
        schools = db.session.scalars(sa.select(School).order_by(School.id)).all()
        board = module.school_dashboard(schools, args.year)
        return (
            board.incidents,
            [(c.key, c.labels, c.values) for c in board.charts],
            [(s.role, s.staff, s.students, s.open_cases) for s in board.staffing],
            board.escalations_by_month,
        )

    def run_csv(module):
        schools = db.session.scalars(sa.select(School).order_by(School.id)).all()
        tz = ZoneInfo(zone_of(schools))
        rows = module.audit_rows([s.id for s in schools], module.Filters(), tz)
        return module.csv_text(rows, tz)

    results = []
    args.side_load_before = os.getloadavg()
    with app.test_request_context():
        for label, work in (("all-schools dashboard", run_dashboard), ("escalation-audit CSV", run_csv)):
            times = {v: [] for v in versions}
            sql = {v: [] for v in versions}
            counts = {v: set() for v in versions}
            answers = {}
            for version, modules in versions.items():  # warm-up
                db.session.remove()
                answers[version] = work(modules[0] if work is run_dashboard else modules[1])
            for _ in range(args.runs):
                for version, modules in versions.items():
                    db.session.remove()
                    queries.reset()
                    t0 = time.perf_counter()
                    work(modules[0] if work is run_dashboard else modules[1])
                    times[version].append(time.perf_counter() - t0)
                    sql[version].append(sum(e[0] for e in queries.entries))
                    counts[version].add(len(queries.entries))
            same = len({repr(a) for a in answers.values()}) == 1
            for version in versions:
                results.append(
                    {
                        "what": label,
                        "version": version,
                        "median": statistics.median(times[version]),
                        "min": min(times[version]),
                        "max": max(times[version]),
                        "sql": statistics.median(sql[version]),
                        "statements": sorted(counts[version]),
                        "same": same,
                    }
                )
            log(
                f"{label}: "
                + ", ".join(f"{v} median {statistics.median(times[v]) * 1000:.0f} ms" for v in versions)
                + f", same result: {same}"
            )
    args.side_load_after = os.getloadavg()
    return results


def print_side_by_side(args, results) -> None:
    print(
        f"\nside by side, {args.runs} rounds (load average {args.side_load_before[0]:.1f} before, "
        f"{args.side_load_after[0]:.1f} after)"
    )
    print("| what | code | min ms | median ms | max ms | SQL ms (median) | statements | same result |")
    print("| --- | --- | --: | --: | --: | --: | --: | --- |")
    for r in results:
        print(
            f"| {r['what']} | {r['version']} | {r['min'] * 1000:.0f} | {r['median'] * 1000:.0f} "
            f"| {r['max'] * 1000:.0f} | {r['sql'] * 1000:.0f} | {'/'.join(map(str, r['statements']))} "
            f"| {'yes' if r['same'] else '**no**'} |"
        )


def print_report(args, load_timings, results, sizes) -> None:
    print()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    if load_timings:
        print(f"load: {load_timings['total']:.1f} s")
    if sizes:
        print("\n| table | rows | size |\n| --- | --: | --: |")
    for name, rows, size in sizes:
        print(f"| {name} | {rows:,} | {size} |")
    if results:
        print(
            f"\nload average (1 min) {args.load_before[0]:.1f} before the timed requests, "
            f"{args.load_after[0]:.1f} after"
        )
    print(
        f"\n| page (year {args.year}) | min ms | median ms | max ms | queries | SQL ms | slowest query ms "
        f"| status | under {TARGET_SECONDS:g} s |"
    )
    print("| --- | --: | --: | --: | --: | --: | --: | --- | --- |")
    for r in results:
        ok = "yes" if r["max"] < TARGET_SECONDS else "**no**"
        queries = "/".join(str(q) for q in r["queries"])
        status = "/".join(str(s) for s in r["status"])
        print(
            f"| {r['label']} | {r['min'] * 1000:.0f} | {r['median'] * 1000:.0f} | {r['max'] * 1000:.0f} "
            f"| {queries} | {r['sql_total'] * 1000:.0f} | {r['slowest_query'] * 1000:.0f} | {status} | {ok} |"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (after one warm-up)")
    parser.add_argument("--year", type=int, help="school year to report (default: the last full one)")
    parser.add_argument("--reuse", action="store_true", help="skip the load when the data is there")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--explain-over", type=float, metavar="MS", help="EXPLAIN ANALYZE slower statements")
    parser.add_argument("--lists", action="store_true", help="also time the incident list page and API")
    parser.add_argument("--lists-only", action="store_true", help="time only the incident list page and API")
    parser.add_argument(
        "--only", metavar="WORDS", help="time only the pages whose label has one of these (a,b)"
    )
    parser.add_argument(
        "--against",
        metavar="GIT_REF",
        help="also time the dashboard and the escalation CSV of GIT_REF's code beside this checkout's",
    )
    args = parser.parse_args(argv)

    from caseflow.reports.periods import current_school_year

    args.year = args.year or current_school_year() - 1
    bench_database_name(args.database)
    ensure_database(args.database)
    load_timings = None
    if args.reuse and loaded(args.database, args):
        log("data already loaded (--reuse): skipping the load")
    else:
        log(f"migrating {args.database} from an empty schema")
        t0 = time.perf_counter()
        migrate_fresh(args.database)
        log(f"  migrations: {time.perf_counter() - t0:.1f} s")
        ref = reference_data(args.database)
        log(f"loading {args.students:,} students and {args.incidents:,} incidents")
        load_timings = load(args.database, args, ref)
        log(f"load took {load_timings['total']:.1f} s (without the migrations)")
    sizes = table_sizes(args.database)
    if args.load_only:
        print_report(args, load_timings, [], sizes)
        return 0
    if args.lists_only:
        lists = time_incident_lists(args.database, args)
        print_list_report(args, lists)
        return 0 if all(r["status"] == [200] for r in lists) else 1
    results = time_pages(args.database, args, only=args.only)
    print_report(args, load_timings, results, sizes)
    if args.against:
        print_side_by_side(args, side_by_side(args.database, args))
    if args.lists:
        lists = time_incident_lists(args.database, args)
        print_list_report(args, lists)
        results = results + [dict(r, max=0.0) for r in lists]
    return 0 if all(r["max"] < TARGET_SECONDS and r["status"] == [200] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
