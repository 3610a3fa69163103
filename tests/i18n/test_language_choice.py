"""Which language a page speaks: the person's choice, the sign-in page's cookie, the browser."""

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.extensions import db
from caseflow.i18n import LANGUAGE_COOKIE, language_choices, supported_languages
from tests.helpers import csrf_token, post_form, sign_in


def lang_of(page: str) -> str:
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_spanish_is_offered_in_its_own_name():
    assert supported_languages()[0] == "en" and "es" in supported_languages()
    assert dict(language_choices())["es"] == "Español"


def test_english_without_any_preference(client):
    assert lang_of(client.get("/login").get_data(as_text=True)) == "en"


def test_browser_preference_among_supported_languages(client):
    page = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert lang_of(page.get_data(as_text=True)) == "es"
    page = client.get("/login", headers={"Accept-Language": "tlh,fr;q=0.9"})
    assert lang_of(page.get_data(as_text=True)) == "en"


def test_login_page_choice_is_kept_in_a_cookie(client):
    response = client.post("/language", data={"language": "es", "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get_cookie(LANGUAGE_COOKIE).value == "es"
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(page) == "es" and "Cambiar idioma" in page


def test_login_page_choice_keeps_where_the_person_was_going(client):
    token = csrf_token(client)
    response = client.post(
        "/language", data={"language": "es", "next": "/login?next=/cases", "csrf_token": token}
    )
    assert response.headers["Location"] == "/login?next=/cases"
    response = client.post(
        "/language", data={"language": "es", "next": "https://evil.example/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_unknown_language_is_refused(client):
    response = client.post("/language", data={"language": "xx", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_account_choice_persists_for_the_person(app, client, make):
    user = make.user("teacher", schools=[make.school()])
    sign_in(client, user)
    response = post_form(client, "/language", {"language": "es"}, token_from="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    with app.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.id == user.id)) == "es"
    # Another browser, which prefers English, gets Spanish once the person has signed in.
    other = app.test_client()
    sign_in(other, user)
    page = other.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(page) == "es" and 'value="es" lang="es" selected' in page


def test_read_only_person_may_choose_a_language(app, client, make):
    user = make.user("district_auditor", district_wide=True)
    sign_in(client, user)
    assert post_form(client, "/language", {"language": "es"}, token_from="/account").status_code == 302


def test_the_outage_page_speaks_the_browsers_language():
    """While the database is unreachable a signed-in person's choice cannot be read: the page
    says so in the language the browser asks for, without a second error."""
    from tests.test_health import NOBODY_LISTENS, _app

    client = _app(NOBODY_LISTENS).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
        session["_fresh"] = True
    page = client.get("/", headers={"Accept-Language": "es"})
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert lang_of(text) == "es" and "No disponible temporalmente" in text
