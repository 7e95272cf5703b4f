"""the staff search ignores accents and case: "traore" finds "Traoré"

Revision ID: 0009_folded_search
Revises: 0008_list_order
Create Date: 2026-12-06 19:40:00.000000

The searches compare `portal_fold(column)` with the folded text typed. On PostgreSQL,
`portal_fold` is `lower(unaccent(text))` (the unaccent extension, trusted since PostgreSQL 13),
declared IMMUTABLE with the dictionary named so it can be indexed; the trigram indexes of
migration 0006 are replaced by trigram indexes on the folded columns. SQLite registers the
same function on each connection (portal/extensions.py) and has no such index. Plain CREATE
INDEX: it holds writes to the four tables while the indexes are built (measured in
docs/deploy.md).
"""
from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = '0009_folded_search'
down_revision = '0008_list_order'
branch_labels = None
depends_on = None

COLUMNS = [("orders", "reference"), ("order_items", "name"), ("users", "full_name"),
           ("users", "email")]


def postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not postgresql():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = op.get_bind().scalar(text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"))
    # Named in full (schema, dictionary): the function must not depend on the search_path
    # to be immutable, and stays a one-line SQL function the planner can inline.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION portal_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, value)) $$
    """)
    for table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
        op.execute(f"CREATE INDEX ix_{table}_{column}_fold ON {table} "
                   f"USING gin (portal_fold({column}) gin_trgm_ops)")


def downgrade():
    if not postgresql():
        return
    for table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}_fold", table_name=table)
        op.create_index(f"ix_{table}_{column}_trgm", table, [column],
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
    op.execute("DROP FUNCTION portal_fold(text)")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
