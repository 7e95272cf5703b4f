"""In-app notifications: plain rows shown in the member space with an unread count."""
from flask_babel import force_locale
from sqlalchemy import func, select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging.models import Notification


def notify(user, message, link: str | None = None) -> Notification:
    """Add a notification for `user`; `message` is a lazy string rendered in their language."""
    with force_locale(user.locale or "fr"):
        text = str(message)
    row = Notification(user=user, text=text[:500], link=link)
    db.session.add(row)
    db.session.flush()
    return row


def unread_count(user) -> int:
    """The bell's count: the one the account was loaded with, else counted now."""
    if user.unread_notifications is not None:
        return user.unread_notifications
    query = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return db.session.scalar(query) or 0


def page_of(user, page: int, per_page: int = 20):
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mark_read(user, ids) -> None:
    """Mark the given notifications of `user` read (ids of other users change nothing)."""
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.id.in_(list(ids)),
                   Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )


def mark_all_read(user) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
