"""What every signed-in page reads before its own content — the session's account, the agency
settings (the time zone of every date shown) and the bell's count of unread notifications —
read by one statement when Flask-Login loads the account, instead of three round trips.

The settings row and the count are extras: a page that commits expires them, and the next use
reads them again the usual way (`AgencySettings.stored`, `notifications.unread_count`).
"""
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import with_expression

from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification
from portal.staff.models import SETTINGS_ID, AgencySettings


@cache
def _account_statement() -> Select:
    """Built once: the account by id, the settings row beside it (or NULLs when none is
    stored yet), and its unread notifications (counted from ix_notifications_user_unread)."""
    unread = (select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .scalar_subquery())
    return (select(User, AgencySettings)
            .outerjoin(AgencySettings, AgencySettings.id == SETTINGS_ID)
            .where(User.id == bindparam("user_id"))
            .options(with_expression(User.unread_notifications, unread)))


def load_account(user_id: int) -> User | None:
    """The account `user_id` (None when it does not exist), with the page frame's extras."""
    row = db.session.execute(_account_statement(), {"user_id": user_id}).first()
    if row is None:
        return None
    user, settings = row
    AgencySettings.keep(settings)
    return user
