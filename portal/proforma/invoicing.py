"""The final invoice, issued when the goods arrive, and its correction by a credit note.

An invoice takes the lines of the proforma in force, its service and other fees, the actual
transport (weight × the rate per kg, editable) instead of the estimate, and any adjustment
(a credit for an item that turned out unavailable is a negative amount). Numbers come from
gap-free counters (`FAC-<year>-…`, `AV-<year>-…`) taken in the same transaction. An invoice is
never edited nor deleted: a correction is a credit note for it, then a new invoice.
Functions flush; views commit.
"""
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import numbering, storage, workflow
from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import order_news
from portal.money import format_money
from portal.payments.proofs import balance_settled
from portal.proforma import pdf
from portal.proforma.models import Invoice, InvoiceKind, InvoiceStatus
from portal.proforma.quoting import PDF
from portal.staff.models import active_payment_methods, agency_today
from portal.workflow import Status, WorkflowError

BEFORE_ARRIVAL = frozenset({Status.CONFIRMED, Status.PURCHASED, Status.IN_TRANSIT})
GRAMS_PER_KG = 1000


def transport_fee(weight_grams: int, rate_per_kg: int) -> int:
    """Weight × rate per kg, rounded half up to the minor unit (integers only)."""
    return (weight_grams * rate_per_kg + GRAMS_PER_KG // 2) // GRAMS_PER_KG


@dataclass(frozen=True)
class Arrival:
    """What staff record when the goods arrive."""

    weight_grams: int | None
    transport: int
    adjustments: list[tuple[str, int]] = field(default_factory=list)  # (label, signed amount)


def _fees(proforma, arrival: Arrival) -> list[dict]:
    kept = [fee for fee in proforma.content["fees"] if fee["kind"] in ("service", "other")]
    transport = {"kind": "transport", "label": str(_l("Transport")), "amount": arrival.transport}
    credits = [{"kind": "adjustment", "label": label, "amount": amount}
               for label, amount in arrival.adjustments]
    return [*kept, transport, *credits]


def _payments(order) -> list[dict]:
    return [{"label": str(p.kind_label), "method": p.method_name,
             "paid_on": p.paid_on.isoformat(), "amount": p.received_amount,
             "receipt": p.receipt_number}
            for p in order.proofs if p.status == "accepted"]


def _content(order, arrival: Arrival, number: str) -> dict:
    proforma = order.current_proforma
    base = proforma.content
    fees = _fees(proforma, arrival)
    payments = _payments(order)
    subtotal = sum(line["total"] for line in base["lines"])
    fees_total = sum(fee["amount"] for fee in fees)
    paid = sum(payment["amount"] for payment in payments)
    return {
        "kind": "invoice", "reference": order.reference, "number": number,
        "issued_on": agency_today().isoformat(), "currency": proforma.currency,
        "locale": base["locale"], "company": base["company"], "customer": base["customer"],
        "delivery": base["delivery"], "proforma": proforma.label, "corrects": None,
        "lines": base["lines"], "fees": fees, "weight_grams": arrival.weight_grams,
        "subtotal": subtotal, "fees_total": fees_total, "total": subtotal + fees_total,
        "payments": payments, "paid_total": paid, "balance_due": subtotal + fees_total - paid,
        "refunds": [], "message": None,
        "payment_methods": [{"name": m.name, "instructions": m.instructions}
                            for m in active_payment_methods()],
    }


def _store(order, content: dict, actor, kind: InvoiceKind, corrects=None) -> Invoice:
    invoice = Invoice(order=order, kind=kind.value, number=content["number"],
                      status=InvoiceStatus.ISSUED.value, currency=content["currency"],
                      subtotal=content["subtotal"], fees_total=content["fees_total"],
                      total=content["total"], paid_total=content["paid_total"],
                      balance_due=content["balance_due"], content=content,
                      corrects_id=corrects.id if corrects else None, issued_at=utcnow(),
                      issued_by_id=actor.id)
    db.session.add(invoice)
    db.session.flush()
    with force_locale(order.user.locale or "fr"):
        invoice.pdf_key = storage.save(pdf.render_invoice(content), "invoices", "pdf")
    return invoice


def attachment_of(invoice: Invoice) -> dict:
    return {"key": invoice.pdf_key, "filename": invoice.filename, "content_type": PDF}


def record_arrival(order, actor, arrival: Arrival) -> Invoice:
    """The goods are here: issue the final invoice, move the order to `arrived`, tell the
    member (in-app, and the invoice by e-mail)."""
    workflow.lock(order)
    if Status(order.status) not in BEFORE_ARRIVAL:
        raise WorkflowError(_l("L'arrivée de cette commande est déjà enregistrée."))
    order.weight_grams = arrival.weight_grams
    invoice = _store(order, _content(order, arrival, numbering.next_reference("FAC")), actor,
                     InvoiceKind.INVOICE)
    workflow.advance(order, Status.ARRIVED, actor, invoice=invoice, announce=False)
    _tell(order, invoice)
    _ready_when_paid(order, actor)
    return invoice


def correct_invoice(order, actor, arrival: Arrival) -> Invoice:
    """Cancel the invoice in force by a credit note and issue a new one (balance not paid yet)."""
    workflow.lock(order)
    wrong = order.current_invoice
    if wrong is None or order.status != Status.ARRIVED.value:
        raise WorkflowError(_l("Une facture ne peut être corrigée qu'avant le paiement du "
                               "solde."))
    credit = dict(wrong.content, kind="credit_note", corrects=wrong.number,
                  number=numbering.next_reference("AV"), issued_on=agency_today().isoformat(),
                  payments=[], paid_total=0, balance_due=wrong.total, payment_methods=[])
    _store(order, credit, actor, InvoiceKind.CREDIT_NOTE, corrects=wrong)
    wrong.status = InvoiceStatus.CORRECTED.value
    order.weight_grams = arrival.weight_grams
    invoice = _store(order, _content(order, arrival, numbering.next_reference("FAC")), actor,
                     InvoiceKind.INVOICE)
    _tell(order, invoice, replaces=wrong)
    _ready_when_paid(order, actor)
    return invoice


def _ready_when_paid(order, actor) -> None:
    """When the payments received already cover the invoice (a full deposit, a credit on
    arrival), no balance proof will come: the order is ready at once and the member gets the
    pickup code and the arrangement."""
    if not balance_settled(order):
        return
    with force_locale(order.user.locale or "fr"):
        note = str(_l("Rien à payer à l'arrivée : les paiements reçus couvrent la facture."))
    workflow.advance(order, Status.READY, actor, note=note, announce=False)
    order_news.pickup_ready(order, Status.READY.label)


def _tell(order, invoice: Invoice, replaces: Invoice | None = None) -> None:
    balance = format_money(invoice.balance_due, invoice.currency)
    if replaces is None and invoice.balance_due > 0:
        notice = _l("Vos articles sont arrivés : facture %(number)s, solde à payer %(balance)s.",
                    number=invoice.number, balance=balance)
    elif replaces is None:
        notice = _l("Vos articles sont arrivés : facture %(number)s, rien à payer de plus.",
                    number=invoice.number)
    elif invoice.balance_due > 0:
        notice = _l("Votre facture %(old)s est corrigée : la facture %(number)s la remplace, "
                    "solde à payer %(balance)s.", old=replaces.number, number=invoice.number,
                    balance=balance)
    else:
        notice = _l("Votre facture %(old)s est corrigée : la facture %(number)s la remplace, "
                    "rien à payer de plus.", old=replaces.number, number=invoice.number)
    order_news.document_issued(order, "invoice_issued", notice, attachment_of(invoice),
                               invoice=invoice, replaces=replaces)

