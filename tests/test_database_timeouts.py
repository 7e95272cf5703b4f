"""PostgreSQL gives up on a request's statement that runs too long (DATABASE_STATEMENT_TIMEOUT)
or waits too long for rows another transaction holds (DATABASE_LOCK_TIMEOUT): the visitor gets
the 503 page asking to retry, nothing of the request is kept, and the same request works once
the rows are free. Migrations are not held to the statement limit."""
import os

import pytest
from sqlalchemy import event, select, text

from portal import create_app
from portal.extensions import db
from portal.members.models import User
from portal.requests.models import Order
from tests.conftest import PortalClient
from tests.factories import login
from tests.payments import builders
from tests.payments.people import STAFF
from tests.payments.people import people as people  # noqa: F401 (a fixture)
from tests.test_database_outage import assert_unavailable
from tests.test_migrations import empty_database_url  # noqa: F401

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs TEST_DATABASE_URL (PostgreSQL)")

SHARED = ["SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PUBLIC_BASE_URL", "MAIL_SERVER",
          "MAIL_FILE_DIR", "UPLOAD_ROOT", "OUTBOX_SEND_AT_ONCE", "PHONE_DEFAULT_REGION"]


@pytest.fixture
def impatient(app, monkeypatch):
    """The portal on the same database, whose statements give up after 0.5 s and whose lock
    waits give up after 0.3 s."""
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    other = create_app({"TESTING": True, **{key: app.config[key] for key in SHARED},
                        "DATABASE_STATEMENT_TIMEOUT": "0.5", "DATABASE_LOCK_TIMEOUT": "0.3"})
    other.test_client_class = PortalClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def status_of(app, order_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.id == order_id))


def test_a_staff_action_on_an_order_another_transaction_holds_is_a_503_that_keeps_nothing(
        app, impatient, people):
    with app.app_context():
        order_id = builders.order_in("confirmed", db.session.get(User, people.member),
                                     db.session.get(User, people.staff)).id
    client = impatient.test_client()
    assert login(client, STAFF).status_code == 302
    purchase = f"/equipe/commandes/{order_id}/achat"
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": order_id})
        page = assert_unavailable(client.post_form(purchase, {"merchant_order_number": "AMZ-1"}),
                                  "Service momentanément indisponible")
        assert "été modifié. Réessayez dans quelques instants." in page
        holder.rollback()
    assert status_of(app, order_id) == "confirmed"
    assert client.post_form(purchase, {"merchant_order_number": "AMZ-1"}).status_code == 302
    assert status_of(app, order_id) == "purchased"


def test_a_statement_running_past_the_limit_is_a_503(impatient):
    impatient.add_url_rule("/lente", "slow", lambda: str(
        db.session.scalar(text("SELECT pg_sleep(3) IS NULL"))))
    assert_unavailable(impatient.test_client().get("/lente"), "Service momentanément")


def test_the_portal_connections_carry_both_limits(impatient, app):
    with impatient.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "500ms"
        assert db.session.scalar(text("SHOW lock_timeout")) == "300ms"
    with app.app_context():  # the defaults
        assert db.session.scalar(text("SHOW statement_timeout")) == "30s"
        assert db.session.scalar(text("SHOW lock_timeout")) == "10s"


def test_migrations_are_not_held_to_the_statement_limit(empty_database_url,  # noqa: F811
                                                        monkeypatch):
    """The limit in force while the migrations create their tables is none; the connections
    the portal uses afterwards have the configured one."""
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    migrated = create_app({"TESTING": True, "SECRET_KEY": "migration-test-secret-key-0123",
                           "SQLALCHEMY_DATABASE_URI": empty_database_url,
                           "DATABASE_STATEMENT_TIMEOUT": "20"})
    seen = []

    def look(_connection, cursor, statement, *_args):
        if statement.lstrip().startswith("CREATE TABLE") and not seen:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])

    with migrated.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", look)
    try:
        result = migrated.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output + str(result.exception)
        assert seen == ["0"]
        with migrated.app_context():
            assert db.session.scalar(text("SHOW statement_timeout")) == "20s"
    finally:
        event.remove(engine, "after_cursor_execute", look)
        with migrated.app_context():
            db.session.remove()
            db.engine.dispose()
