"""What people write about an order: staff notes (never shown to members) and the member's
requests for a change of the proforma. Functions flush; views commit."""
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import order_news
from portal.messaging.models import OrderMessage, OrderMessageKind

BODY_MAX = 2000


def _add(order, author, kind: OrderMessageKind, body: str) -> OrderMessage:
    message = OrderMessage(order=order, author=author, kind=kind.value, body=body,
                           created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def add_note(order, author, body: str) -> OrderMessage:
    """An internal note of staff on the order."""
    return _add(order, author, OrderMessageKind.NOTE, body)


def ask_for_change(order, member, body: str) -> OrderMessage:
    """The member asks for a change of the proforma; staff are told."""
    message = _add(order, member, OrderMessageKind.CHANGE_REQUEST, body)
    order_news.tell_staff(order, _l("Demande de modification de la proforma de %(ref)s par "
                                    "%(name)s", ref=order.reference, name=member.full_name),
                          "staff_change_request", message=message)
    return message


def visible_to_member(order) -> list[OrderMessage]:
    return [m for m in order.messages if not m.is_internal]
