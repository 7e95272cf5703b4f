"""The outbox: every message is a row first, written in the caller's transaction.

`queue_email` renders the message in the recipient's language and adds the row (flush only).
After the request commits, rows it queued are delivered at once when OUTBOX_SEND_AT_ONCE is on
(development); otherwise `flask outbox work` delivers due rows. A row is claimed by a
compare-and-set UPDATE (pending -> sending), so two workers never send the same row; on
PostgreSQL candidates are picked with FOR UPDATE SKIP LOCKED so workers do not wait on each other.
Failures are retried with exponential back-off until OUTBOX_MAX_ATTEMPTS, then marked failed.
"""
import logging
import secrets
import time
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import email
from portal.messaging.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
CHANNELS = {"email": email.send}
QUEUED = "outbox_queued_ids"        # rows added in the current transaction
COMMITTED = "outbox_committed_ids"  # rows whose transaction has committed, not yet sent


def queue_email(kind: str, template: str, *, user=None, recipient: str | None = None,
                locale: str | None = None, attachments: list[dict] | None = None,
                **context) -> OutboxMessage:
    """Render templates/email/<template>.{txt,html} and add an outbox row (no commit).

    `attachments` are stored files sent along: {"key", "filename", "content_type"}.
    """
    recipient = recipient or user.email
    locale = locale or (user.locale if user else None) or "fr"
    with force_locale(locale):
        context.setdefault("user", user)
        context["current_locale"] = locale
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
    row = OutboxMessage(
        channel="email", kind=kind, user=user, recipient=recipient,
        subject=subject[:200], body_text=text, body_html=html, attachments=attachments or None,
    )
    db.session.add(row)
    db.session.flush()
    _remember(row)
    return row


def _remember(row: OutboxMessage) -> None:
    """Note the row so that it is sent once this request has committed."""
    db.session.info.setdefault(QUEUED, []).append(row.id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.get(QUEUED):
        session.info.setdefault(COMMITTED, []).extend(session.info.pop(QUEUED))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(QUEUED, None)


def send_queued_after_commit() -> None:
    """Deliver what this request queued and committed (when OUTBOX_SEND_AT_ONCE is on)."""
    ids = db.session.info.pop(COMMITTED, [])
    db.session.info.pop(QUEUED, None)
    if ids and current_app.config["OUTBOX_SEND_AT_ONCE"]:
        db.session.rollback()  # never commit work that the request left uncommitted
        try:
            deliver_rows(ids)
        except Exception:  # the rows are committed: a worker delivers them, the answer stands
            log.exception("Outbox: rows %s not sent after the request; left to the workers", ids)
            db.session.rollback()


def due_condition(now):
    pending = and_(OutboxMessage.status == OutboxStatus.PENDING.value,
                   OutboxMessage.next_attempt_at <= now)
    abandoned = and_(OutboxMessage.status == OutboxStatus.SENDING.value,
                     OutboxMessage.claimed_until < now)
    return or_(pending, abandoned)


def claim(ids: list[int]) -> list[int]:
    """Mark the due rows among `ids` as ours; return those we got (others took the rest)."""
    if not ids:
        return []
    now, token = utcnow(), secrets.token_hex(8)
    lease = now + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), due_condition(now))
        .values(status=OutboxStatus.SENDING.value, claimed_until=lease, claimed_by=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mine = select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.SENDING.value,
    ).order_by(OutboxMessage.id)
    return list(db.session.scalars(mine))


def claim_due(limit: int) -> list[int]:
    """Pick due rows (skipping rows another worker has locked) and claim them."""
    query = (
        select(OutboxMessage.id)
        .where(due_condition(utcnow()))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return claim(list(db.session.scalars(query)))


def deliver_rows(ids: list[int]) -> int:
    """Claim and send the given rows; return how many were sent."""
    return sum(_send_claimed(row_id) for row_id in claim(ids))


def deliver_due(limit: int = 50) -> int:
    return sum(_send_claimed(row_id) for row_id in claim_due(limit))


def _send_claimed(row_id: int) -> int:
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    try:
        CHANNELS[row.channel](row)
    except Exception as error:  # any failure of the channel means "try again later"
        db.session.rollback()
        _record_failure(db.session.get(OutboxMessage, row_id), error)
        db.session.commit()
        return 0
    row.status = OutboxStatus.SENT.value
    row.sent_at = utcnow()
    row.attempts += 1
    row.last_error = None
    db.session.commit()
    return 1


def _record_failure(row: OutboxMessage, error: Exception) -> None:
    config = current_app.config
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED.value
        log.error("Outbox message %s failed for good: %s", row.id, row.last_error)
        return
    delay = config["OUTBOX_RETRY_SECONDS"] * 2 ** (row.attempts - 1)
    row.status = OutboxStatus.PENDING.value
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.warning("Outbox message %s not sent (attempt %s): %s", row.id, row.attempts,
                row.last_error)


def retry(row: OutboxMessage) -> None:
    """Staff action: put a failed message back in the queue now (flush only)."""
    row.status = OutboxStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.flush()
    _remember(row)


def work(poll_seconds: float = 5.0, once: bool = False, batch: int = 50) -> int:
    """The worker loop behind `flask outbox work`; returns how many messages it sent."""
    total = 0
    while True:
        sent = deliver_due(batch)
        total += sent
        if once:
            return total
        if sent == 0:
            time.sleep(poll_seconds)
