"""The order thread: what members and staff write to each other (portal, e-mail, WhatsApp),
staff's internal notes (never shown to members), change requests, WhatsApp messages received
(an "unassigned" inbox holds those no order could be found for), and who has read what.
Functions flush; views commit."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import aliased

from portal.clock import utcnow
from portal.extensions import db
from portal.links import external_url
from portal.messaging import order_news
from portal.messaging.models import OrderMessage, OrderMessageKind, ThreadChannel
from portal.messaging.notifications import notify

BODY_MAX = 2000          # what people type in the portal
RECEIVED_MAX = 10_000    # what arrives by WhatsApp is kept whole, up to this
MEDIA_MAX = 10           # Twilio sends at most 10 media per message
FINISHED = ("draft", "completed", "cancelled")
CONVERSATION = (OrderMessageKind.MESSAGE.value, OrderMessageKind.CHANGE_REQUEST.value)


class ThreadError(Exception):
    """A refused thread action; `message` is a French sentence for the person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _add(order, author, kind: OrderMessageKind, body: str, **fields) -> OrderMessage:
    message = OrderMessage(order=order, author=author, kind=kind.value, body=body,
                           created_at=utcnow(), **fields)
    db.session.add(message)
    db.session.flush()
    return message


def add_note(order, author, body: str) -> OrderMessage:
    """An internal note of staff on the order."""
    return _add(order, author, OrderMessageKind.NOTE, body)


def ask_for_change(order, member, body: str) -> OrderMessage:
    """The member asks for a change of the proforma; staff are told."""
    message = _add(order, member, OrderMessageKind.CHANGE_REQUEST, body, from_member=True)
    order_news.tell_staff(order, _l("Demande de modification de la proforma de %(ref)s par "
                                    "%(name)s", ref=order.reference, name=member.full_name),
                          "staff_change_request", message=message)
    return message


def member_writes(order, member, body: str) -> OrderMessage:
    """The member writes to the agency from the order page; staff are told in-app."""
    message = _add(order, member, OrderMessageKind.MESSAGE, body, from_member=True)
    _tell_staff_in_app(order, _l("Message de %(name)s sur %(ref)s", name=member.full_name,
                                 ref=order.reference))
    return message


def staff_writes(order, author, body: str, channel: str) -> OrderMessage:
    """Staff write to the member: always in the thread (and in-app), and by e-mail or WhatsApp
    when chosen. The outbox row tells how it left (WhatsApp may fall back to e-mail)."""
    message = _add(order, author, OrderMessageKind.MESSAGE, body, channel=channel)
    order_news.message_from_agency(order, message)
    return message


def _tell_staff_in_app(order, notice) -> None:
    # external_url builds with werkzeug, which has no _anchor: the fragment is added here
    link = external_url("staff.order_detail", order_id=order.id) + "#echanges"
    for person in order_news.staff_team():
        notify(person, notice, link=link)


def visible_to_member(order) -> list[OrderMessage]:
    return [m for m in order.messages if not m.is_internal]


# --- WhatsApp messages received ---------------------------------------------------------------

def record_inbound(form) -> OrderMessage | None:
    """Add a WhatsApp message Twilio forwarded (already signature-checked) to the sender's most
    recent active order, or to the unassigned inbox; None if it was already received."""
    sid = (form.get("MessageSid") or "").strip()[:64]
    sender = (form.get("From") or "").strip()[:40]
    if not sid or not sender or _already_received(sid):
        return None
    member, order = _match(sender.removeprefix("whatsapp:"))
    message = _add(order, member, OrderMessageKind.MESSAGE, (form.get("Body") or "")[:RECEIVED_MAX],
                   channel=ThreadChannel.WHATSAPP.value, from_member=True, provider_sid=sid,
                   sender=sender, media=_media(form) or None)
    who = member.full_name if member else sender.removeprefix("whatsapp:")
    if order is not None:
        _tell_staff_in_app(order, _l("Message WhatsApp de %(name)s sur %(ref)s", name=who,
                                     ref=order.reference))
    else:
        for person in order_news.staff_team():
            notify(person, _l("Message WhatsApp à classer de %(name)s", name=who),
                   link=external_url("staff.inbox"))
    return message


def _already_received(sid: str) -> bool:
    return db.session.scalar(select(OrderMessage.id).where(OrderMessage.provider_sid == sid)
                             ) is not None


def _match(phone: str):
    """The member with this phone number and their most recent active order — the one whose
    status changed last, so a reply to the agency's latest news lands on that order (either
    may be None: an unknown number, or several members sharing it with no active order)."""
    from portal.members.models import User
    from portal.requests.models import Order

    members = list(db.session.scalars(select(User).where(User.phone == phone, User.role == "member")
                                      .order_by(User.id)))
    if not members:
        return None, None
    order = db.session.scalar(
        select(Order).where(Order.user_id.in_([m.id for m in members]),
                            Order.status.not_in(FINISHED))
        .order_by(Order.status_changed_at.desc(), Order.id.desc()).limit(1))
    if order is not None:
        return order.user, order
    return (members[0] if len(members) == 1 else None), None


def _media(form) -> list[dict]:
    try:
        count = min(max(int(form.get("NumMedia") or 0), 0), MEDIA_MAX)
    except ValueError:
        count = 0
    found = []
    for index in range(count):
        url = (form.get(f"MediaUrl{index}") or "").strip()
        if url:
            found.append({"url": url[:2048],
                          "content_type": (form.get(f"MediaContentType{index}") or "")[:100]})
    return found


def unassigned(limit: int = 100) -> list[OrderMessage]:
    return list(db.session.scalars(select(OrderMessage).where(OrderMessage.order_id.is_(None))
                                   .order_by(OrderMessage.created_at.desc()).limit(limit)))


def file_to_order(message: OrderMessage, order) -> None:
    """Staff file an unassigned message to an order (of the sender, when the sender is known)."""
    if message.order_id is not None:
        raise ThreadError(_l("Ce message est déjà rattaché à une commande."))
    if order.status == "draft":
        raise ThreadError(_l("Aucune commande ne porte cette référence."))
    if message.author_id is not None and order.user_id != message.author_id:
        raise ThreadError(_l("Cette commande n'appartient pas à l'expéditeur du message."))
    message.order = order
    db.session.flush()


# --- Who has read what ------------------------------------------------------------------------

def _unread(from_member: bool):
    return (OrderMessage.from_member.is_(from_member), OrderMessage.read_at.is_(None),
            OrderMessage.kind.in_(CONVERSATION))


def _is_unread(message: OrderMessage, from_member: bool) -> bool:
    """`_unread` for a message already loaded."""
    return (message.from_member is from_member and message.read_at is None
            and message.kind in CONVERSATION)


def unread_from_agency_on(order):
    """The count of the agency's messages on `order` (an Order entity or alias of the
    enclosing query) that the member has not read."""
    return (select(func.count(OrderMessage.id))
            .where(OrderMessage.order_id == order.id, *_unread(False)).scalar_subquery())


def unread_from_agency_for(user_id):
    """The count of the agency's messages the member `user_id` (a column or bound value) has
    not read, on all their orders."""
    from portal.requests.models import Order

    theirs = aliased(Order)  # not the enclosing query's orders
    return (select(func.count(OrderMessage.id)).join(theirs, theirs.id == OrderMessage.order_id)
            .where(theirs.user_id == user_id, *_unread(False)).scalar_subquery())


def unread_for_staff_count() -> Select:
    """The count of messages from members on orders no staff member has opened since."""
    return select(func.count(OrderMessage.id)).where(OrderMessage.order_id.is_not(None),
                                                     *_unread(True))


def unassigned_count() -> Select:
    """The count of messages received on WhatsApp and not matched to an order."""
    return select(func.count(OrderMessage.id)).where(OrderMessage.order_id.is_(None))


def orders_with_unread(limit: int = 100):
    """(order, unread count, last message time) for staff, the longest waiting first."""
    from portal.requests.models import Order

    query = (select(Order, func.count(OrderMessage.id), func.min(OrderMessage.created_at))
             .join(OrderMessage, OrderMessage.order_id == Order.id).where(*_unread(True))
             .group_by(Order.id).order_by(func.min(OrderMessage.created_at)).limit(limit))
    return db.session.execute(query).all()


def mark_read(order, by_member: bool) -> bool:
    """The member (or staff) opened the order: what the other side wrote is now read.

    False, and nothing written, when the thread already loaded has nothing unread for them
    (most views): the page then needs no write and no commit."""
    if not any(_is_unread(message, from_member=not by_member) for message in order.messages):
        return False
    db.session.execute(
        update(OrderMessage)
        .where(OrderMessage.order_id == order.id, *_unread(not by_member))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return True
