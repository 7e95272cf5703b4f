"""The member's in-app notifications."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.messaging import notifications
from portal.security import page_number

bp = Blueprint("messaging", __name__)


@bp.route("/notifications")
@login_required
def notification_list():
    """Show the notifications; those shown are marked read (and still flagged new this time)."""
    pagination = notifications.page_of(current_user, page_number())
    unread_ids = {row.id for row in pagination.items if row.read_at is None}
    notifications.mark_read(current_user, unread_ids)
    db.session.commit()
    return render_template("messaging/notifications.html", pagination=pagination,
                           unread_ids=unread_ids)


@bp.route("/notifications/tout-lu", methods=["POST"])
@login_required
def mark_all_read():
    notifications.mark_all_read(current_user)
    db.session.commit()
    flash(_("Toutes vos notifications sont marquées comme lues."), "info")
    return redirect(url_for("messaging.notification_list"))
