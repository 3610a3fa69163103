"""With Spanish chosen, an administrator's pages for discipline, guardian notices and the
disparity monitor speak Spanish: the exclusion gate on the incident page, the notice page,
reach parity and the ratio charts."""

from __future__ import annotations

from tests.helpers import sign_in
from tests.i18n.test_language_choice import lang_of
from tests.i18n.test_spanish_pages import speaks_spanish


def test_an_administrator_works_on_discipline_in_spanish(app, client, make, lincoln, payload, api_token):
    response = client.post(
        "/api/v1/incidents", json=payload(behaviors=["fighting"]), headers=api_token(lincoln.teacher)
    )
    assert response.status_code == 201, response.get_json()
    incident_id = response.get_json()["id"]
    admin = make.user("administrator", schools=[lincoln.school])
    speaks_spanish(app, admin)
    sign_in(client, admin)

    incident = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert lang_of(incident) == "es"
    assert "Medidas disciplinarias" in incident and "Suspensión fuera de la escuela y expulsión" in incident
    assert "La disciplina ordinaria nunca lleva a una suspensión fuera de la escuela" in incident
    assert "Aviso a un tutor…" in incident
    assert "Misma primera conducta (Pelea)" in incident and "el último año: ninguno;" in incident
    assert "¿La conducta es sustancialmente similar a la conducta de los retiros anteriores?" in incident
    assert "0 días escolares de retiro en 2026-27." in incident
    assert "Out-of-school suspension and expulsion" not in incident and "Notice to a guardian" not in incident

    notice = client.get(f"/students/{lincoln.student}/notices/new?incident_id={incident_id}")
    assert notice.status_code == 200
    page = notice.get_data(as_text=True)
    assert "Aviso a un tutor:" in page and "Enviar por correo electrónico" in page
    assert "Aviso de incidente" in page and "Send by e-mail" not in page and "Incident notice" not in page

    monitor = client.get("/reports/disparity").get_data(as_text=True)
    assert lang_of(monitor) == "es"
    assert "Paridad de contacto: familias por idioma del hogar" in monitor
    assert "razones de riesgo de todos los grupos" in monitor
    assert "No se pudo calcular ninguna razón." in monitor
    assert "Reach parity" not in monitor and "risk ratios of every group" not in monitor
    assert "no calculada: el grupo no alcanza los tamaños mínimos" in monitor
    assert "not calculated" not in monitor
