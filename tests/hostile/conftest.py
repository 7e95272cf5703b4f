"""Fixtures of the hostile corpus: the world of tests/hostile/world.py built once for the
package, and every test run inside a transaction rolled back afterwards (instead of emptying
the tables as tests/conftest.py does), so each case starts from the same world."""
from collections import Counter

import pytest
from sqlalchemy import create_engine, event

from portal.extensions import db, limiter
from tests.conftest import tables_children_first
from tests.hostile import world as world_module


@pytest.fixture(scope="package")
def world(app):
    with app.app_context():
        built = world_module.build()
        db.session.remove()
    yield built
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in tables_children_first():
                connection.execute(table.delete())


def savepoint_engine(engine):
    """An engine on the same database where SAVEPOINT works (pysqlite needs help)."""
    if engine.dialect.name != "sqlite":
        return engine
    own = create_engine(engine.url)

    @event.listens_for(own, "connect")
    def no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(own, "begin")
    def explicit_begin(connection):
        connection.exec_driver_sql("BEGIN")

    return own


@pytest.fixture(scope="package")
def test_engine(app, world):
    engine = db._app_engines[app][None]
    own = savepoint_engine(engine)
    yield own
    if own is not engine:
        own.dispose()


@pytest.fixture(autouse=True)
def clean_state(app, test_engine):
    """Overrides tests/conftest.py: the test's writes are rolled back, the world stays."""
    limiter.reset()
    engines = db._app_engines[app]
    engine = engines[None]
    connection = test_engine.connect()
    outer = connection.begin()
    engines[None] = connection  # every session of the test joins this transaction
    options = db.session.session_factory.kw
    options["join_transaction_mode"] = "create_savepoint"
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        del options["join_transaction_mode"]
        engines[None] = engine
        outer.rollback()
        connection.close()
        limiter.reset()


def pytest_terminal_summary(terminalreporter):
    """The corpus counted by form, printed at the end of the run."""
    from tests.hostile.catalogue import ALL_CASES

    by_form = Counter(case.form.name for case in ALL_CASES)
    cases = ALL_CASES
    terminalreporter.write_sep("-", f"hostile corpus: {len(cases)} cases, {len(by_form)} forms")
    terminalreporter.write_line(", ".join(f"{name} {n}" for name, n in sorted(by_form.items())))
