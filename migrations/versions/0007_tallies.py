"""tallies: counts kept by triggers for the staff home (orders per status, members)

Revision ID: 0007_tallies
Revises: 0006_speed
Create Date: 2026-11-26 21:40:00.000000

At 100 000 orders, counting the queues and the members from their tables cost the staff home
about 8 ms of database time per view. Triggers now keep those counts in `tallies` as rows
change, whatever code changes them (the workflow, the demo, a bulk import, a deletion), and the
staff home reads a handful of rows.

Two moves running at once lock the rows of their two statuses in name order, so they wait for
each other instead of deadlocking. SQLite drops a table's triggers when a batch migration
rebuilds it: a later migration that alters `orders` or `users` in batch mode on SQLite must
create them again (`sqlite_triggers()` below gives their text).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007_tallies'
down_revision = '0006_speed'
branch_labels = None
depends_on = None

FILL = [
    "INSERT INTO tallies (name, value) SELECT 'orders:' || status, count(*) FROM orders "
    "GROUP BY status",
    "INSERT INTO tallies (name, value) SELECT 'members', count(*) FROM users "
    "WHERE role = 'member'",
    "INSERT INTO tallies (name, value) SELECT 'members:unconfirmed', count(*) FROM users "
    "WHERE role = 'member' AND confirmed_at IS NULL",
]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION tally_add(key text, delta bigint) RETURNS void
       LANGUAGE sql AS $$
         INSERT INTO tallies (name, value) VALUES (key, delta)
         ON CONFLICT (name) DO UPDATE SET value = tallies.value + EXCLUDED.value
       $$""",
    """CREATE OR REPLACE FUNCTION tally_orders() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           PERFORM tally_add('orders:' || NEW.status, 1);
         ELSIF TG_OP = 'DELETE' THEN
           PERFORM tally_add('orders:' || OLD.status, -1);
         ELSIF OLD.status < NEW.status THEN
           PERFORM tally_add('orders:' || OLD.status, -1);
           PERFORM tally_add('orders:' || NEW.status, 1);
         ELSE
           PERFORM tally_add('orders:' || NEW.status, 1);
           PERFORM tally_add('orders:' || OLD.status, -1);
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE OR REPLACE FUNCTION tally_users() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         was_member int := 0; was_unconfirmed int := 0;
         is_member int := 0; is_unconfirmed int := 0;
       BEGIN
         IF TG_OP <> 'INSERT' AND OLD.role = 'member' THEN
           was_member := 1;
           was_unconfirmed := (OLD.confirmed_at IS NULL)::int;
         END IF;
         IF TG_OP <> 'DELETE' AND NEW.role = 'member' THEN
           is_member := 1;
           is_unconfirmed := (NEW.confirmed_at IS NULL)::int;
         END IF;
         IF is_member <> was_member THEN
           PERFORM tally_add('members', is_member - was_member);
         END IF;
         IF is_unconfirmed <> was_unconfirmed THEN
           PERFORM tally_add('members:unconfirmed', is_unconfirmed - was_unconfirmed);
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER orders_tally AFTER INSERT OR DELETE ON orders
       FOR EACH ROW EXECUTE FUNCTION tally_orders()""",
    """CREATE TRIGGER orders_tally_move AFTER UPDATE OF status ON orders
       FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
       EXECUTE FUNCTION tally_orders()""",
    """CREATE TRIGGER users_tally AFTER INSERT OR DELETE OR UPDATE OF role, confirmed_at
       ON users FOR EACH ROW EXECUTE FUNCTION tally_users()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS users_tally ON users",
    "DROP TRIGGER IF EXISTS orders_tally_move ON orders",
    "DROP TRIGGER IF EXISTS orders_tally ON orders",
    "DROP FUNCTION IF EXISTS tally_users()",
    "DROP FUNCTION IF EXISTS tally_orders()",
    "DROP FUNCTION IF EXISTS tally_add(text, bigint)",
]


def _add(key: str, delta: str, condition: str = "1") -> str:
    # SELECT … WHERE, not VALUES: SQLite wants a WHERE before ON CONFLICT in INSERT … SELECT.
    # Every piece is a constant of this file (trigger text, no value from anywhere else).
    return (f"INSERT INTO tallies (name, value) SELECT {key}, {delta} "  # nosec B608
            f"WHERE {condition} ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;")


def _member_changes(row: str, sign: str) -> str:
    member = f"{row}.role = 'member'"
    return (_add("'members'", sign + "1", member) + "\n"
            + _add("'members:unconfirmed'", sign + "1",
                   f"{member} AND {row}.confirmed_at IS NULL"))


def sqlite_triggers() -> list[str]:
    """The SQLite triggers (SQLite serializes writers: no lock order to care about)."""
    return [
        f"""CREATE TRIGGER orders_tally_insert AFTER INSERT ON orders BEGIN
            {_add("'orders:' || NEW.status", "1")} END""",
        f"""CREATE TRIGGER orders_tally_delete AFTER DELETE ON orders BEGIN
            {_add("'orders:' || OLD.status", "-1")} END""",
        f"""CREATE TRIGGER orders_tally_move AFTER UPDATE OF status ON orders
            WHEN OLD.status IS NOT NEW.status BEGIN
            {_add("'orders:' || OLD.status", "-1")}
            {_add("'orders:' || NEW.status", "1")} END""",
        f"""CREATE TRIGGER users_tally_insert AFTER INSERT ON users BEGIN
            {_member_changes("NEW", "")} END""",
        f"""CREATE TRIGGER users_tally_delete AFTER DELETE ON users BEGIN
            {_member_changes("OLD", "-")} END""",
        f"""CREATE TRIGGER users_tally_update AFTER UPDATE OF role, confirmed_at ON users
            BEGIN {_member_changes("OLD", "-")} {_member_changes("NEW", "")} END""",
    ]


SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "orders_tally_insert", "orders_tally_delete", "orders_tally_move", "users_tally_insert",
    "users_tally_delete", "users_tally_update")]


def postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table(
        'tallies',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_tallies')),
    )
    for statement in FILL:
        op.execute(statement)
    for statement in POSTGRESQL if postgresql() else sqlite_triggers():
        op.execute(statement)


def downgrade():
    for statement in POSTGRESQL_DROP if postgresql() else SQLITE_DROP:
        op.execute(statement)
    op.drop_table('tallies')
