"""With Spanish chosen, the sign-in page, the incident form and a case page speak Spanish,
dates included, and <html lang> says so."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.helpers import csrf_token, sign_in
from tests.i18n.test_language_choice import lang_of


def speaks_spanish(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).language = "es"
        db.session.commit()


def test_sign_in_page_in_spanish(client):
    client.post("/language", data={"language": "es", "csrf_token": csrf_token(client)})
    page = client.get("/login").get_data(as_text=True)
    assert lang_of(page) == "es"
    assert "<title>Iniciar sesión · Caseflow</title>" in page
    assert "Contraseña" in page and "Iniciar sesión" in page and "Password" not in page


def test_incident_form_in_spanish(app, client, lincoln):
    speaks_spanish(app, lincoln.teacher)
    sign_in(client, lincoln.teacher)
    page = client.get("/incidents/new").get_data(as_text=True)
    assert lang_of(page) == "es"
    assert "Registrar un incidente" in page and "Estudiantes involucrados" in page
    assert "Lo que vio y oyó (solo hechos)" in page and "Cerrar sesión" in page
    assert "Students involved" not in page and "Sign out" not in page


def test_case_page_in_spanish_with_spanish_dates(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    response = client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    assert response.status_code == 201
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "counselor"))
    speaks_spanish(app, counselor)
    sign_in(client, counselor)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert lang_of(page) == "es"
    assert f"Caso n.º {case_id}" in page and "Planes de intervención y progreso" in page
    assert "Primer contacto antes de" in page and "First contact due" not in page
    # The suite's clock is Tuesday 17 November 2026: Spanish day and month names.
    assert "noviembre" in page and "November" not in page
    caseload = client.get("/cases").get_data(as_text=True)
    assert lang_of(caseload) == "es" and "1 caso" in caseload


def test_english_pages_keep_their_words_and_dates(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    sign_in(client, counselor)
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "counselor"))
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert lang_of(page) == "en" and "First contact due" in page and "Nov" in page
