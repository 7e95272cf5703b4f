"""/healthz for load balancers: 200 with the outbox backlog while the database answers, 503
when it does not; open to anyone, never cached, no cookie, no configuration in the answer."""
import json
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from flask_limiter import Limit

from portal import clock, create_app
from portal.extensions import client_address, db, limiter
from portal.messaging.models import OutboxMessage
from tests.conftest import free_port
from tests.factories import login, make_user

NOW = datetime(2026, 3, 2, 9, 30)
SECRET = "healthz-secret-key-that-must-never-show"


def assert_plain_health_answer(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    body = response.get_json()
    assert set(body) == {"status", "database", "outbox_backlog", "oldest_due_seconds"}
    return body


def message(status: str, due_seconds_ago: int, claimed_seconds: int | None = None):
    """An outbox row whose next attempt was `due_seconds_ago` before NOW (negative: later)."""
    claimed = NOW + timedelta(seconds=claimed_seconds) if claimed_seconds is not None else None
    return OutboxMessage(kind="test", recipient="awa@example.com", subject="s", body_text="t",
                         status=status, claimed_until=claimed,
                         next_attempt_at=NOW - timedelta(seconds=due_seconds_ago))


def test_with_an_empty_outbox_all_is_well(client):
    body = assert_plain_health_answer(client.get("/healthz"), 200)
    assert body == {"status": "ok", "database": "ok", "outbox_backlog": 0,
                    "oldest_due_seconds": 0}


def test_the_backlog_counts_only_due_unsent_messages(app, client, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    with app.app_context():
        db.session.add_all([
            message("pending", 90),                        # due for a minute and a half
            message("pending", 10),                        # due
            message("pending", 0),                         # due right now
            message("sending", 30, claimed_seconds=-5),    # its worker died: due again
            message("pending", -60),                       # a retry not yet due
            message("sending", 400, claimed_seconds=60),   # a worker holds it
            message("sent", 500),
            message("failed", 600),
        ])
        db.session.commit()
    body = assert_plain_health_answer(client.get("/healthz"), 200)
    assert body == {"status": "ok", "database": "ok", "outbox_backlog": 4,
                    "oldest_due_seconds": 90}


def test_anyone_may_ask_and_a_logged_in_visitor_gets_no_cookie_either(app, client):
    with app.app_context():
        make_user("awa@example.com")
    assert login(client, "awa@example.com").status_code == 302
    assert_plain_health_answer(client.get("/healthz"), 200)
    assert client.get("/compte").status_code == 200, "still logged in"
    head = app.test_client().head("/healthz")
    assert head.status_code == 200 and head.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in head.headers


def test_load_balancers_are_never_rate_limited(client, monkeypatch):
    """With a limit of two requests an hour on every route, pages are refused, /healthz not."""
    strict = Limit(limit_provider="2 per hour", key_function=client_address).bind(limiter)
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [strict])
    monkeypatch.setattr(limiter, "enabled", True)  # whatever an app made before decided
    assert [client.get("/connexion").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/healthz").status_code for _ in range(20)} == {200}


@pytest.fixture(params=["closed port", "unreadable sqlite"])
def unreachable_app(request, tmp_path):
    """An app of its own whose database cannot be reached: PostgreSQL on a port nobody
    listens on, or an SQLite file in a folder that does not exist."""
    url = {"closed port": f"postgresql+psycopg://portal:{SECRET}@127.0.0.1:{free_port()}/db",
           "unreadable sqlite": f"sqlite:///{tmp_path}/missing/{SECRET}.sqlite"}[request.param]
    broken = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                         "PUBLIC_BASE_URL": "http://localhost", "TESTING": True})
    yield broken
    with broken.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_host_that_never_answers_is_a_503_within_seconds(tmp_path):
    """A server that takes the connection and then says nothing (a hung host behind a
    firewall that lets the handshake through): the connect timeout ends the wait, where the
    system's TCP timeout would hold the worker thread for minutes."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:
        url = f"postgresql+psycopg://portal:{SECRET}@127.0.0.1:{silent.getsockname()[1]}/db"
        hung = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                           "PUBLIC_BASE_URL": "http://localhost", "TESTING": True,
                           "DATABASE_CONNECT_TIMEOUT": "2"})
        answers = []
        asking = threading.Thread(target=lambda: answers.append(
            hung.test_client().get("/healthz")), daemon=True)
        started = time.monotonic()
        asking.start()
        asking.join(timeout=20)
        assert not asking.is_alive(), "/healthz still waits for the database after 20 s"
        assert time.monotonic() - started < 15
        assert_plain_health_answer(answers[0], 503)
        with hung.app_context():
            db.engine.dispose()


def test_an_unreachable_database_is_a_503_that_names_nothing(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    body = assert_plain_health_answer(response, 503)
    assert body == {"status": "error", "database": "error", "outbox_backlog": None,
                    "oldest_due_seconds": None}
    raw = response.get_data(as_text=True)
    for secret in (SECRET, "127.0.0.1", "sqlite", "psycopg", "portal"):
        assert secret not in raw
    assert json.loads(raw) == body
