"""The outbox: every message is a row first, written in the caller's transaction.

`queue_email` renders the message in the recipient's language and adds the row (flush only);
`queue_whatsapp` adds a WhatsApp row carrying the e-mail to send instead if it cannot be
delivered (`fall_back`).
After the request commits, rows it queued are delivered at once when OUTBOX_SEND_AT_ONCE is on
(development); otherwise `flask outbox work` delivers due rows. A row is claimed by a
compare-and-set UPDATE (pending -> sending, with a lease of OUTBOX_CLAIM_SECONDS), and the claim is
renewed by another compare-and-set just before the row is sent, so a row whose lease ran out
while it waited in a batch is sent by whichever worker holds it, not by two; on PostgreSQL
candidates are picked with FOR UPDATE SKIP LOCKED so workers do not wait on each other. (A worker
killed in the middle of a send leaves the row to be sent again once its lease ends.)
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
from portal.messaging import email, whatsapp
from portal.messaging.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
CHANNELS = {"email": email.send, "whatsapp": whatsapp.send}
QUEUED = "outbox_queued_ids"        # rows added in the current transaction
COMMITTED = "outbox_committed_ids"  # rows whose transaction has committed, not yet sent
REMINDER_SECONDS = 3600


def render_email(template: str, *, user=None, recipient: str | None = None,
                 locale: str | None = None, **context) -> dict:
    """Render templates/email/<template>.{txt,html} in the recipient's language."""
    locale = locale or (user.locale if user else None) or "fr"
    with force_locale(locale):
        context.setdefault("user", user)
        context["current_locale"] = locale
        return {
            "recipient": recipient or user.email,
            "subject": render_template(f"email/{template}.subject.txt", **context).strip()[:200],
            "text": render_template(f"email/{template}.txt", **context),
            "html": render_template(f"email/{template}.html", **context),
        }


def queue_email(kind: str, template: str, *, user=None, recipient: str | None = None,
                locale: str | None = None, attachments: list[dict] | None = None,
                **context) -> OutboxMessage:
    """Render templates/email/<template>.{txt,html} and add an outbox row (no commit).

    `attachments` are stored files sent along: {"key", "filename", "content_type"}.
    """
    rendered = render_email(template, user=user, recipient=recipient, locale=locale, **context)
    return add_email(kind, rendered, user=user, attachments=attachments)


def add_email(kind: str, rendered: dict, *, user=None, attachments: list[dict] | None = None,
              reason: str | None = None) -> OutboxMessage:
    """Add an e-mail row from a `render_email` result (`reason`: why it replaces WhatsApp)."""
    row = OutboxMessage(
        channel="email", kind=kind, user=user, recipient=rendered["recipient"],
        subject=rendered["subject"], body_text=rendered["text"], body_html=rendered["html"],
        attachments=attachments or None, fallback_reason=reason,
    )
    return _add(row)


def queue_whatsapp(kind: str, user, text: str, variables: dict,
                   fallback: dict | None = None) -> OutboxMessage | None:
    """Add a WhatsApp row for `user`, or None when WhatsApp may not carry it now.

    Free text goes only within 24 hours of the member's last WhatsApp message; outside that
    window the approved template for `kind` (with `variables`) is sent; with no template, or
    no phone number, None: the caller sends an e-mail instead. `fallback` is the rendered
    e-mail (`render_email`) sent if the message cannot be delivered.
    """
    if not user.phone:
        return None
    content_sid = None
    if not whatsapp.window_open(user):
        content_sid = whatsapp.template_for(kind)
        if content_sid is None:
            return None
    row = OutboxMessage(
        channel="whatsapp", kind=kind, user=user, recipient=whatsapp.address(user.phone),
        subject=kind, body_text=text, content_sid=content_sid,
        # kept for free text too: if the window has closed by the time it leaves, the
        # template chosen then needs them
        content_variables=variables, fallback=fallback,
    )
    return _add(row)


def _add(row: OutboxMessage) -> OutboxMessage:
    db.session.add(row)
    db.session.flush()
    _remember(row)
    return row


def fall_back(row: OutboxMessage, reason: str) -> OutboxMessage | None:
    """Send the e-mail a WhatsApp row carries instead of it (once; flush only)."""
    if row.fallback_id is not None or not row.fallback:
        return row.fallback_row
    replacement = add_email(row.kind, row.fallback, user=row.user, reason=reason)
    row.fallback_row = replacement
    row.fallback_reason = reason
    db.session.flush()
    log.warning("WhatsApp message %s not delivered (%s): sent by e-mail as %s", row.id,
                reason, replacement.id)
    return replacement


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
            # the e-mails that replace WhatsApp messages refused just now go at once too
            deliver_rows(db.session.info.pop(COMMITTED, []))
        except Exception:  # the rows are committed: a worker delivers them, the answer stands
            log.exception("Outbox: rows %s not sent after the request; left to the workers", ids)
            db.session.rollback()


def due_condition(now):
    pending = and_(OutboxMessage.status == OutboxStatus.PENDING.value,
                   OutboxMessage.next_attempt_at <= now)
    abandoned = and_(OutboxMessage.status == OutboxStatus.SENDING.value,
                     OutboxMessage.claimed_until < now)
    return or_(pending, abandoned)


def lease_end():
    return utcnow() + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])


def claim(ids: list[int], token: str | None = None) -> list[int]:
    """Mark the due rows among `ids` as claimed by `token`; return those we got (others took
    the rest)."""
    if not ids:
        return []
    token = token or secrets.token_hex(8)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), due_condition(utcnow()))
        .values(status=OutboxStatus.SENDING.value, claimed_until=lease_end(), claimed_by=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mine = select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.SENDING.value,
    ).order_by(OutboxMessage.id)
    return list(db.session.scalars(mine))


def claim_due(limit: int, token: str | None = None) -> list[int]:
    """Pick due rows (skipping rows another worker has locked) and claim them."""
    query = (
        select(OutboxMessage.id)
        .where(due_condition(utcnow()))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return claim(list(db.session.scalars(query)), token)


def still_ours(row_id: int, token: str) -> bool:
    """Renew our claim on a row just before sending it. A batch's last rows may wait longer
    than the lease: if another worker has taken the row since, it is theirs to send."""
    renewed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == token,
               OutboxMessage.status == OutboxStatus.SENDING.value)
        .values(claimed_until=lease_end())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return renewed.rowcount == 1


def deliver_rows(ids: list[int]) -> int:
    """Claim and send the given rows; return how many were sent."""
    token = secrets.token_hex(8)
    return sum(_send_claimed(row_id, token) for row_id in claim(ids, token))


def deliver_due(limit: int = 50) -> int:
    token = secrets.token_hex(8)
    sent = sum(_send_claimed(row_id, token) for row_id in claim_due(limit, token))
    db.session.info.pop(COMMITTED, None)  # rows added meanwhile are due: the next pass takes them
    return sent


def _send_claimed(row_id: int, token: str) -> int:
    if not still_ours(row_id, token):
        return 0
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    try:
        CHANNELS[row.channel](row)
    except whatsapp.Undeliverable as error:  # trying again cannot help: e-mail instead
        db.session.rollback()
        row = db.session.get(OutboxMessage, row_id)
        _give_up(row, f"{error.reason}: {error}")
        fall_back(row, error.reason)
        db.session.commit()
        return 0
    except Exception as error:  # any other failure of the channel means "try again later"
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
    if row.attempts + 1 >= config["OUTBOX_MAX_ATTEMPTS"]:
        _give_up(row, f"{type(error).__name__}: {error}")
        fall_back(row, "provider_down")
        return
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    schedule_retry(row)
    log.warning("Outbox message %s not sent (attempt %s): %s", row.id, row.attempts,
                row.last_error)


def schedule_retry(row: OutboxMessage) -> None:
    """Put the row back in the queue after the back-off its attempts call for."""
    delay = current_app.config["OUTBOX_RETRY_SECONDS"] * 2 ** max(row.attempts - 1, 0)
    row.status = OutboxStatus.PENDING.value
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)


def _give_up(row: OutboxMessage, error: str) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    row.status = OutboxStatus.FAILED.value
    log.error("Outbox message %s failed for good: %s", row.id, row.last_error)


def retry(row: OutboxMessage) -> None:
    """Staff action: put a failed message back in the queue now (flush only)."""
    row.status = OutboxStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.flush()
    _remember(row)


def work(poll_seconds: float = 5.0, once: bool = False, batch: int = 50) -> int:
    """The worker loop behind `flask outbox work`; returns how many messages it sent.
    Once an hour (and on the first pass) it also queues the pickup reminders due."""
    total, reminded_at = 0, None
    while True:
        if reminded_at is None or time.monotonic() - reminded_at >= REMINDER_SECONDS:
            _send_reminders()
            reminded_at = time.monotonic()
        sent = deliver_due(batch)
        total += sent
        if once:
            return total
        if sent == 0:
            time.sleep(poll_seconds)


def _send_reminders() -> None:
    from portal.requests.pickup import send_reminders

    try:
        send_reminders()
    except Exception:  # a reminder problem must never stop the delivery of messages
        db.session.rollback()
        log.exception("Pickup reminders failed; the next pass tries again")


def record_delivery(sid: str, state: str, error_code: str | None = None,
                    error_text: str | None = None) -> bool:
    """Apply a WhatsApp status callback; False when it changes nothing (unknown message,
    replay, or a state the message has already passed). Flush only."""
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_sid == sid)
                            .with_for_update())
    if row is None or whatsapp.progress(state) <= whatsapp.progress(row.delivery_status):
        return False
    row.delivery_status = state
    if state in whatsapp.FAILED_STATES:
        row.delivery_error = " ".join(filter(None, [error_code, error_text]))[:200] or None
        _undelivered(row, error_code)
    db.session.flush()
    return True


def _undelivered(row: OutboxMessage, error_code: str | None) -> None:
    """Twilio could not deliver: send again when that can help, else e-mail instead."""
    if whatsapp.retryable(error_code) and row.attempts < current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.provider_sid = None  # the next attempt gets a new SID
        schedule_retry(row)
        _remember(row)
        return
    row.status = OutboxStatus.FAILED.value
    row.last_error = f"undelivered: {row.delivery_error or ''}".strip()
    fall_back(row, "undelivered")
