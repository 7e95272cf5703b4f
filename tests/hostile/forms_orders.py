"""The member's order forms: the cart (add, edit), sending the request, cancelling, changing
the address, writing to the agency and asking for a change of the proforma."""
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OrderMessage
from portal.requests.models import Order, OrderItem
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile import probes
from tests.hostile.harness import Accepted, Form, Mail, Page, Pdf, Refused

QUANTITY = "La quantité va de 1 à 99."
PRICE = "Indiquez un prix entre 0 et 10 000 000."
NOT_FOUND = Refused(status=404)


def newest_item(world) -> dict:
    item = db.session.scalar(select(OrderItem).where(OrderItem.order_id == world.cart)
                             .order_by(OrderItem.id.desc()).limit(1))
    return {"name": item.name, "url": item.url, "quantity": item.quantity,
            "details": item.details, "seen_price": item.seen_price}


def cart_item(world) -> dict:
    item = db.session.get(OrderItem, world.cart_item)
    return {"quantity": item.quantity, "details": item.details}


def cancelled(world) -> dict:
    return {"note": db.session.get(Order, world.submitted_order).cancel_note}


def newest_message(order_key: str, kind: str = "message"):
    def read(world) -> dict:
        body = db.session.scalar(select(OrderMessage.body).where(
            OrderMessage.order_id == world.ids[order_key], OrderMessage.kind == kind)
            .order_by(OrderMessage.id.desc()).limit(1))
        return {"body": body}
    return read


CART = Form(
    "cart", "ItemForm", "owner", "/panier",
    lambda w: {"name": "Robe en lin", "url": "https://www.zara.com/fr/robe.html",
               "quantity": "2", "details": "", "seen_price": "", "seen_currency": "EUR"},
    stored=newest_item, echoes=(Page("owner", "/panier"), Pdf(probes.cart_pdf)))
CART_EDIT = Form("cart_edit", "ItemEditForm", "owner", "/panier/articles/{cart_item}",
                 lambda w: {"quantity": "3", "details": "Taille M"}, stored=cart_item,
                 echoes=(Page("owner", "/panier"), Pdf(probes.cart_pdf)))
CART_REMOVE = Form("cart_remove", "route", "owner", "/panier/articles/{cart_item}/supprimer",
                   lambda w: {})
SUBMIT = Form("submit", "SubmitForm", "owner", "/panier/envoyer",
              lambda w: {"address_id": w.address, "delivery_mode": "pickup",
                         "pickup_point_id": w.point, "accept_terms": "y"})
CANCEL = Form("cancel", "CancelForm", "owner", "/commandes/{submitted_order}/annuler",
              lambda w: {"note": "", "confirm": "y"}, stored=cancelled,
              echoes=(Page("staff", "/equipe/commandes/{submitted_order}"),))
CHANGE_ADDRESS = Form("change_address", "AddressChoiceForm", "owner",
                      "/commandes/{submitted_order}/adresse",
                      lambda w: {"address_id": w.address})
MESSAGE = Form(
    "message", "MessageForm", "owner", "/commandes/{submitted_order}/messages",
    lambda w: {"body": "Bonjour"}, stored=newest_message("submitted_order"),
    echoes=(Page("owner", "/commandes/{submitted_order}"),
            Page("staff", "/equipe/commandes/{submitted_order}")))
CHANGE_REQUEST = Form(
    "change_request", "ChangeRequestForm", "owner", "/commandes/{quoted_order}/proforma/modification",
    lambda w: {"body": "Moins cher ?"}, follow=True,
    stored=newest_message("quoted_order", "change_request"),
    echoes=(Page("staff", "/equipe/commandes/{quoted_order}/proforma"), Mail()))

AMOUNT_KEPT = {"zero": Accepted(0), "too-precise": Accepted(200), "overflow": Refused(PRICE),
               "nul": Refused(PRICE)}
OTHER_ORDER = {"other-member": "{other_order}", "missing": c.MISSING_ID}

CASES = [
    *f.text(CART, "name", 200, plain=c.PLAIN, control=tuple(c.CONTROL), breaks=tuple(c.BREAKS),
            long=tuple(c.TOO_LONG), blank="required"),
    *f.links(CART, "url", echoes=(Page("owner", "/panier"),)),
    *f.values(CART, "quantity", c.QUANTITIES, Refused(QUANTITY),
              overrides={"padded": (" 7 ", Accepted(7)), "plus-sign": ("+5", Accepted(5)),
                         "arabic-indic-digit": ("٣", Accepted(3)),
                         "fullwidth-digits": ("１２", Accepted(12))}),
    *f.text(CART, "details", 1000, multiline=True, plain=("script", "font-markup", "para-markup",
                                                          "entity", "template"),
            breaks=tuple(c.BREAKS)),
    *f.values(CART, "seen_price", c.AMOUNTS, Refused(PRICE), overrides=AMOUNT_KEPT),
    *f.choice(CART, "seen_currency", extra={"lowercase": "eur"}),
    *f.values(CART_EDIT, "quantity", c.QUANTITIES, Refused(QUANTITY),
              overrides={k: None for k in ("nan", "list", "infinity")}),
    *f.text(CART_EDIT, "details", 1000, multiline=True),
    *f.values(CART_EDIT, "cart_item", {"other-member": "{other_cart_item}",
                                       "sent-order": "{submitted_item}",
                                       "missing": c.MISSING_ID}, NOT_FOUND),
    *f.values(CART_REMOVE, "cart_item", {"other-member": "{other_cart_item}",
                                         "sent-order": "{submitted_item}",
                                         "missing": c.MISSING_ID}, NOT_FOUND),
    *f.values(SUBMIT, "address_id", {"other-member": "{other_address}", **c.IDS}, Refused()),
    *f.choice(SUBMIT, "delivery_mode", extra={"uppercase": "PICKUP"}),
    *f.values(SUBMIT, "pickup_point_id", {"missing": c.MISSING_ID, "alpha": "abc",
                                          "huge": c.IDS["huge"]},
              Refused("Choisissez un point de retrait.")),
    *f.values(SUBMIT, "accept_terms", {"blank": ""},
              Refused("Vous devez accepter les conditions générales.")),
    *f.text(CANCEL, "note", 500, multiline=True, breaks=("crlf", "lf")),
    *f.values(CANCEL, "confirm", {"blank": ""},
              Refused("Cochez la case pour confirmer l'annulation.")),
    *f.values(CANCEL, "submitted_order", OTHER_ORDER, NOT_FOUND),
    *f.values(CHANGE_ADDRESS, "address_id", {"other-member": "{other_address}", **c.IDS},
              Refused()),
    *f.values(CHANGE_ADDRESS, "submitted_order", OTHER_ORDER, NOT_FOUND),
    *f.text(MESSAGE, "body", 2000, multiline=True, plain=c.PLAIN, control=tuple(c.CONTROL),
            breaks=tuple(c.BREAKS), long=tuple(c.TOO_LONG), blank="required"),
    *f.values(MESSAGE, "submitted_order", OTHER_ORDER, NOT_FOUND),
    *f.text(CHANGE_REQUEST, "body", 2000, multiline=True, breaks=("crlf", "lf"),
            blank="required"),
    *f.values(CHANGE_REQUEST, "quoted_order", OTHER_ORDER, NOT_FOUND, follow=False),
]
