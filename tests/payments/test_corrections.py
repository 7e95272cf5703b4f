"""A corrected invoice after a partial balance payment counts that payment once; the correction
and a refund are told to the member in plain words."""
from portal.extensions import db
from portal.payments import proofs, refunds
from portal.payments.models import ProofKind
from portal.proforma import invoicing
from portal.requests.models import Order
from tests.payments import builders


def test_a_correction_after_a_partial_balance_counts_the_payment_once(app, outbox):
    with app.app_context():
        builders.agency()
        staff = builders.staff_member()
        order = builders.order_in("arrived", builders.member(), staff)
        first = order.current_invoice
        proof = builders.proof_sent(order, amount=2000)
        builders.accepted(proof, staff)
        assert proofs.amount_due(order, ProofKind.BALANCE) == first.balance_due - 2000
        fixed = invoicing.correct_invoice(order, staff, invoicing.Arrival(3000, 1950))
        db.session.commit()
        assert order.weight_grams == 3000
        assert fixed.paid_total == builders.DEPOSIT + 2000
        assert proofs.amount_due(order, ProofKind.BALANCE) == fixed.total - fixed.paid_total
        numbers = (first.number, fixed.number, order.user.email)
    [_, mail] = outbox.to(numbers[2], "invoice_issued")
    assert mail.subject.startswith(f"Facture corrigée {numbers[1]} (remplace {numbers[0]})")
    assert "est annulée par un avoir" in mail.body_text


def test_the_refund_is_told_with_the_cancellation(app, outbox):
    from datetime import date

    with app.app_context():
        builders.agency()
        staff = builders.staff_member()
        order = builders.order_in("confirmed", builders.member(), staff)
        refund = refunds.RefundInput(builders.DEPOSIT, "Wave", date(2026, 11, 26), "W-77")
        refunds.cancel_order(order, staff, "out_of_stock", "Plus en stock.", refund)
        db.session.commit()
        order = db.session.get(Order, order.id)
        assert order.status == "cancelled" and refunds.money_held(order) == 0
        assert order.history[-1].note.endswith(
            "Remboursement de 95,00\xa0€ par Wave le 26 novembre 2026.")
        email = order.user.email
    mail = outbox.to(email, "status_changed")[-1]
    assert "Plus en stock." in mail.body_text and "Remboursement de 95,00" in mail.body_text
