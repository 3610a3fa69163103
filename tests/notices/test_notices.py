"""Guardian notices rendered, sent by e-mail through a real SMTP server and printed as PDF
letters whose extracted text is the notice's own."""

import email
from email import policy

import pytest
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.notices.texts import NOTICE_KINDS, render_notice
from tests.notices.conftest import notice_body, pdf_text, words

VALUES = {
    "guardian_name": "Maria Reyes",
    "student_name": "Ana",
    "school_name": "Lincoln Middle",
    "incident_date": None,
    "what_happened": "Fighting (Cafeteria).",
    "next_steps": "A counselor will meet Ana.",
    "contact_person": "Ms. Baker",
}


@pytest.mark.parametrize("kind", NOTICE_KINDS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_each_notice_as_email_and_letter(kind, language, app, client, family, mailbox, pdf_tools, tmp_path):
    from caseflow.scheduling.mail import deliver_outbox

    link = family.guardian(language)
    body = notice_body(kind, link, family.incident)
    preview = client.post(f"{family.url}/preview", json=body, headers=family.headers)
    assert preview.status_code == 200, preview.get_json()
    notice = preview.get_json()
    assert notice["language"] == language and not notice["english_instead"] and notice["note"] is None
    assert "Ms. Baker, 555-0100" in notice["text"] and "Ms. Baker, 555-0100" in notice["english_text"]
    if language == "es":
        assert notice["text"] != notice["english_text"] and "Atentamente" in notice["text"]

    letter = client.post(f"{family.url}/letter", json=body, headers=family.headers)
    assert letter.status_code == 201 and letter.mimetype == "application/pdf"
    assert words(pdf_text(letter.data, tmp_path)) == words(notice["text"])

    sent = client.post(family.url, json=body, headers=family.headers)
    assert sent.status_code == 201, sent.get_json()
    contact = sent.get_json()
    assert (contact["method"], contact["language"], contact["delivery"], contact["notice_kind"]) == (
        "email",
        language,
        "sent",
        kind,
    )
    with app.app_context():
        assert deliver_outbox()["sent"] == 1
    [envelope] = mailbox.messages
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Content-Language"] == language
    assert message["Subject"] == notice["subject"]
    assert message.get_content().replace("\r\n", "\n").strip() == notice["text"]
    log = client.get(f"/api/v1/students/{contact['student_id']}/guardian-contacts", headers=family.headers)
    assert {(c["method"], c["delivery"]) for c in log.get_json()} == {
        ("email", "delivered"),
        ("letter", "sent"),
    }


@pytest.mark.parametrize(
    "language, expected",
    [
        ("vi", ["Thông báo này", "tiếng Anh", "bản dịch tiếng Việt miễn phí"]),
        ("ar", ["المدرسة", "ترجمة", "مجانية", "العربية"]),
        ("zh", ["本通知以英文书写", "中文翻译"]),
    ],
)
def test_letters_in_vietnamese_arabic_and_chinese(language, expected, pdf_tools, tmp_path):
    """No reviewed text in these languages: the English original, under the language's note."""
    from caseflow.notices.letter import letter_html, letter_pdf

    notice = render_notice("incident", language, VALUES)
    assert notice.english_instead and notice.language == "en" and notice.note
    assert notice.text.endswith(notice.english_text)
    text = pdf_text(letter_pdf(notice), tmp_path)
    # pdftotext marks right-to-left runs with bidi controls; the letters themselves are there.
    plain = "".join(ch for ch in text if ch not in "\u202a\u202b\u202c\u202d\u202e\u200e\u200f")
    for fragment in expected:
        assert fragment in plain
    assert "Dear Maria Reyes," in plain and "Ms. Baker" in plain
    assert ('dir="rtl"' in letter_html(notice)) == (language == "ar")


def test_a_language_without_texts_or_note_gets_english():
    notice = render_notice("incident", "fr", VALUES)
    assert notice.english_instead and notice.note is None and notice.text == notice.english_text


def test_the_page_shows_both_texts_and_says_when_english_goes(
    client, lincoln, family, login_as, count_queries
):
    login_as("counselor", schools=[lincoln.school])
    spanish = family.guardian("es", is_primary_contact=True)
    arabic = family.guardian("ar")
    url = f"/students/{lincoln.student}/notices/new?incident_id={family.incident}"
    with count_queries() as counter:
        page = client.get(url)
    assert page.status_code == 200
    assert counter.n <= 25, counter.statements
    html = page.get_data(as_text=True)
    assert f'value="{spanish}" selected' in html
    assert "Estimado/a" in html and "Dear " in html and 'data-testid="english-instead"' not in html
    # What happened, suggested in the notice's language from the taxonomy's words.
    assert "Pelea (el salón de clases)." in html
    html = client.get(f"{url}&link_id={arabic}").get_data(as_text=True)
    assert 'data-testid="english-instead"' in html and 'dir="rtl"' in html
    assert "note in العربية that a translation can be asked for" in html


def test_no_other_student_is_named(client, family):
    body = notice_body(
        "incident", family.guardian(), family.incident, what_happened="Ana and Ben Cole fought."
    )
    response = client.post(f"{family.url}/preview", json=body, headers=family.headers)
    assert response.status_code == 422
    assert "Cole" in response.get_json()["error"]["fields"]["what_happened"][0]


def test_a_bounced_notice_stops_counting_as_the_guardian_reached(app, client, lincoln, family, mailbox):
    from caseflow.contacts.services import reached_contacts
    from caseflow.scheduling.mail import deliver_outbox

    told = family.guardian("es")
    bouncing = family.guardian("en")
    for link in (told, bouncing):
        body = notice_body("police_before", link, family.incident)
        assert client.post(family.url, json=body, headers=family.headers).status_code == 201
    with app.app_context():
        reached = db.session.scalars(reached_contacts(lincoln.student)).all()
        assert reached == []  # still in the outbox: not yet reached
        mailbox.unknown = {db.session.scalars(sa.text("SELECT email FROM guardians")).all()[-1]}
        assert deliver_outbox() == {"sent": 1, "failed": 0, "bounced": 1}
        reached = db.session.scalars(reached_contacts(lincoln.student)).all()
        assert [(c.link_id, c.delivery, c.purpose) for c in reached] == [
            (told, "delivered", "escalation_notice")
        ]
        assert deliver_outbox() == {"sent": 0, "failed": 0}  # a bounce is never tried again


def test_sending_twice_is_one_message(app, client, family, mailbox):
    body = notice_body("incident", family.guardian(), family.incident)
    first = client.post(family.url, json=body, headers=family.headers).get_json()
    again = client.post(family.url, json=body, headers=family.headers).get_json()
    assert first["id"] == again["id"]
