"""Staff working at the same time (PostgreSQL): invoices issued in parallel take consecutive
numbers with no gap and no duplicate, and a proof accepted by two people at once is decided
once (one receipt); the other is told it was already handled."""
import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.payments import proofs, refunds
from portal.payments.models import PaymentProof
from portal.proforma import invoicing
from portal.proforma.models import Invoice
from portal.requests.models import Order
from portal.workflow import WorkflowError
from tests.payments import builders
from tests.test_workflow import in_threads, postgres_only

pytestmark = postgres_only


@pytest.fixture
def team(app_ctx):
    builders.agency()
    member = builders.member("awa@example.com")
    staff = [builders.staff_member(f"equipe{n}@agence.example", full_name=f"Équipe {n}")
             for n in range(2)]
    return member, staff


def test_twenty_arrivals_at_once_get_twenty_consecutive_invoice_numbers(app, team):
    member, staff = team
    order_ids = [builders.confirmed(builders.quoted(member, staff[0]), staff[0]).id
                 for _ in range(20)]
    staff_id = staff[0].id

    def arrive(index, barrier):
        barrier.wait()  # loaded after the barrier: the pool has fewer than 20 connections
        order = db.session.get(Order, order_ids[index])
        actor = db.session.get(User, staff_id)
        invoice = invoicing.record_arrival(order, actor, invoicing.Arrival(
            1000 + index, invoicing.transport_fee(1000 + index, builders.RATE_PER_KG)))
        db.session.commit()
        return invoice.number

    results = in_threads(app, 20, arrive)
    year = utcnow().year
    assert sorted(results) == [f"FAC-{year}-{n:05d}" for n in range(1, 21)], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invoice.id))) == 20
    statuses = db.session.scalars(select(Order.status).where(Order.id.in_(order_ids))).all()
    assert set(statuses) == {"arrived"}


def test_two_staff_accepting_the_same_proof_decide_it_once(app, team):
    member, staff = team
    order = builders.quoted(member, staff[0])
    proof_id = builders.deposit_sent(order).id
    staff_ids = [person.id for person in staff]

    def accept(index, barrier):
        proof = db.session.get(PaymentProof, proof_id)
        actor = db.session.get(User, staff_ids[index])
        assert proof.is_pending
        barrier.wait()  # both have loaded the pending proof before either decides
        proofs.accept_proof(proof, actor, proof.declared_amount)
        db.session.commit()
        return proof.receipt_number

    results = in_threads(app, 2, accept)
    won = [result for result in results if isinstance(result, str)]
    refused = [result for result in results if isinstance(result, WorkflowError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert "déjà été traitée" in str(refused[0].message)
    db.session.expire_all()
    proof = db.session.get(PaymentProof, proof_id)
    assert (proof.status, proof.receipt_number) == ("accepted", won[0])
    assert won[0].endswith("-00001"), "the loser's receipt number was given back"
    receipts = db.session.scalar(select(func.count(PaymentProof.id))
                                 .where(PaymentProof.receipt_number.is_not(None)))
    assert receipts == 1
    history = db.session.get(Order, order.id).history
    assert [change.to_status for change in history].count("confirmed") == 1


def test_a_cancellation_counts_a_deposit_accepted_while_the_form_was_being_sent(app, team):
    """Staff A's page read the order, and counted no money held, before staff B accepted the
    deposit: A's cancellation without a refund is refused (the acceptance changed the order's
    version), so no paid order is cancelled without its refund."""
    member, staff = team
    order_id = builders.quoted(member, staff[0]).id
    proof_id = builders.deposit_sent(db.session.get(Order, order_id)).id
    staff_ids = [person.id for person in staff]
    db.session.commit()

    def cancel(barrier):
        order = db.session.get(Order, order_id)
        assert refunds.money_held(order) == 0  # what A's form was built from
        barrier.wait()  # B accepts the deposit now
        barrier.wait()
        refunds.cancel_order(order, db.session.get(User, staff_ids[0]), "out_of_stock",
                             None, None)
        db.session.commit()
        return order.status

    def accept(barrier):
        barrier.wait()
        proof = db.session.get(PaymentProof, proof_id)
        proofs.accept_proof(proof, db.session.get(User, staff_ids[1]), proof.declared_amount)
        db.session.commit()
        barrier.wait()
        return proof.status

    results = in_threads(app, 2, lambda index, barrier: (cancel, accept)[index](barrier))
    assert results[1] == "accepted", results
    assert isinstance(results[0], WorkflowError), results
    assert "modifiée par quelqu'un d'autre" in str(results[0].message)
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "confirmed"
