"""Migrations: a brand-new empty database goes to head, the models match the migrated schema
(nothing left for autogenerate), and downgrade goes back to an empty database.
"""
import os
import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
def empty_database_url(tmp_path):
    """A database that has never seen the portal: a new SQLite file, or a new PostgreSQL
    database with a random name on the server of TEST_DATABASE_URL (dropped at the end)."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"portal_migrations_{secrets.token_hex(6)}"
    admin = create_engine(make_url(server_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh(empty_database_url, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "migration-test-secret-key-0123",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def scripts() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_autogenerate_diff(app) -> list:
    migrate = app.extensions["migrate"]
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migrate.configure_args)
        return compare_metadata(context, db.metadata)


def test_an_empty_database_migrates_to_head_and_matches_the_models(fresh):
    assert tables(fresh) == set()
    runner = fresh.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert current_revision(fresh) == scripts().get_current_head()
    assert {table.name for table in db.metadata.sorted_tables} <= tables(fresh)
    assert pending_autogenerate_diff(fresh) == []

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert tables(fresh) <= {"alembic_version"}
    assert current_revision(fresh) is None

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, "upgrade works again after a full downgrade"
    assert pending_autogenerate_diff(fresh) == []


def test_migrating_again_after_the_tables_were_dropped(fresh):
    """What the test suite and the benchmark do between runs (`reset_schema`): the tables go,
    what is not a table stays (extensions, the search's `portal_fold` function on PostgreSQL),
    and the migrations still run to the end."""
    runner = fresh.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with fresh.app_context():
        with db.engine.begin() as connection:
            db.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert current_revision(fresh) == scripts().get_current_head()


def test_the_comparison_notices_a_model_the_migrations_do_not_have(fresh):
    """The check above is not vacuous: a table only in the models shows up as a diff."""
    fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    with fresh.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE notifications"))
    added = [entry[1].name for entry in pending_autogenerate_diff(fresh)
             if entry[0] == "add_table"]
    assert added == ["notifications"]


def test_the_migration_history_has_a_single_head():
    assert len(scripts().get_heads()) == 1
