"""The engine settings: on PostgreSQL every connection plans with random_page_cost 1.1 (or
DATABASE_RANDOM_PAGE_COST), so the staff search uses its trigram indexes, and without parallel
workers (or DATABASE_PARALLEL_WORKERS), whose start cost more than the portal's small queries;
an empty setting keeps the server's. SQLite gets nothing of the kind."""
import os

import pytest
from sqlalchemy import text

from portal.config import engine_options
from portal.extensions import db

PG = "postgresql+psycopg://portal@db.example/portal"


@pytest.mark.parametrize("url, cost, workers, connect_args", [
    (PG, "1.1", "0", {"options": "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"}),
    (PG, "2", " 3 ", {"options": "-c random_page_cost=2.0 -c max_parallel_workers_per_gather=3"}),
    (PG, "1.1", "", {"options": "-c random_page_cost=1.1"}),
    (PG, "", "0", {"options": "-c max_parallel_workers_per_gather=0"}),
    (PG, "", "", None),
    (PG, None, None, None),
    ("sqlite:///portal.sqlite", "1.1", "0", None),
])
def test_engine_options(url, cost, workers, connect_args):
    options = engine_options({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_RANDOM_PAGE_COST": cost,
                              "DATABASE_PARALLEL_WORKERS": workers})
    assert options["pool_pre_ping"] is True
    assert options.get("connect_args") == connect_args


@pytest.mark.parametrize("url, timeout, connect_args", [
    (PG, "5", {"options": "-c random_page_cost=1.1", "connect_timeout": 5}),
    (PG, " 12 ", {"options": "-c random_page_cost=1.1", "connect_timeout": 12}),
    (PG, "", {"options": "-c random_page_cost=1.1"}),
    (PG + "?connect_timeout=9", "5", {"options": "-c random_page_cost=1.1"}),  # the URL's
    ("sqlite:///portal.sqlite", "5", None),
])
def test_new_connections_give_up_after_the_timeout(url, timeout, connect_args):
    options = engine_options({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_RANDOM_PAGE_COST": "1.1",
                              "DATABASE_CONNECT_TIMEOUT": timeout})
    assert options.get("connect_args") == connect_args


@pytest.mark.parametrize("statement, lock, options", [
    ("30", "10", "-c statement_timeout=30000 -c lock_timeout=10000"),
    ("0.25", "", "-c statement_timeout=250"),
    ("", " 2 ", "-c lock_timeout=2000"),
])
def test_statements_and_lock_waits_give_up_after_their_limits(statement, lock, options):
    given = engine_options({"SQLALCHEMY_DATABASE_URI": PG, "DATABASE_STATEMENT_TIMEOUT": statement,
                            "DATABASE_LOCK_TIMEOUT": lock})
    assert given["connect_args"] == {"options": options}
    assert "connect_args" not in engine_options({
        "SQLALCHEMY_DATABASE_URI": "sqlite:///portal.sqlite",
        "DATABASE_STATEMENT_TIMEOUT": statement, "DATABASE_LOCK_TIMEOUT": lock})


def test_the_defaults_come_from_the_environment(monkeypatch):
    from portal.config import from_environment

    monkeypatch.delenv("DATABASE_PARALLEL_WORKERS", raising=False)
    monkeypatch.delenv("DATABASE_RANDOM_PAGE_COST", raising=False)
    monkeypatch.delenv("DATABASE_CONNECT_TIMEOUT", raising=False)
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.delenv("DATABASE_LOCK_TIMEOUT", raising=False)
    defaults = from_environment("/tmp")
    assert (defaults["DATABASE_RANDOM_PAGE_COST"], defaults["DATABASE_PARALLEL_WORKERS"],
            defaults["DATABASE_CONNECT_TIMEOUT"], defaults["DATABASE_STATEMENT_TIMEOUT"],
            defaults["DATABASE_LOCK_TIMEOUT"]) == ("1.1", "0", "5", "30", "10")
    monkeypatch.setenv("DATABASE_PARALLEL_WORKERS", "")
    assert from_environment("/tmp")["DATABASE_PARALLEL_WORKERS"] == ""


@pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                    reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_the_portal_connections_plan_with_the_setting(app_ctx):
    assert db.session.scalar(text("SHOW random_page_cost")) == "1.1"
    assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
