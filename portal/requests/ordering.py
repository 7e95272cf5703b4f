"""What a member does with the cart and their orders. Functions flush; views commit."""
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import with_expression

from portal import numbering, workflow
from portal.clock import utcnow
from portal.extensions import db
from portal.forms import search_text
from portal.messaging import threads
from portal.money import to_minor
from portal.requests.models import MAX_ITEMS, Order, OrderItem, with_item_count
from portal.workflow import Status, WorkflowError

ACTIVE = [s.value for s in Status if s not in workflow.FINISHED and s is not Status.DRAFT]
FINISHED = [s.value for s in workflow.FINISHED]


def cart_of(user, create: bool = False) -> Order | None:
    """The member's cart: their one order in `draft` (created on demand)."""
    cart = db.session.scalar(select(Order).where(Order.cart_owner_id == user.id))
    if cart is None and create:
        try:
            with db.session.begin_nested():
                cart = Order(user=user, status=Status.DRAFT.value, cart_owner_id=user.id)
                db.session.add(cart)
        except IntegrityError:  # created by a request of the same member at the same moment
            cart = db.session.scalar(select(Order).where(Order.cart_owner_id == user.id))
    return cart


def add_item(user, name: str, url: str, quantity: int, details: str | None,
             seen_price=None, seen_currency: str | None = None) -> OrderItem:
    cart = cart_of(user, create=True)
    if len(cart.items) >= MAX_ITEMS:
        raise WorkflowError(_l("Votre panier contient déjà %(n)d articles, le maximum. Envoyez "
                               "cette demande, puis faites-en une autre.", n=MAX_ITEMS))
    item = OrderItem(name=name, url=url, quantity=quantity, details=details or None)
    if seen_price is not None:
        item.seen_price = to_minor(seen_price, seen_currency)
        item.seen_currency = seen_currency
    cart.items.append(item)
    db.session.flush()
    return item


def update_item(item: OrderItem, quantity: int, details: str | None) -> None:
    item.quantity = quantity
    item.details = details or None
    db.session.flush()


def remove_item(item: OrderItem) -> None:
    item.order.items.remove(item)
    db.session.flush()


def submit_request(user, address, delivery_mode: str, pickup_point, terms) -> Order:
    """Send the cart as a proforma request: reference, terms, delivery, then `submitted`."""
    cart = cart_of(user)
    if cart is None:
        raise WorkflowError(_l("Ajoutez au moins un article avant d'envoyer la demande."))
    cart.address_id = address.id
    cart.delivery_address = address.as_text()
    cart.delivery_mode = delivery_mode
    cart.pickup_point_id = pickup_point.id if delivery_mode == "pickup" and pickup_point else None
    cart.terms_version_id = terms.id if terms else None
    cart.terms_accepted_at = utcnow()
    if cart.items:
        cart.reference = numbering.next_reference("DEM")
        cart.submitted_at = utcnow()
        cart.cart_owner_id = None
    workflow.advance(cart, Status.SUBMITTED, user)
    return cart


def cancel_order(order: Order, actor, note: str | None = None, reason: str | None = None):
    order.cancel_reason = reason or ("customer_request" if actor.id == order.user_id else None)
    order.cancel_note = (note or "")[:500] or None  # the history keeps the whole note
    return workflow.advance(order, Status.CANCELLED, actor, note=note or None, reason=reason)


def can_change_address(order: Order, user) -> bool:
    return (user.id == order.user_id and order.address_changes < 1
            and Status(order.status) in workflow.ADDRESS_CHANGEABLE)


def change_address(order: Order, user, address) -> None:
    if not can_change_address(order, user):
        raise WorkflowError(_l("L'adresse de cette commande ne peut plus être modifiée."))
    order.address_id = address.id
    order.delivery_address = address.as_text()
    order.address_changes += 1
    db.session.flush()


def orders_of(user, statuses, search: str = "", page: int = 1, per_page: int = 20):
    query = select(Order).options(with_item_count()).where(
        Order.user_id == user.id, Order.status.in_(statuses))
    search = search_text(search, 30)
    if search:
        query = query.where(func.upper(Order.reference).contains(search.upper(), autoescape=True))
    query = query.order_by(Order.status_changed_at.desc(), Order.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class Dashboard:
    orders: list[Order]  # active ones, those waiting for the member first, then the latest
    cart: Order | None
    unread: dict[int, int]  # {order id: the agency's messages not read yet}
    unread_total: int  # on every order of the member, finished ones included


def dashboard(user) -> Dashboard:
    """What the member's dashboard shows, from one statement."""
    rows = db.session.execute(_dashboard_query(), {"user_id": user.id}).all()
    loaded = [order for order, _total in rows if order is not None]
    cart = next((order for order in loaded if order.cart_owner_id == user.id), None)
    orders = sorted((order for order in loaded if order is not cart),
                    key=lambda order: Status(order.status) not in workflow.MEMBER_TO_ACT)
    return Dashboard(orders, cart, {order.id: order.counted_unread for order in orders
                                    if order.counted_unread}, rows[0][1] if rows else 0)


@cache
def _dashboard_query() -> Select:
    """Built once: the member's row, outer-joined to their active orders and their cart (each
    with its item count and unread messages), with the unread count of all their orders."""
    from portal.members.models import User

    shown = and_(Order.user_id == User.id,
                 or_(Order.status.in_(ACTIVE), Order.cart_owner_id == User.id))
    return (select(Order, threads.unread_from_agency_for(User.id))
            .select_from(User).outerjoin(Order, shown)
            .where(User.id == bindparam("user_id"))
            .options(with_item_count(), with_expression(
                Order.counted_unread, threads.unread_from_agency_on(Order)))
            .order_by(Order.status_changed_at.desc(), Order.id.desc()))


def needs_member(order: Order) -> bool:
    return Status(order.status) in workflow.MEMBER_TO_ACT


