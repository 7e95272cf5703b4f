"""Money given back when staff cancel an order that had been paid (in part).
Functions flush; views commit."""
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.money import format_money
from portal.payments.models import ProofStatus, Refund
from portal.requests import ordering
from portal.workflow import WorkflowError


@dataclass(frozen=True)
class RefundInput:
    amount: int
    method: str
    refunded_on: date
    reference: str | None


def money_held(order) -> int:
    """What the agency received for the order and has not given back."""
    received = sum(p.received_amount for p in order.proofs
                   if p.status == ProofStatus.ACCEPTED.value)
    return received - sum(refund.amount for refund in order.refunds)


def currency_of(order) -> str | None:
    document = order.current_invoice or order.current_proforma
    return document.currency if document else None


def cancel_order(order, actor, reason: str, note: str | None, refund: RefundInput | None):
    """Staff cancel the order; when money had been received, the refund is recorded with it."""
    held = money_held(order)
    if held > 0 and refund is None:
        raise WorkflowError(_l("Cette commande a été payée (en partie) : enregistrez le "
                               "remboursement pour l'annuler."))
    if refund is not None:
        if held <= 0 or refund.amount > held:
            raise WorkflowError(_l("Le remboursement dépasse ce que l'agence a reçu."))
        db.session.add(Refund(order=order, amount=refund.amount, currency=currency_of(order),
                              method=refund.method, refunded_on=refund.refunded_on,
                              reference=refund.reference or None, recorded_by_id=actor.id,
                              recorded_at=utcnow()))
        note = "\n".join(filter(None, [note, _refund_note(order, refund)]))
    return ordering.cancel_order(order, actor, note=note, reason=reason)


def _refund_note(order, refund: RefundInput) -> str:
    """The refund told to the member with the cancellation (in their language)."""
    with force_locale(order.user.locale or "fr"):
        return str(_l("Remboursement de %(amount)s par %(method)s le %(date)s.",
                      amount=format_money(refund.amount, currency_of(order)),
                      method=refund.method, date=format_date(refund.refunded_on, "long")))
