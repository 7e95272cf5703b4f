"""Telling people what happens to an order: in-app always, plus the member's channel.

The member's channel is their preferred one (WhatsApp or e-mail) when they have it turned on,
else the other one if turned on, else none (in-app only). Documents always go by e-mail with
the PDF. WhatsApp goes out only as the 24-hour window and the approved templates allow; when it
cannot, the e-mail goes instead and the outbox row says why, for staff to see.

Knows users and orders, never the workflow: the workflow passes the status and its words.
"""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.links import external_url
from portal.members.models import User
from portal.messaging.notifications import notify
from portal.messaging.outbox import add_email, queue_email, queue_whatsapp, render_email

EMAIL, WHATSAPP = "email", "whatsapp"


def order_link(order) -> str:
    return external_url("requests.order_detail", order_id=order.id)


# --- Channels ---------------------------------------------------------------------------------

def accepts(member, channel: str) -> bool:
    if channel == WHATSAPP:
        return member.notify_whatsapp and bool(member.phone)
    return member.notify_email


def channel_of(member) -> str | None:
    """The channel news reach `member` by, or None (in-app only)."""
    other = EMAIL if member.preferred_channel == WHATSAPP else WHATSAPP
    for channel in (member.preferred_channel, other):
        if accepts(member, channel):
            return channel
    return None


def whatsapp_text(template: str, member, **context) -> str:
    with force_locale(member.locale or "fr"):
        return render_template(f"whatsapp/{template}.txt", user=member, **context).strip()


def variables(member, order, detail: str) -> dict:
    """The variables every approved template receives: {{1}} first name, {{2}} reference,
    {{3}} what happened (a status, a document, a code), {{4}} the order's link."""
    first_name = (member.full_name or "").split(" ")[0]
    return {"1": first_name, "2": order.reference, "3": str(detail)[:200], "4": order_link(order)}


def send_by(channel: str, member, order, kind: str, template: str, detail, **context):
    """Queue `kind` for `member` by `channel`; WhatsApp becomes e-mail when it cannot go."""
    context.update(order=order, order_url=order_link(order))
    rendered = render_email(template, user=member, **context)
    if channel == WHATSAPP:
        text = whatsapp_text(template, member, **context)
        row = queue_whatsapp(kind, member, text, variables(member, order, detail),
                             fallback=rendered)
        if row is not None:
            return row
        return add_email(template, rendered, user=member,
                         reason="window_closed" if member.phone else "no_phone")
    return add_email(template, rendered, user=member)


def reach(member, order, notice, kind: str, template: str, detail, **context):
    """In-app notice, plus the member's channel if they have one turned on."""
    notify(member, notice, link=order_link(order))
    channel = channel_of(member)
    if channel is not None:
        return send_by(channel, member, order, kind, template, detail, **context)
    return None


# --- What happens to an order -----------------------------------------------------------------

def status_changed(order, status: str, label, note: str | None = None) -> None:
    """Tell the member of a change of status (a new request also tells staff; a ready order
    gets its pickup or delivery arrangement)."""
    if status == "ready":
        pickup_ready(order, label)
        return
    notice = _l("Commande %(ref)s : %(status)s", ref=order.reference, status=label)
    template = "request_received" if status == "submitted" else "status_changed"
    reach(order.user, order, notice, "status_changed", template, label, status_label=label,
          note=note)
    if status == "submitted":
        tell_staff_of_request(order)


def pickup_ready(order, label) -> None:
    from portal.requests import pickup

    pickup.ensure_code(order)
    reach(order.user, order, _l("Commande %(ref)s : %(status)s", ref=order.reference,
                                status=label),
          "pickup_ready", "pickup_ready", order.pickup_code,
          arrangement=pickup.arrangement_text(order), status_label=label)


def pickup_reminder(order) -> None:
    from portal.requests import pickup

    reach(order.user, order, _l("Rappel : votre commande %(ref)s vous attend.",
                                ref=order.reference),
          "pickup_reminder", "pickup_reminder", order.pickup_code,
          arrangement=pickup.arrangement_text(order))


def document_issued(order, template: str, notice, attachment: dict, **context) -> None:
    """Tell the member of a new document: in-app, by e-mail with the PDF attached (documents
    always go by e-mail), and a WhatsApp notice too when that is their channel."""
    member = order.user
    notify(member, notice, link=order_link(order))
    queue_email(template, template, user=member, order=order, order_url=order_link(order),
                attachments=[attachment], **context)
    if channel_of(member) == WHATSAPP:
        text = whatsapp_text("document_issued", member, order=order, notice=notice,
                             order_url=order_link(order))
        queue_whatsapp("document_issued", member, text, variables(member, order, notice))


def message_from_agency(order, message) -> None:
    """Staff wrote in the thread: in-app notice, and the channel staff chose (if not the
    portal alone); the message keeps the outbox row that carries it."""
    member = order.user
    notify(member, _l("Nouveau message de l'agence sur %(ref)s", ref=order.reference),
           link=order_link(order) + "#messages")
    if message.channel in (EMAIL, WHATSAPP):
        message.outbox = send_by(message.channel, member, order, "staff_message",
                                 "staff_message", message.body[:200], message=message)
        db.session.flush()


# --- Staff ------------------------------------------------------------------------------------

def staff_address() -> str | None:
    """Where staff read mail about orders: the agency settings, else STAFF_NOTIFICATION_EMAIL."""
    from portal.staff.models import AgencySettings

    return (AgencySettings.get().staff_notification_email
            or current_app.config.get("STAFF_NOTIFICATION_EMAIL") or None)


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
