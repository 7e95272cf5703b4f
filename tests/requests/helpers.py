"""Helpers of the order tests: read the cart and orders as plain values, fill the forms."""
import html
import re

from sqlalchemy import select

from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification
from portal.requests.models import Order, OrderItem, StatusChange
from tests.members.helpers import text_of

ITEM = {"name": "Robe en lin", "url": "https://www.zara.com/fr/robe-lin-p0123.html",
        "quantity": "2", "details": "Taille M, bleu", "seen_price": "", "seen_currency": "EUR"}
FORM_ERROR = "Le formulaire contient des erreurs"


def add_item(client, follow_redirects: bool = False, **fields):
    return client.post_form("/panier", ITEM | fields, follow_redirects=follow_redirects)


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def cart_items(app, email: str = "awa@example.com") -> list[dict]:
    """The items of the member's cart (their order in draft), in order, as plain values."""
    with app.app_context():
        rows = db.session.scalars(
            select(OrderItem).join(Order).join(User, Order.user_id == User.id)
            .where(User.email == email, Order.status == "draft").order_by(OrderItem.id)).all()
        return [{"id": i.id, "name": i.name, "url": i.url, "quantity": i.quantity,
                 "details": i.details, "seen_price": i.seen_price,
                 "seen_currency": i.seen_currency} for i in rows]


def item_of(app, item_id: int) -> dict | None:
    with app.app_context():
        item = db.session.get(OrderItem, item_id)
        return item and {"name": item.name, "quantity": item.quantity, "details": item.details,
                         "order_id": item.order_id}


def order_of(app, order_id: int) -> dict:
    """An order as plain values, with its history as (from, to, actor e-mail, note)."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        history = db.session.scalars(select(StatusChange).where(StatusChange.order_id == order_id)
                                     .order_by(StatusChange.id)).all()
        return {
            "id": order.id, "user_id": order.user_id, "reference": order.reference,
            "status": order.status, "cart_owner_id": order.cart_owner_id,
            "delivery_mode": order.delivery_mode, "pickup_point_id": order.pickup_point_id,
            "address_id": order.address_id, "delivery_address": order.delivery_address,
            "address_changes": order.address_changes,
            "terms_version_id": order.terms_version_id,
            "terms_accepted_at": order.terms_accepted_at, "submitted_at": order.submitted_at,
            "cancel_reason": order.cancel_reason, "cancel_note": order.cancel_note,
            "items": [(i.name, i.quantity) for i in order.items],
            "history": [(h.from_status, h.to_status, h.actor.email if h.actor else None, h.note)
                        for h in history],
        }


def orders_of(app, email: str = "awa@example.com") -> list[dict]:
    with app.app_context():
        ids = db.session.scalars(select(Order.id).join(User, Order.user_id == User.id)
                                 .where(User.email == email).order_by(Order.id)).all()
    return [order_of(app, order_id) for order_id in ids]


def notifications_of(app, email: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(Notification.text).join(User, Notification.user_id == User.id)
            .where(User.email == email).order_by(Notification.id)))


def flat(text: str) -> str:
    """Text with every kind of space (narrow no-break spaces of amounts…) as a plain space."""
    return re.sub(r"\s+", " ", text)


def page_text(response) -> str:
    return flat(text_of(response))


def words(response) -> str:
    """The page's text without its markup, spaces flattened: what a reader sees, in a line."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
