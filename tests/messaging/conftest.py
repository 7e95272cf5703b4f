"""Fixtures for the messaging tests: a real SMTP server on loopback, a mail folder of one's
own, a port where nothing listens, and rows added straight to the outbox.
"""
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging.models import OutboxMessage
from tests.conftest import free_port
from tests.mail_server import MailServer
from tests.messaging.rows import detached

SIGNUP = {
    "email": "fatou@example.com",
    "password": "Mangues-et-papayes-2026",
    "password_confirm": "Mangues-et-papayes-2026",
    "full_name": "Fatou Ndiaye",
    "phone": "07 01 02 03 04",
    "preferred_channel": "email",
    "locale": "fr",
    "company_name": "",
    "company_registration": "",
}


@pytest.fixture
def mail_server(app, monkeypatch):
    """The portal's MAIL_SERVER points at this server, which is NOT running until .start()."""
    server = MailServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp(mail_server) -> MailServer:
    """A running SMTP server the portal sends to."""
    return mail_server.start()


@pytest.fixture
def smtp_down(mail_server) -> MailServer:
    """The portal's SMTP server is down: nothing listens on its port (yet)."""
    return mail_server


@pytest.fixture
def mail_dir(app, monkeypatch, tmp_path) -> Path:
    """No SMTP server: mail is written as .eml files in this (empty) folder."""
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(folder))
    return folder


def eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read_eml(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def add_message(recipient: str = "awa@example.com", **fields) -> int:
    """An outbox row added directly (in an app context), committed; returns its id."""
    values = {"kind": "test", "subject": "Un message", "body_text": "Bonjour",
              "body_html": "<p>Bonjour</p>"} | fields
    row = OutboxMessage(recipient=recipient, **values)
    db.session.add(row)
    db.session.commit()
    return row.id


def outbox_row(app, row_id: int) -> OutboxMessage:
    return detached(app, OutboxMessage, row_id)


def make_due(app, row_id: int | None = None) -> None:
    """Move the next attempt of a row (or of every row) to the past."""
    with app.app_context():
        statement = update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        if row_id is not None:
            statement = statement.where(OutboxMessage.id == row_id)
        db.session.execute(statement)
        db.session.commit()


def only_row_id(app) -> int:
    with app.app_context():
        [row_id] = db.session.scalars(select(OutboxMessage.id)).all()
        return row_id


@pytest.fixture(autouse=True)
def public_base_url(app, monkeypatch):
    """Webhook signatures are computed for http://localhost: keep that address even when the
    browser tests' live server (session-wide) has changed PUBLIC_BASE_URL."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://localhost")
