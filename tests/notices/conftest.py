"""Guardian notices: a real SMTP server that can bounce a mailbox, the PDF tools (WeasyPrint,
pdftotext, the fonts) required in CI and skipped without them elsewhere, and a student with
guardians and an incident."""

import os
import shutil
import socket
import subprocess
from types import SimpleNamespace

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
# The scripts a letter must be printable in, as fontconfig names them: Latin and Vietnamese
# (fonts-dejavu-core), Arabic (fonts-noto-core), Chinese (fonts-noto-cjk).
SCRIPTS = {"vi": "Vietnamese", "ar": "Arabic", "zh-cn": "Chinese"}


class Mailbox:
    """Accepts every message but those to `unknown` mailboxes (550: a bounce)."""

    def __init__(self):
        self.messages = []
        self.unknown: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def mailbox(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False)
    try:
        yield box
    finally:
        controller.stop()


def _missing_pdf_tools() -> list[str]:
    missing = []
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        missing.append(f"WeasyPrint ({exc})")
    if shutil.which("pdftotext") is None:
        missing.append("pdftotext (apt-get install poppler-utils)")
    if shutil.which("fc-list") is None:
        missing.append("fontconfig")
    else:
        for lang, script in SCRIPTS.items():
            found = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True)
            if not found.stdout.strip():
                missing.append(f"a font for {script} (apt-get install fonts-noto-core fonts-noto-cjk)")
    return missing


@pytest.fixture(scope="session")
def pdf_tools():
    """Printing letters needs WeasyPrint, pdftotext and fonts: skipped without them on a laptop,
    a failure in CI (which must install them)."""
    missing = _missing_pdf_tools()
    if missing:
        if IN_CI:
            pytest.fail("CI must install: " + "; ".join(missing))
        pytest.skip("missing: " + "; ".join(missing))


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def words(text: str) -> str:
    """Whitespace normalised (a PDF breaks lines where the page is full)."""
    return " ".join(text.split())


@pytest.fixture
def family(make, lincoln, client, api_token, payload):
    """Ana (lincoln.student) with an incident she shares with Ben, a counselor's API token, and
    a guardian maker."""
    counselor = make.user("counselor", schools=[lincoln.school])
    response = client.post(
        "/api/v1/incidents",
        json=payload(
            behaviors=["fighting"],
            students=[
                {"student_id": lincoln.student, "role": "responsible"},
                {"student_id": lincoln.classmate, "role": "responsible"},
            ],
        ),
        headers=api_token(lincoln.teacher),
    )
    assert response.status_code == 201, response.get_json()
    n = iter(range(1000))

    def guardian(language="en", **values):
        return make.guardian(
            lincoln.student,
            preferred_language=language,
            email=f"family{next(n)}-{language}@home.example",
            **values,
        )

    return SimpleNamespace(
        counselor=counselor,
        headers=api_token(counselor),
        incident=response.get_json()["id"],
        guardian=guardian,
        url=f"/api/v1/students/{lincoln.student}/notices",
    )


def notice_body(kind: str, link: int, incident: int, **extra) -> dict:
    body = {
        "kind": kind,
        "link_id": link,
        "incident_id": None if kind == "meeting" else incident,
        "next_steps": "A counselor will meet Ana this week.",
        "contact_person": "Ms. Baker, 555-0100",
        "suspension_details": "One day out of school, back on Thursday.",
        "meeting_kind": "restorative_conference" if kind == "meeting" else None,
        "meeting_when": "Monday at 3 pm",
        "meeting_where": "Room 12",
    }
    return {**body, **extra}
