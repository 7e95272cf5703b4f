"""What /healthz reports to load balancers: does the database answer, and how far behind is
the outbox (messages due and not sent)."""
import logging

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal import clock
from portal.extensions import db
from portal.messaging.models import OutboxMessage
from portal.messaging.outbox import due_condition

log = logging.getLogger(__name__)


def report() -> tuple[dict, bool]:
    """(the JSON body, whether the database answered). Never names a setting or an error."""
    try:
        backlog, oldest_seconds = _outbox_backlog()
    except SQLAlchemyError as error:
        log.warning("healthz: the database did not answer: %s", error)
        return ({"status": "error", "database": "error", "outbox_backlog": None,
                 "oldest_due_seconds": None}, False)
    return ({"status": "ok", "database": "ok", "outbox_backlog": backlog,
             "oldest_due_seconds": oldest_seconds}, True)


def _outbox_backlog() -> tuple[int, int]:
    """(due unsent messages, age in seconds of the oldest one or 0), on a connection of its own
    so a failure leaves the request's session alone."""
    now = clock.utcnow()
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # a locked or overloaded server: give up soon
            connection.execute(text("SET LOCAL statement_timeout = '2s'"))
        connection.execute(text("SELECT 1"))
        count, oldest = connection.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at))
            .where(due_condition(now))).one()
    age = int(max((now - oldest).total_seconds(), 0)) if oldest else 0
    return count, age
