"""The people and objects the access sweep (tests/test_access_sweep.py) points every route at.

Aminata (member A, "the owner") has real objects of every kind a URL can name, made through the
portal's own services where they exist (tests/payments/builders.py), so PDFs, receipts and
files are the ones the portal stores:

- `paid_order`: quoted, deposit proof accepted (receipt PDF), bought, shipped, arrived (invoice
  PDF, an arrival photo), then a balance proof sent as a PDF (status balance_review);
- `quoted_order`: a proforma just issued (PDF), waiting for the deposit, with a WhatsApp message
  from her that carries a photo (already fetched and stored, so nothing goes to Twilio);
- her cart (`cart_item`), her address, a notification and a failed outbox row.

Binta (member B, "the other member") has her own address and submitted order, so her pages have
something of hers to show; Moussa is staff, Chef an admin. A partner shop and the company
have a logo. `build()` runs inside an app context, commits, and returns a `World`: the ids, the
texts of Aminata's that nobody else may be shown, and the bytes of her stored files.
"""
import hashlib
import html
from dataclasses import dataclass, field

from portal import storage
from portal.extensions import db
from portal.messaging.models import Notification, OrderMessage, OutboxMessage
from portal.payments.models import ArrivalPhoto
from portal.staff.models import AgencySettings
from tests.factories import make_address, make_order, make_shop, make_user
from tests.payments import builders
from tests.payments.corpus import image_bytes, photo

OWNER = "aminata@example.com"
OTHER = "binta@example.com"
STAFF = "moussa@agence.example"
ADMIN = "chef@agence.example"
EMAILS = {"owner": OWNER, "other member": OTHER, "staff": STAFF, "admin": ADMIN}

OWNER_NAME = "Aminata Ouédraogo"
OWNER_PHONE = "+2250708091011"
OWNER_STREET = "Impasse des Flamboyants 7"
OWNER_MESSAGE = "Voici la photo du reçu Wave pour Aminata"


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)   # Aminata's texts
    files: list[bytes] = field(default_factory=list)   # Aminata's stored files

    def leaked(self, body: bytes) -> list[str]:
        """What of Aminata's a response body shows (empty: nothing)."""
        text = body.decode("utf-8", "replace")
        found = [secret for secret in self.secrets
                 if secret in text or html.escape(secret) in text]
        digest = hashlib.sha256(body).hexdigest()
        for number, data in enumerate(self.files):
            middle = data[len(data) // 2:len(data) // 2 + 64]
            if digest == hashlib.sha256(data).hexdigest() or (len(data) > 1024 and middle in body):
                found.append(f"the bytes of her stored file #{number + 1}")
        return found


def _png(seed: int) -> bytes:
    return image_bytes(photo((320 + seed, 240)), "PNG")


def build() -> World:
    methods = builders.agency()
    staff = builders.staff_member(STAFF)
    make_user(ADMIN, role="admin", full_name="Chef Admin", phone=None)
    owner = make_user(OWNER, full_name=OWNER_NAME, phone=OWNER_PHONE)
    other = make_user(OTHER, full_name="Binta Diop", phone="+2250702020202")
    address = make_address(owner, label="Chez moi", line1=OWNER_STREET)

    paid = builders.order_in("arrived", owner, staff)
    invoice = paid.invoices[-1]
    receipt_proof = next(proof for proof in paid.proofs if proof.receipt_key)
    balance_proof = builders.pdf_proof(paid)
    arrival = ArrivalPhoto(order=paid, content_type="image/png",
                           file_key=storage.save(_png(1), "arrival", "png"))
    db.session.add(arrival)

    quoted = builders.quoted(owner, staff)
    media_key = storage.save(_png(2), "whatsapp", "png")
    message = OrderMessage(
        order=quoted, author=owner, kind="message", body=OWNER_MESSAGE, channel="whatsapp",
        from_member=True, provider_sid="SM" + "5" * 32, sender=f"whatsapp:{OWNER_PHONE}",
        media=[{"url": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/SM5/Media/ME5",
                "content_type": "image/png", "key": media_key, "stored_type": "image/png"}])
    db.session.add(message)
    db.session.add(Notification(user=owner, text=f"Votre proforma {quoted.reference} est prête",
                                link=f"http://localhost/commandes/{quoted.id}/proforma"))
    outbox_row = OutboxMessage(recipient=OWNER, user_id=owner.id, kind="order_status",
                               subject=f"Votre commande {paid.reference}",
                               body_text=f"Bonjour {OWNER_NAME}", status="failed")
    db.session.add(outbox_row)
    db.session.commit()
    cart = make_order(owner, "draft", items=1)

    other_order = make_order(other, "submitted")  # and her own address, by default

    shop = make_shop("Zara")
    shop.logo_key = storage.save(_png(3), "logos", "png")
    settings = db.session.get(AgencySettings, 1)
    settings.logo_key = storage.save(_png(4), "logos", "png")
    db.session.commit()

    world = World(ids={
        "paid_order": paid.id, "quoted_order": quoted.id, "cart_item": cart.items[0].id,
        "address": address.id, "pending_proof": balance_proof.id,
        "receipt_proof": receipt_proof.id, "invoice": invoice.id, "photo": arrival.id,
        "media_message": message.id, "outbox_row": outbox_row.id, "shop": shop.id,
        "method": methods[0].id, "point": quoted.pickup_point_id,
        "other_order": other_order.id,
    })
    world.secrets = [OWNER_NAME, OWNER, OWNER_PHONE, OWNER_STREET, OWNER_MESSAGE,
                     paid.reference, quoted.reference, invoice.number,
                     receipt_proof.receipt_number, balance_proof.transaction_ref,
                     *{proforma.number for order in (paid, quoted)
                       for proforma in order.proformas}]
    keys = [invoice.pdf_key, receipt_proof.receipt_key, receipt_proof.file_key,
            balance_proof.file_key, arrival.file_key, media_key,
            *[proforma.pdf_key for order in (paid, quoted) for proforma in order.proformas]]
    world.files = [storage.read(key) for key in keys if key]
    assert len(world.files) == len(keys), "every document of hers has its file"
    return world
