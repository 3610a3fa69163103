"""A real SMTP server (aiosmtpd) on a free local port, which can refuse messages for a while."""

import socket
from types import SimpleNamespace

import pytest

from tests.escalations.conftest import gate_world  # noqa: F401  (escalation deadlines use it)


class Recorder:
    """Accepts messages, or answers 451 (try again later) while `refusing` is true."""

    def __init__(self):
        self.messages = []
        self.refusing = False
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False)
    try:
        yield SimpleNamespace(recorder=recorder, port=port)
    finally:
        controller.stop()
