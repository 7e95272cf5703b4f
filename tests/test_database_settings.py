"""The engine settings: on PostgreSQL every connection plans with random_page_cost 1.1 (or
DATABASE_RANDOM_PAGE_COST; empty keeps the server's), so the staff search uses its trigram
indexes; SQLite gets nothing of the kind."""
import os

import pytest
from sqlalchemy import text

from portal.config import engine_options
from portal.extensions import db

PG = "postgresql+psycopg://portal@db.example/portal"


@pytest.mark.parametrize("url, cost, connect_args", [
    (PG, "1.1", {"options": "-c random_page_cost=1.1"}),
    (PG, "2", {"options": "-c random_page_cost=2.0"}),
    (PG, "", None),
    (PG, None, None),
    ("sqlite:///portal.sqlite", "1.1", None),
])
def test_engine_options(url, cost, connect_args):
    options = engine_options({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_RANDOM_PAGE_COST": cost})
    assert options["pool_pre_ping"] is True
    assert options.get("connect_args") == connect_args


@pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                    reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_the_portal_connections_plan_with_the_setting(app_ctx):
    assert db.session.scalar(text("SHOW random_page_cost")) == "1.1"
