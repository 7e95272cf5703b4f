"""What staff record between the deposit and the arrival: the purchase from the merchant, the
shipment, and the photos of the goods on arrival. (The arrival issues the final invoice:
portal/proforma/invoicing.py.) Functions flush; views commit."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import storage, workflow
from portal.clock import utcnow
from portal.extensions import db
from portal.payments.models import ArrivalPhoto
from portal.workflow import Status


def _note(order, text) -> str:
    with force_locale(order.user.locale or "fr"):
        return str(text)


def record_purchase(order, actor, merchant_order_number: str | None):
    """The agency has bought the items (the merchant's order number, when there is one)."""
    order.merchant_order_number = merchant_order_number or None
    note = _l("Commande passée chez le marchand.")
    return workflow.advance(order, Status.PURCHASED, actor, note=_note(order, note))


def record_shipment(order, actor, carrier: str, tracking_number: str | None,
                    tracking_url: str | None):
    """The goods travel to the agency: carrier and tracking, shown to the member."""
    order.carrier = carrier
    order.tracking_number = tracking_number or None
    order.tracking_url = tracking_url or None
    note = _l("Expédiée avec %(carrier)s.", carrier=carrier)
    if tracking_number:
        note = _l("Expédiée avec %(carrier)s, suivi n° %(number)s.", carrier=carrier,
                  number=tracking_number)
    return workflow.advance(order, Status.IN_TRANSIT, actor, note=_note(order, note))


def add_arrival_photos(order, photos) -> None:
    """Store cleaned photos of the goods (portal/payments/files.py); the member sees them."""
    for clean in photos:
        db.session.add(ArrivalPhoto(order=order, content_type=clean.content_type,
                                    file_key=storage.save(clean.data, "arrival",
                                                          clean.extension),
                                    uploaded_at=utcnow()))
    db.session.flush()
