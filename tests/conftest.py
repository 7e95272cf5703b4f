"""Shared fixtures: one app per test session on SQLite (or TEST_DATABASE_URL), a clean
database for every test, a client that sends the CSRF token like a browser, and mail helpers.
"""
import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, select, text

from portal import create_app
from portal.extensions import db, limiter
from portal.messaging.models import OutboxMessage

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
LINK = re.compile(r"https?://[^\s\"<>]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite'}"


def reset_schema() -> None:
    """Drop everything (tables and Alembic's version table), then migrate to head."""
    with db.engine.begin() as connection:
        db.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


class PortalClient(FlaskClient):
    """A test client that posts forms with the CSRF token, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        return CSRF_INPUT.search(page).group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("portal")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-with-enough-length",
        "SQLALCHEMY_DATABASE_URI": test_database_url(tmp_dir),
        "PUBLIC_BASE_URL": "http://localhost",
        "MAIL_SERVER": "",
        "MAIL_FILE_DIR": str(tmp_dir / "mail"),
        "UPLOAD_ROOT": str(tmp_dir / "uploads"),
        "RATELIMIT_ENABLED": True,
        "OUTBOX_SEND_AT_ONCE": True,
        "PHONE_DEFAULT_REGION": "CI",
    })
    app.test_client_class = PortalClient
    with app.app_context():
        reset_schema()
    return app


@pytest.fixture(autouse=True)
def clean_state(app):
    """Every test starts with empty tables and fresh rate-limit counters."""
    limiter.reset()
    yield
    empty_tables(app)


def empty_tables(app) -> None:
    """Delete every row of every table (children first) and reset the rate-limit counters."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in tables_children_first():
                connection.execute(table.delete())
    limiter.reset()


def tables_children_first() -> list:
    """Every table, in an order in which deleting the rows breaks no foreign key; `tallies`
    last, since deleting orders and users changes it (its triggers)."""
    tables = list(reversed(db.metadata.sorted_tables))
    return [table for table in tables if table.name != "tallies"] + [
        table for table in tables if table.name == "tallies"]


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app) -> PortalClient:
    return app.test_client()


@pytest.fixture
def other_client(app) -> PortalClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Read the messages the portal has queued: outbox.to(address) -> list of rows."""
    class Outbox:
        def all(self) -> list[OutboxMessage]:
            with app.app_context():
                rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
                db.session.expunge_all()
                return rows

        def to(self, address: str, kind: str | None = None) -> list[OutboxMessage]:
            return [row for row in self.all()
                    if row.recipient == address and (kind is None or row.kind == kind)]

        def link(self, address: str, kind: str) -> str:
            """The portal link in the last message of that kind to that address."""
            row = self.to(address, kind)[-1]
            return next(url for url in LINK.findall(row.body_text)
                        if url.startswith(app.config["PUBLIC_BASE_URL"]))

    return Outbox()


def path_of(url: str) -> str:
    """The path part of an absolute link, for the test client."""
    return re.sub(r"^https?://[^/]+", "", url)


@contextmanager
def sql_statements(app):
    """The SQL statements sent while the block runs, in a list filled as they go."""
    sent = []

    def record(_connection, _cursor, statement, *_rest):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
