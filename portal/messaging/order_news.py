"""Telling people what happens to an order: in-app always, e-mail by preference.

Knows users and orders, never the workflow: the workflow passes the status and its words.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.links import external_url
from portal.members.models import User
from portal.messaging.notifications import notify
from portal.messaging.outbox import queue_email


def order_link(order) -> str:
    return external_url("requests.order_detail", order_id=order.id)


def status_changed(order, status: str, label, note: str | None = None) -> None:
    """Tell the member of a change of status (a new request also tells staff)."""
    notify(order.user, _l("Commande %(ref)s : %(status)s", ref=order.reference, status=label),
           link=order_link(order))
    template = "request_received" if status == "submitted" else "status_changed"
    queue_email(template, template, user=order.user, order=order, status_label=label,
                note=note, order_url=order_link(order))
    if status == "submitted":
        tell_staff_of_request(order)


def staff_address() -> str | None:
    """Where staff read mail about orders: the agency settings, else STAFF_NOTIFICATION_EMAIL."""
    from portal.staff.models import AgencySettings

    return (AgencySettings.get().staff_notification_email
            or current_app.config.get("STAFF_NOTIFICATION_EMAIL") or None)


def document_issued(order, template: str, notice, attachment: dict, **context) -> None:
    """Tell the member of a new document: in-app, and by e-mail with the PDF attached
    (documents always go by e-mail, whatever the preferred channel)."""
    notify(order.user, notice, link=order_link(order))
    queue_email(template, template, user=order.user, order=order, order_url=order_link(order),
                attachments=[attachment], **context)


def staff_team():
    return db.session.scalars(select(User).where(User.role.in_(("staff", "admin")),
                                                 User.is_active_account))


def tell_staff(order, notice, template: str, **context) -> None:
    """Tell every staff member in-app, and the staff address by e-mail."""
    for person in staff_team():
        notify(person, notice, link=external_url("staff.order_detail", order_id=order.id))
    address = staff_address()
    if address:
        queue_email(template, template, recipient=address, locale="fr", order=order,
                    staff_url=external_url("staff.order_detail", order_id=order.id), **context)


def tell_staff_of_request(order) -> None:
    tell_staff(order, _l("Nouvelle demande %(ref)s de %(name)s", ref=order.reference,
                         name=order.user.full_name), "staff_new_request")
