"""Orders put in the states the payment tests need, through the portal's own services (so the
proforma, proofs, receipts and invoices are the ones the portal makes, PDFs included).

Call them inside an app context; each commits and returns the objects it made. A typical
order: three items (12,50 € × 2, 30 €, 99,99 €), a service fee of 15,00 € and an estimated
shipping of 20,00 € → total 189,99 €, deposit 50 % = 95,00 €, balance 94,99 €.

    agency(rate_per_kg=650)                 # settings (EUR) and two payment methods
    order = quoted(member, staff)           # proforma PF-… issued, status quoted
    proof = deposit_sent(order)             # a PNG proof of the whole deposit, deposit_review
    confirmed(order, staff)                 # that proof accepted (receipt REC-…)
    invoice = arrived(order, staff, grams)  # invoice FAC-…, status arrived
"""
import io
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.payments import proofs
from portal.payments.files import inspect_proof
from portal.payments.models import PaymentProof, ProofKind
from portal.proforma import invoicing, quoting
from portal.proforma.forms import QuoteInput
from portal.proforma.totals import Deposit, Fee, Line, Quote, percent_of
from portal.requests import logistics
from portal.requests.models import Order, OrderItem
from portal.staff.models import PaymentMethod, active_payment_methods, agency_today
from tests.factories import make_order, make_user
from tests.payments.corpus import blank_pdf, image_bytes, photo
from tests.proforma.conftest import set_agency

ITEMS = [("Crème hydratante Éclat", 2, 1250), ("Sac à dos 20 L", 1, 3000),
         ("Montre connectée", 1, 9999)]
SERVICE_FEE, SHIPPING = 1500, 2000
TOTAL = 2 * 1250 + 3000 + 9999 + SERVICE_FEE + SHIPPING  # 18999
DEPOSIT = percent_of(TOTAL, 5000)  # 9500 (50 %, rounded half up)
BALANCE = TOTAL - DEPOSIT
RATE_PER_KG = 650  # 6,50 € per kg
MAX_BYTES = 10 * 1024 * 1024
_made = {"images": 0}


def agency(rate_per_kg: int = RATE_PER_KG, **values) -> list[PaymentMethod]:
    """The agency's settings (EUR) and its payment methods (bank transfer, Wave)."""
    set_agency(transport_rate_per_kg=rate_per_kg, **values)
    if not active_payment_methods():
        db.session.add_all([
            PaymentMethod(name="Virement bancaire", position=1, instructions="IBAN CI93 0001"),
            PaymentMethod(name="Wave", position=2, instructions="Wave : +225 07 00 00 00 01")])
        db.session.commit()
    return active_payment_methods()


def staff_member(email: str = "moussa@agence.example", **fields):
    return make_user(email, role="staff", **({"full_name": "Moussa Traoré"} | fields))


def member(email: str = "awa@example.com", **fields):
    return make_user(email, **fields)


def quoted(owner, staff, deposit_bp: int = 5000, valid_days: int = 7) -> Order:
    """A request of three items with a proforma issued by `staff` (status quoted)."""
    order = make_order(owner, "submitted", items=0)
    for name, quantity, _price in ITEMS:
        order.items.append(OrderItem(name=name, quantity=quantity,
                                     url=f"https://shop.example.com/{len(order.items) + 1}"))
    db.session.commit()
    lines = [Line(item.name, item.url, item.quantity, price, item_id=item.id)
             for item, (_n, _q, price) in zip(order.items, ITEMS, strict=True)]
    given = QuoteInput(
        quote=Quote(lines, [Fee("service", "Frais de service", SERVICE_FEE),
                            Fee("shipping", "Transport international estimé", SHIPPING)],
                    Deposit("percent", deposit_bp)),
        valid_until=agency_today() + timedelta(days=valid_days),
        payment_method_ids=[method.id for method in active_payment_methods()],
        message=None, service_fee_auto=False, base_version=0)
    quoting.issue_proforma(order, given, staff)
    db.session.commit()
    return order


def png(seed: int | None = None) -> bytes:
    """A PNG photo; each seed (a new one each call by default) gives other bytes."""
    if seed is None:
        _made["images"] += 1
        seed = _made["images"]
    return image_bytes(photo((640 + seed % 300, 480)), "PNG")


def clean_file(data: bytes | None = None):
    return inspect_proof(io.BytesIO(data if data is not None else png()), MAX_BYTES)


def proof_sent(order: Order, amount: int | None = None, data: bytes | None = None,
               transaction_ref: str | None = "", comment: str | None = None,
               method: PaymentMethod | None = None) -> PaymentProof:
    """The member sends a proof of the payment the order waits for (all of it by default);
    the file is a new PNG unless `data` is given, the transaction reference a new one unless
    `transaction_ref` is given (None: no reference)."""
    if transaction_ref == "":
        _made["refs"] = _made.get("refs", 0) + 1
        transaction_ref = f"TX-{_made['refs']:06d}"
    kind = proofs.kind_awaited(order)
    due = proofs.amount_due(order, kind)
    proof = proofs.submit_proof(
        order, order.user, clean_file(data), amount or due,
        method or active_payment_methods()[0], agency_today(), transaction_ref, comment)
    db.session.commit()
    return proof


def pdf_proof(order: Order, **options) -> PaymentProof:
    return proof_sent(order, data=blank_pdf(), **options)


def deposit_sent(order: Order, **options) -> PaymentProof:
    assert proofs.kind_awaited(order) is ProofKind.DEPOSIT
    return proof_sent(order, **options)


def accepted(proof: PaymentProof, staff, amount: int | None = None) -> PaymentProof:
    proofs.accept_proof(proof, staff, amount or proof.declared_amount)
    db.session.commit()
    return proof


def confirmed(order: Order, staff, amount: int | None = None) -> Order:
    """The whole deposit paid and accepted (status confirmed)."""
    if order.status == "quoted":
        deposit_sent(order, amount=amount)
    pending = next(p for p in order.proofs if p.is_pending)
    accepted(pending, staff)
    return order


def arrived(order: Order, staff, weight_grams: int = 4200, transport: int | None = None,
            adjustments=()):
    """The goods arrived: the invoice is issued (status arrived); returns the invoice."""
    if transport is None:
        transport = invoicing.transport_fee(weight_grams, RATE_PER_KG)
    invoice = invoicing.record_arrival(
        order, staff, invoicing.Arrival(weight_grams, transport, list(adjustments)))
    db.session.commit()
    return invoice


def purchased(order: Order, staff, merchant_order_number: str | None = "AMZ-402-1234") -> Order:
    logistics.record_purchase(order, staff, merchant_order_number)
    db.session.commit()
    return order


def in_transit(order: Order, staff) -> Order:
    logistics.record_shipment(order, staff, "DHL Express", "JD014600003",
                              "https://www.dhl.com/track?id=JD014600003")
    db.session.commit()
    return order


PATH = ["quoted", "deposit_review", "confirmed", "purchased", "in_transit", "arrived",
        "balance_review"]


def order_in(status: str, owner, staff) -> Order:
    """An order walked to `status` (one of PATH) through the services."""
    steps = {"deposit_review": deposit_sent, "confirmed": lambda o: confirmed(o, staff),
             "purchased": lambda o: purchased(o, staff),
             "in_transit": lambda o: in_transit(o, staff),
             "arrived": lambda o: arrived(o, staff), "balance_review": proof_sent}
    order = quoted(owner, staff)
    for step in PATH[1:PATH.index(status) + 1]:
        steps[step](order)
    return order


def waited(proof: PaymentProof, hours: int) -> None:
    """Pretend the proof was sent `hours` ago."""
    proof.submitted_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
