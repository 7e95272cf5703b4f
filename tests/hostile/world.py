"""The people and objects every hostile case points at, built once for tests/hostile.

Awa ("owner") has an order in every state a form acts on, made through the portal's services
(tests/payments/builders.py), so proformas, receipts and invoices are real PDFs. Binta
("other") has her own address, cart item and order: their ids are the "other member's ids" of
the corpus. Moussa is staff, Chef an admin. Each test runs inside a transaction rolled back
afterwards (tests/hostile/conftest.py), so every case starts from this same world.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.members import tokens
from portal.members.models import User
from portal.messaging.models import OrderMessage, OutboxMessage
from portal.payments import proofs
from portal.requests.models import Order
from portal.staff.models import PaymentMethod
from tests.factories import make_address, make_order, make_shop, make_user
from tests.hostile.corpus import png
from tests.payments import builders
from tests.proforma.conftest import set_agency

OWNER, OTHER = "awa@example.com", "binta@example.com"
STAFF, ADMIN = "moussa@agence.example", "chef@agence.example"
STAFF_ALERTS = "equipe@agence.example"
OWNER_PHONE = "+2250701020304"
SENT_SID = "SM" + "3" * 32  # a WhatsApp message of ours, as Twilio knows it
PEOPLE = {"owner": OWNER, "other": OTHER, "staff": STAFF, "admin": ADMIN}


@dataclass
class World:
    ids: dict[str, int | str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)  # who -> Flask-Login id

    def __getattr__(self, name):
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def _orders(owner, staff) -> dict[str, Order]:
    """Awa's orders, one per state a staff or member form needs."""
    orders = {status: builders.order_in(status, owner, staff)
              for status in ("quoted", "deposit_review", "confirmed", "purchased", "in_transit",
                             "arrived")}
    ready = builders.order_in("balance_review", owner, staff)
    builders.accepted(next(p for p in ready.proofs if p.is_pending), staff)
    orders["ready"] = ready
    orders["submitted"] = make_order(owner, "submitted", items=2)
    return orders


def _whatsapp(owner, quoted: Order) -> dict[str, int]:
    """A photo Awa sent on WhatsApp about her quoted order (stored already), and a message
    from an unknown number waiting in the inbox."""
    media = OrderMessage(order=quoted, author=owner, kind="message", body="Voici le reçu",
                         channel="whatsapp", from_member=True, provider_sid="SM" + "1" * 32,
                         sender=f"whatsapp:{OWNER_PHONE}",
                         media=[{"url": "https://api.twilio.com/2010-04-01/Accounts/AC0/"
                                        "Messages/SM1/Media/ME1", "content_type": "image/png",
                                 "key": storage.save(builders.png(7), "whatsapp", "png"),
                                 "stored_type": "image/png"}])
    stray = OrderMessage(order=None, author=None, kind="message", body="Bonjour ?",
                         channel="whatsapp", from_member=True, provider_sid="SM" + "2" * 32,
                         sender="whatsapp:+2250799999999")
    sent = OutboxMessage(channel="whatsapp", kind="status_changed", user=owner,
                         recipient=f"whatsapp:{OWNER_PHONE}", subject="status_changed",
                         body_text="Votre commande avance", status="sent", attempts=1,
                         provider_sid=SENT_SID, delivery_status="sent")
    db.session.add_all([media, stray, sent])
    db.session.commit()
    return {"media_message": media.id, "stray_message": stray.id, "whatsapp_row": sent.id}


def _agency() -> dict[str, int]:
    builders.agency()
    set_agency(staff_notification_email=STAFF_ALERTS)
    hidden = PaymentMethod(name="Ancien compte", position=9, instructions="-", is_active=False)
    db.session.add(hidden)
    shop = make_shop("Zara")
    shop.logo_key = storage.save(png(), "logos", "png")
    db.session.commit()
    methods = db.session.scalars(select(PaymentMethod).where(PaymentMethod.is_active)
                                 .order_by(PaymentMethod.position)).all()
    return {"bank": methods[0].id, "wave": methods[1].id, "hidden_method": hidden.id,
            "shop": shop.id}


def _other_member() -> dict[str, int]:
    other = make_user(OTHER, full_name="Binta Diop", phone="+221771234567")
    address = make_address(other, "Chez Binta", line1="Avenue Secrète 7", city="Dakar",
                           country="SN")
    order = make_order(other, "submitted")
    cart = make_order(other, "draft")
    return {"other_address": address.id, "other_order": order.id,
            "other_cart_item": cart.items[0].id, "other_item": order.items[0].id}


def build() -> World:
    ids = _agency()
    staff = builders.staff_member(STAFF)
    make_user(ADMIN, role="admin", full_name="Chef Admin", phone=None)
    owner = make_user(OWNER, full_name="Awa Koné", phone=OWNER_PHONE, preferred_channel="email")
    address = make_address(owner, "Maison", line1="Rue des Jardins 12", city="Abidjan")
    make_address(owner, "Bureau", default=False, line1="Boulevard Latrille 3", city="Abidjan")
    orders = _orders(owner, staff)
    cart = make_order(owner, "draft", items=1)
    ids |= {f"{status}_order": order.id for status, order in orders.items()}
    ids |= {"address": address.id, "cart": cart.id, "cart_item": cart.items[0].id,
            "submitted_item": orders["submitted"].items[0].id,
            "pending_proof": next(p.id for p in orders["deposit_review"].proofs if p.is_pending),
            "pickup_code": orders["ready"].pickup_code, "point": orders["ready"].pickup_point_id,
            "owner": owner.id, "staff": staff.id}
    ids |= _whatsapp(owner, orders["quoted"]) | _other_member()
    ids |= {"quoted_items": ",".join(str(item.id) for item in orders["quoted"].items),
            "submitted_items": ",".join(str(i.id) for i in orders["submitted"].items)}
    world = World(ids=ids)
    for who, email in PEOPLE.items():
        user = db.session.scalar(select(User).where(User.email == email))
        world.logins[who] = user.get_id()
    world.ids["reset_token"] = tokens.make("reset", uid=owner.id,
                                           pw=tokens.password_fingerprint(owner))
    assert proofs.kind_awaited(orders["quoted"]) is not None
    return world
