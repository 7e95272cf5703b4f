"""portal/psycopg_speed.py: on PostgreSQL the engine's cursors describe a result's columns only
when something reads them, and then exactly as psycopg does; a statement SQLAlchemy has run
before builds none."""
import os

import psycopg._cursor_base
import pytest
from sqlalchemy import select

from portal import psycopg_speed
from portal.extensions import db
from portal.members.models import User
from tests.factories import make_user

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
