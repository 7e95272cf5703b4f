"""Quicker statements on PostgreSQL: psycopg describes a result's columns only when asked.

After every statement SQLAlchemy reads `cursor.description`, and psycopg 3 answers with a new
list of `Column` objects, one per column, each decoding its name and looking up its type. For
a statement SQLAlchemy has run before (nearly every statement of a page: they are compiled
once and cached), SQLAlchemy keeps the result's layout from the first time and only checks
that there is a description. The columns were built for nothing: the account with the
agency's settings is 44 of them on every page, an order page about 140 in all; not building
them takes 6–9 % off the instructions of a page that reads the database (7 % on an order
page, `bench/page_cost.py --instructions`).

`QuickCursor` answers with a `Description`: the number of columns at once, the `Column`
objects the first time anything reads them, from the result as it was when the statement
ended. extensions.py gives it to every psycopg connection the engine opens.
tests/test_psycopg_speed.py compares its answers with psycopg's own.

Prepared statements that outlive a request: psycopg prepares a statement on the server after
its fifth run on a connection (PostgreSQL then parses and plans it once), but forgets every
prepared statement on ROLLBACK, and every request ended with one: the session's close rolls
back whatever the request left open, which for a page is a transaction that only read. So no
statement was ever prepared, and PostgreSQL parsed and planned each of a page's statements on
every request (about half of its work for an order page). `end_reads_with_commit` ends a
transaction that sent nothing but SELECTs with COMMIT instead (the same effect: nothing to
keep or undo; psycopg's rollback then has nothing left to do). A transaction that sent any
other statement, or failed, is rolled back as before.
"""
from collections.abc import Sequence

import psycopg
from psycopg import Column, Cursor
from psycopg.pq import ExecStatus, TransactionStatus

_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class _Ended:
    """What psycopg's Column reads from its cursor, kept as it was when the statement ended
    (the cursor may have run another statement by the time the columns are read)."""

    __slots__ = ("pgresult", "adapters", "_encoding")

    def __init__(self, cursor: Cursor):
        self.pgresult, self.adapters = cursor.pgresult, cursor.adapters
        self._encoding = cursor._encoding


class Description(Sequence):
    """psycopg's list of Columns, built on first use."""

    __slots__ = ("_ended", "_count", "_columns")

    def __init__(self, ended: _Ended, count: int):
        self._ended, self._count, self._columns = ended, count, None

    def _built(self) -> list[Column]:
        if self._columns is None:
            self._columns = [Column(self._ended, index) for index in range(self._count)]
            self._ended = None  # the result is no longer needed
        return self._columns

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._built()[index]

    def __iter__(self):
        return iter(self._built())


class QuickCursor(Cursor):
    @property
    def description(self) -> Description | None:
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return Description(_Ended(self), result.nfields)
        return None


# --- Read-only transactions end with COMMIT -----------------------------------------------

_WROTE = "portal_wrote"  # in a connection's info: its transaction sent more than SELECTs


def note_writes(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    """Before each statement: anything but a plain SELECT may write (CTEs and raw SQL
    included), and marks the transaction."""
    if not statement.startswith("SELECT"):
        conn.info[_WROTE] = True


def end_reads_with_commit(conn) -> None:
    """Before SQLAlchemy rolls back: commit instead when the transaction only read (psycopg
    keeps its prepared statements; its rollback finds no transaction and does nothing)."""
    if conn.closed or conn.invalidated:
        return
    wrote = conn.info.pop(_WROTE, False)
    raw = conn.connection.dbapi_connection
    if wrote or not isinstance(raw, psycopg.Connection):
        return
    if raw.info.transaction_status == TransactionStatus.INTRANS:
        try:
            raw.commit()
        except psycopg.Error:  # the rollback that follows cleans up
            pass


def forget_writes(conn) -> None:
    """After a commit the next transaction starts clean."""
    conn.info.pop(_WROTE, None)
