"""What members and staff do with payment proofs: send one (deposit or balance), accept it with
the amount received (a receipt is issued), or refuse it with a reason. Every decision moves the
order through the workflow and is told to the member. Functions flush; views commit.
"""
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, literal, select

from portal import numbering, storage, workflow
from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import order_news
from portal.money import format_money
from portal.payments.files import CleanProof
from portal.payments.models import (
    REFUSAL_REASONS,
    PaymentProof,
    ProofKind,
    ProofStatus,
    same_payment,
)
from portal.proforma import pdf
from portal.proforma.quoting import company_snapshot, customer_snapshot, payable
from portal.staff.models import AgencySettings, agency_today
from portal.workflow import Status, WorkflowError

# For each kind of proof: where the order waits for it, where it goes while it is checked,
# and where it goes once the step is fully paid.
STEPS = {
    ProofKind.DEPOSIT: (Status.QUOTED, Status.DEPOSIT_REVIEW, Status.CONFIRMED),
    ProofKind.BALANCE: (Status.ARRIVED, Status.BALANCE_REVIEW, Status.READY),
}
PDF = "application/pdf"


def kind_awaited(order) -> ProofKind | None:
    """The payment the order waits for now (None when it waits for none)."""
    return next((kind for kind, (waiting, _, _) in STEPS.items()
                 if order.status == waiting.value), None)


def document_paid(order, kind: ProofKind):
    """The proforma (deposit) or invoice (balance) a payment is made against."""
    return order.current_proforma if kind is ProofKind.DEPOSIT else order.current_invoice


def received(order, kind: ProofKind) -> int:
    return sum(p.received_amount for p in order.proofs
               if p.kind == kind.value and p.status == ProofStatus.ACCEPTED.value)


def amount_due(order, kind: ProofKind) -> int:
    """What remains to pay for this step: the deposit less what was received for it, or the
    invoice's total less everything received (so a corrected invoice counts nothing twice)."""
    document = document_paid(order, kind)
    if document is None:
        return 0
    if kind is ProofKind.DEPOSIT:
        return max(document.deposit_due - received(order, kind), 0)
    paid = received(order, ProofKind.DEPOSIT) + received(order, ProofKind.BALANCE)
    return max(document.total - paid, 0)


def balance_settled(order) -> bool:
    """The final invoice is issued and the payments received cover it: no balance proof is
    awaited (a full deposit, a credit on arrival)."""
    return order.current_invoice is not None and amount_due(order, ProofKind.BALANCE) == 0


def can_send_proof(order, user) -> bool:
    """The member may send a proof while the order waits for a payment (and, for the
    deposit, while the proforma can be paid)."""
    kind = kind_awaited(order)
    if user.id != order.user_id or kind is None or amount_due(order, kind) <= 0:
        return False
    return kind is ProofKind.BALANCE or payable(order.current_proforma, agency_today())


def submit_proof(order, member, clean: CleanProof, amount: int, method, paid_on: date,
                 transaction_ref: str | None, comment: str | None) -> PaymentProof:
    """Store the proof and move the order to the review of that payment."""
    workflow.lock(order)
    if not can_send_proof(order, member):
        raise WorkflowError(_l("Cette commande n'attend pas de paiement pour le moment."))
    kind = kind_awaited(order)
    proof = PaymentProof(
        order=order, kind=kind.value, status=ProofStatus.PENDING.value,
        file_key=storage.save(clean.data, "proofs", clean.extension),
        content_type=clean.content_type, sha256=clean.sha256,
        currency=document_paid(order, kind).currency, declared_amount=amount,
        method_id=method.id, method_name=method.name, paid_on=paid_on,
        transaction_ref=transaction_ref or None, comment=comment or None,
        submitted_by_id=member.id, submitted_at=utcnow())
    db.session.add(proof)
    db.session.flush()
    workflow.advance(order, STEPS[kind][1], member, proof=proof)
    order_news.tell_staff(order, _l("Preuve de paiement (%(kind)s) reçue pour %(ref)s",
                                    kind=kind.label, ref=order.reference),
                          "staff_new_proof", proof=proof)
    return proof


# --- Review (staff) ---------------------------------------------------------------------------

def pending_proofs(limit: int = 200) -> list[PaymentProof]:
    """Proofs waiting for a decision, the oldest first."""
    return list(db.session.scalars(
        select(PaymentProof).where(PaymentProof.status == ProofStatus.PENDING.value)
        .order_by(PaymentProof.submitted_at, PaymentProof.id).limit(limit)))


def reused_elsewhere(proof: PaymentProof) -> list[PaymentProof]:
    """Other proofs with the same file or the same transaction reference (a flag for staff);
    no statement when the query that loaded `proof` found it has none (`with_twin_flag`)."""
    if proof.has_twin is not None and not proof.has_twin:
        return []
    return list(db.session.scalars(select(PaymentProof).where(
        PaymentProof.id != proof.id,
        same_payment(PaymentProof, proof.sha256, literal(proof.transaction_ref, String)))
        .order_by(PaymentProof.id)))


def _claim(proof: PaymentProof) -> None:
    """Lock the proof; a decision already taken (by someone else a moment ago) is refused."""
    workflow.lock(proof.order)
    db.session.refresh(proof, with_for_update=True)
    if not proof.is_pending:
        raise WorkflowError(_l("Cette preuve a déjà été traitée par quelqu'un d'autre."))


def accept_proof(proof: PaymentProof, staff, received_amount: int) -> PaymentProof:
    """Record the amount actually received and issue a receipt; the order moves on when the
    step is fully paid, otherwise it waits for the rest."""
    _claim(proof)
    order, kind = proof.order, ProofKind(proof.kind)
    proof.status = ProofStatus.ACCEPTED.value
    proof.received_amount = received_amount
    proof.decided_by_id, proof.decided_at = staff.id, utcnow()
    proof.receipt_number = numbering.next_reference("REC")
    db.session.flush()
    remaining = amount_due(order, kind)
    proof.receipt_key = storage.save(_receipt_pdf(proof, remaining), "receipts", "pdf")
    waiting, _, paid = STEPS[kind]
    target = paid if remaining == 0 else waiting
    note = None if remaining == 0 else _remaining_note(order, remaining, proof.currency)
    workflow.advance(order, target, staff, note=note, proof=proof, announce=False)
    order_news.document_issued(
        order, "payment_accepted",
        _l("Paiement de %(amount)s reçu pour la commande %(ref)s.",
           amount=format_money(received_amount, proof.currency), ref=order.reference),
        receipt_attachment(proof), proof=proof, remaining=remaining, status_label=target.label)
    if target is Status.READY:  # fully paid: the pickup code and the arrangement go out
        order_news.pickup_ready(order, target.label)
    return proof


def _remaining_note(order, remaining: int, currency: str) -> str:
    with force_locale(order.user.locale or "fr"):
        return str(_l("Paiement partiel : il reste %(amount)s à payer.",
                      amount=format_money(remaining, currency)))


def refuse_proof(proof: PaymentProof, staff, reason: str, comment: str | None) -> PaymentProof:
    """Refuse the proof; the order waits again for that payment, and the member is told why."""
    if reason not in REFUSAL_REASONS:
        raise WorkflowError(_l("Choisissez une raison dans la liste."))
    _claim(proof)
    proof.status = ProofStatus.REFUSED.value
    proof.refusal_reason, proof.refusal_comment = reason, comment or None
    proof.decided_by_id, proof.decided_at = staff.id, utcnow()
    db.session.flush()
    with force_locale(proof.order.user.locale or "fr"):
        note = " — ".join(filter(None, [str(_l("Preuve refusée : %(reason)s",
                                              reason=REFUSAL_REASONS[reason])), comment]))
    workflow.advance(proof.order, STEPS[ProofKind(proof.kind)][0], staff, note=note,
                     proof=proof)
    return proof


# --- Receipts -----------------------------------------------------------------------------------

def receipt_attachment(proof: PaymentProof) -> dict:
    return {"key": proof.receipt_key, "filename": f"{proof.receipt_number}.pdf",
            "content_type": PDF}


def _receipt_pdf(proof: PaymentProof, remaining: int) -> bytes:
    order, settings = proof.order, AgencySettings.get()
    document = document_paid(order, ProofKind(proof.kind))
    label = (_l("Proforma %(label)s", label=document.label) if proof.kind == "deposit"
             else _l("Facture %(number)s", number=document.number))
    with force_locale(order.user.locale or "fr"):
        return pdf.render_receipt({
            "kind": "receipt", "number": proof.receipt_number, "reference": order.reference,
            "issued_on": agency_today().isoformat(), "currency": proof.currency,
            "locale": settings.locale, "company": company_snapshot(settings),
            "customer": customer_snapshot(order), "document": str(label),
            "payment": {"kind": proof.kind, "method": proof.method_name,
                        "paid_on": proof.paid_on.isoformat(),
                        "transaction_ref": proof.transaction_ref,
                        "amount": proof.received_amount},
            "remaining": remaining})
