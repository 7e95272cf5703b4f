"""portal/psycopg_speed.py: on PostgreSQL the engine's cursors describe a result's columns only
when something reads them, and then exactly as psycopg does; a statement SQLAlchemy has run
before builds none."""
import os

import psycopg._cursor_base
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal import psycopg_speed
from portal.extensions import db
from portal.members.models import User
from tests.factories import login, make_user

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="psycopg cursors: PostgreSQL only (TEST_DATABASE_URL)")

STATEMENTS = [
    "SELECT 1 AS one, 'deux'::text AS \"Deux\", 3.5::numeric(6, 2) AS trois, now() AS quand,"
    " ARRAY[1, 2] AS liste, NULL::jsonb AS vide",
    "SELECT id, email FROM users WHERE false",
    "SELECT",
]


def described(connection, statement: str):
    cursor = connection.cursor()
    cursor.execute(statement)
    return cursor.description


def as_tuples(description):
    return None if description is None else [
        (tuple(column), column.type_display) for column in description]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_description_is_psycopgs_own(app, statement):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            ours = described(raw.driver_connection, statement)
            raw.driver_connection.cursor_factory = psycopg_speed.Cursor
            theirs = described(raw.driver_connection, statement)
        finally:
            raw.driver_connection.cursor_factory = psycopg_speed.QuickCursor
            raw.close()
    assert isinstance(ours, psycopg_speed.Description)
    assert len(ours) == len(theirs) and bool(ours) is bool(theirs)
    assert as_tuples(ours) == as_tuples(theirs)
    assert as_tuples(ours[-1:]) == as_tuples(theirs[-1:])


def test_statements_without_rows_have_no_description(app):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            assert described(raw.driver_connection, "SET LOCAL work_mem = '4MB'") is None
        finally:
            raw.close()


def test_a_description_read_late_still_describes_its_own_statement(app):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            cursor.execute("SELECT 1 AS first_one")
            early = cursor.description
            cursor.execute("SELECT 'x' AS later, 2 AS other")
            assert [column.name for column in early] == ["first_one"]
            assert [column.name for column in cursor.description] == ["later", "other"]
        finally:
            raw.close()


def test_every_connection_of_the_engine_uses_it(app):
    with app.app_context():
        connection = db.session.connection().connection.driver_connection
        assert connection.cursor_factory is psycopg_speed.QuickCursor


def test_a_statement_run_before_builds_no_column(app, monkeypatch):
    built = []

    class Counted(psycopg_speed.Column):
        def __init__(self, cursor, index):
            built.append(index)
            super().__init__(cursor, index)

    monkeypatch.setattr(psycopg_speed, "Column", Counted)
    monkeypatch.setattr(psycopg._cursor_base, "Column", Counted)  # psycopg's own cursors
    with app.app_context():
        make_user(email="lent@example.com")
        query = select(User).where(User.email == "lent@example.com")
        db.session.scalars(query).one()  # compiled and described the first time (if not cached)
        built.clear()
        db.session.expunge_all()
        assert db.session.scalars(query).one().email == "lent@example.com"
    assert built == []


# --- Read-only transactions end with COMMIT, so prepared statements outlive them -----------

def prepared_statements() -> list[str]:
    """The statements PostgreSQL holds prepared for the session's connection."""
    return db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


def test_a_statement_read_in_many_transactions_is_prepared_once(app):
    """psycopg prepares a statement on its fifth run, and forgot it on every rollback."""
    with app.app_context():
        make_user(email="lue@example.com")
        query = select(User.id).where(User.email == "lue@example.com")
        for _ in range(6):
            assert db.session.execute(query).all()
            db.session.rollback()
        assert any("FROM users" in statement and "users.email" in statement
                   for statement in prepared_statements())


def test_a_page_shown_again_runs_its_statements_prepared(app, client):
    with app.app_context():
        make_user(email="awa@example.com")
    login(client)
    for _ in range(6):
        assert client.get("/compte").status_code == 200
    with app.app_context():
        assert any("FROM users" in statement for statement in prepared_statements())


@pytest.mark.parametrize("write", ["orm", "sql"])
def test_a_transaction_that_wrote_is_rolled_back(app, write):
    with app.app_context():
        user = make_user(email="avant@example.com")
        db.session.scalars(select(User)).all()  # a read before the write
        if write == "orm":
            user.full_name = "Jamais enregistré"
            db.session.flush()
        else:
            db.session.execute(text("UPDATE users SET full_name = 'Jamais enregistré'"))
        db.session.scalars(select(User)).all()  # and after it
        db.session.rollback()
        db.session.expire_all()
        assert db.session.scalar(select(User.full_name)) != "Jamais enregistré"


def test_a_failed_read_is_rolled_back_and_the_connection_goes_on(app):
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.rollback()
        assert db.session.scalar(text("SELECT 2")) == 2
