"""The order state machine (PRODUCT.md, "Statuses a member sees"): every status has its French
label, only the moves of the table are allowed and only to the people it names, each move is kept
in the history and told to the member, nothing but `advance` writes a status, two staff acting at
once never both succeed, and request numbers have no gaps.
"""
import itertools
import os
import re
import threading
from functools import partial
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal import numbering, workflow
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification, OutboxMessage
from portal.requests import ordering
from portal.requests.models import Order, StatusChange
from portal.workflow import MOVES, Status, WorkflowError, advance, can_move
from tests.factories import make_invoice, make_order, make_proforma, make_user

S = Status
ROLES = ("member", "staff", "admin")
ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
PORTAL = Path(__file__).resolve().parents[1] / "portal"

# PRODUCT.md's table, as the member reads it.
FRENCH_LABELS = {
    "draft": "Panier",
    "submitted": "Demande envoyée — en attente de proforma",
    "quoted": "Proforma envoyée — en attente d'acompte",
    "deposit_review": "Acompte en attente de validation",
    "confirmed": "Confirmée — commande passée",
    "purchased": "Achetée auprès du marchand",
    "in_transit": "En cours d'acheminement",
    "arrived": "Arrivée — solde à régler",
    "balance_review": "Solde en attente de validation",
    "ready": "Prête — retrait ou livraison à organiser",
    "completed": "Retirée / livrée",
    "cancelled": "Annulée",
}

# Who may make each move, written from PRODUCT.md (not read from the code): the member moves the
# steps that are theirs (submit, pay, cancel early), staff every other step; staff skip purchase
# and transit but never a payment review; staff cancel anything not finished (a cart is not an
# order: it is emptied, not cancelled).
MEMBER, STAFF = {"member"}, {"staff", "admin"}
ALLOWED = {
    (S.DRAFT, S.SUBMITTED): MEMBER,
    (S.SUBMITTED, S.QUOTED): STAFF,
    (S.QUOTED, S.DEPOSIT_REVIEW): MEMBER,
    (S.DEPOSIT_REVIEW, S.CONFIRMED): STAFF,
    (S.DEPOSIT_REVIEW, S.QUOTED): STAFF,            # deposit proof rejected: pay again
    (S.CONFIRMED, S.PURCHASED): STAFF,
    (S.CONFIRMED, S.ARRIVED): STAFF,                # purchase and transit skipped
    (S.PURCHASED, S.IN_TRANSIT): STAFF,
    (S.PURCHASED, S.ARRIVED): STAFF,                # transit skipped
    (S.IN_TRANSIT, S.ARRIVED): STAFF,
    (S.ARRIVED, S.BALANCE_REVIEW): MEMBER,
    (S.ARRIVED, S.READY): STAFF,                    # the invoice was paid before it came
    (S.BALANCE_REVIEW, S.READY): STAFF,
    (S.BALANCE_REVIEW, S.ARRIVED): STAFF,           # balance proof rejected: pay again
    (S.READY, S.COMPLETED): STAFF,
    (S.SUBMITTED, S.CANCELLED): MEMBER | STAFF,
    (S.QUOTED, S.CANCELLED): MEMBER | STAFF,
    **{(source, S.CANCELLED): STAFF for source in (
        S.DEPOSIT_REVIEW, S.CONFIRMED, S.PURCHASED, S.IN_TRANSIT, S.ARRIVED, S.BALANCE_REVIEW,
        S.READY)},
}
# What each move needs from its caller (staff cancelling always give a reason).
NEEDS = {
    (S.SUBMITTED, S.QUOTED): "proforma",
    (S.QUOTED, S.DEPOSIT_REVIEW): "proof",
    (S.DEPOSIT_REVIEW, S.CONFIRMED): "proof",
    (S.DEPOSIT_REVIEW, S.QUOTED): "proof",
    (S.CONFIRMED, S.ARRIVED): "invoice",
    (S.PURCHASED, S.ARRIVED): "invoice",
    (S.IN_TRANSIT, S.ARRIVED): "invoice",
    (S.ARRIVED, S.BALANCE_REVIEW): "proof",
    (S.BALANCE_REVIEW, S.READY): "proof",
    (S.BALANCE_REVIEW, S.ARRIVED): "proof",
}
DETAILS = {"proforma": "PRO-2026-00001 v1", "proof": "preuve-virement.pdf",
           "invoice": "FAC-2026-00001", "reason": "out_of_stock"}


def needed(source, target, role) -> str | None:
    if target is S.CANCELLED and role in STAFF:
        return "reason"
    return NEEDS.get((source, target))


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Accounts are made by the hundred here: hash their passwords cheaply."""
    monkeypatch.setattr("portal.members.password_hashes.hash_password",
                        partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture
def people(app_ctx):
    """The order's owner, another member, a staff member and an admin."""
    return {"member": make_user("awa@example.com"),
            "other": make_user("binta@example.com", full_name="Binta Diallo"),
            "staff": make_user("staff@example.com", role="staff", full_name="Kofi Mensah"),
            "admin": make_user("admin@example.com", role="admin", full_name="Aïcha Traoré")}


def order_in(owner, status: Status) -> Order:
    """An order in `status`; a cart is made ready to send, as `submit_request` does before
    asking the workflow (reference taken, no longer the member's cart)."""
    order = make_order(owner, status=status.value)
    if status is S.QUOTED:
        make_proforma(order)  # the deposit is paid against a proforma in force
    if status is S.ARRIVED:
        make_invoice(order, total=0)  # an order arrives with its invoice (nothing due here)
    if status is S.DRAFT:
        order.reference = "DEM-2026-00777"
        order.cart_owner_id = None
        db.session.commit()
    return order


def trail(order) -> dict:
    """What a move leaves behind, read from the database."""
    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "status": db.session.scalar(select(Order.status).where(Order.id == order.id)),
        "history": count(StatusChange, StatusChange.order_id == order.id),
        "notifications": count(Notification, Notification.user_id == order.user_id),
        "emails": count(OutboxMessage, OutboxMessage.user_id == order.user_id),
    }


def other_session_moves(app, order_id: int, to: Status, actor_id: int, **details) -> None:
    """Another person (another app context, so another database session) moves the order."""
    with app.app_context():
        advance(db.session.get(Order, order_id), to, db.session.get(User, actor_id), **details)
        db.session.commit()


# --- Labels --------------------------------------------------------------------------------

def test_the_statuses_are_those_of_the_product():
    assert [status.value for status in Status] == list(FRENCH_LABELS)


@pytest.mark.parametrize("code, label", FRENCH_LABELS.items())
def test_every_status_shows_its_french_label(app_ctx, code, label):
    with force_locale("fr"):
        assert str(Status(code).label) == label


@pytest.mark.parametrize("code", FRENCH_LABELS)
def test_every_status_has_an_english_label(app_ctx, code):
    with force_locale("en"):
        english = str(Status(code).label)
    assert english.strip() and english != FRENCH_LABELS[code]


# --- The table of moves --------------------------------------------------------------------

def test_the_table_of_moves_is_the_one_of_the_product():
    assert {pair: set(move.roles) for pair, move in MOVES.items()} == ALLOWED


@pytest.mark.parametrize("source, target, role", itertools.product(Status, Status, ROLES),
                         ids=lambda value: str(value))
def test_a_move_is_made_only_when_the_table_allows_it_to_that_role(people, source, target,
                                                                   role):
    owner, actor = people["member"], people[role]
    order = order_in(owner, source)
    allowed = role in ALLOWED.get((source, target), ())
    assert can_move(order, target, actor) is allowed
    before = trail(order)

    if not allowed:
        with pytest.raises(WorkflowError) as refusal:
            advance(order, target, actor, note="Essai", **DETAILS)
        assert str(refusal.value.message)
        assert order.status == source.value
        db.session.commit()  # a refusal wrote nothing, even if the caller commits
        assert trail(order) == before
        return

    change = advance(order, target, actor, note="Essai", **DETAILS)
    db.session.commit()
    assert order.status == target.value
    assert (change.from_status, change.to_status, change.actor_id) == (
        source.value, target.value, actor.id)
    assert change.at is not None and change.note == "Essai"
    assert trail(order) == {"status": target.value, "history": before["history"] + 1,
                            "notifications": before["notifications"] + 1,
                            "emails": before["emails"] + 1}
    [told] = db.session.scalars(select(Notification).where(Notification.user_id == owner.id))
    assert FRENCH_LABELS[target.value] in told.text and order.reference in told.text
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == owner.id))
    assert mail.recipient == owner.email
    special = {S.SUBMITTED: "request_received", S.READY: "pickup_ready"}
    assert mail.kind == special.get(target, "status_changed")


@pytest.mark.parametrize("invoice", [None, {"total": 10000, "paid": 5000},
                                     {"total": 10000, "paid": 9999}], ids=str)
def test_staff_move_an_arrived_order_to_ready_only_when_nothing_is_left_to_pay(people,
                                                                               invoice):
    order = make_order(people["member"], status=S.ARRIVED.value)
    if invoice:
        make_invoice(order, **invoice)
    before = trail(order)
    with pytest.raises(WorkflowError) as refusal:
        advance(order, S.READY, people["staff"])
    assert str(refusal.value.message) == "Le solde de cette commande reste à payer."
    db.session.rollback()
    assert trail(order) == before


@pytest.mark.parametrize("source, target", [pair for pair, roles in ALLOWED.items()
                                            if "member" in roles], ids=str)
def test_a_member_may_not_move_another_members_order(people, source, target):
    order = order_in(people["member"], source)
    before = trail(order)
    assert not can_move(order, target, people["other"])
    with pytest.raises(WorkflowError):
        advance(order, target, people["other"], **DETAILS)
    db.session.rollback()
    assert trail(order) == before


@pytest.mark.parametrize("source, target, role", [
    (source, target, role) for (source, target), roles in ALLOWED.items()
    for role in sorted(roles) if needed(source, target, role)], ids=str)
def test_a_move_missing_what_it_needs_is_refused(people, source, target, role):
    order = order_in(people["member"], source)
    before = trail(order)
    missing = needed(source, target, role)
    details = {name: value for name, value in DETAILS.items() if name != missing}
    with pytest.raises(WorkflowError) as refusal:
        advance(order, target, people[role], **details)
    assert "Il manque des informations" in str(refusal.value.message)
    for nothing in (None, "", "   "):  # an empty form field is no answer either
        with pytest.raises(WorkflowError):
            advance(order, target, people[role], **details, **{missing: nothing})
    db.session.rollback()
    assert trail(order) == before


@pytest.mark.parametrize("change, message", [
    (lambda order: order.items.clear(), "Ajoutez au moins un article"),
    (lambda order: setattr(order, "terms_version_id", None), "accepter les conditions"),
    (lambda order: setattr(order, "delivery_address", None), "Choisissez une adresse"),
    (lambda order: setattr(order, "delivery_mode", None), "Choisissez un mode de livraison"),
    (lambda order: setattr(order, "pickup_point_id", None), "Choisissez un point de retrait"),
], ids=["no item", "terms not accepted", "no address", "no delivery mode", "no pickup point"])
def test_a_cart_is_sent_only_with_items_terms_and_delivery(people, change, message):
    order = order_in(people["member"], S.DRAFT)
    change(order)
    db.session.commit()
    with pytest.raises(WorkflowError) as refusal:
        advance(order, S.SUBMITTED, people["member"])
    assert message in str(refusal.value.message)
    db.session.rollback()
    assert trail(order)["status"] == "draft"


def test_a_cart_for_home_delivery_needs_no_pickup_point(people):
    order = order_in(people["member"], S.DRAFT)
    order.delivery_mode, order.pickup_point_id = "home", None
    db.session.commit()
    advance(order, S.SUBMITTED, people["member"])
    db.session.commit()
    assert trail(order)["status"] == "submitted"


# --- Cancelling ----------------------------------------------------------------------------

@pytest.mark.parametrize("source", [S.SUBMITTED, S.QUOTED])
def test_the_owner_cancels_a_submitted_or_quoted_order_without_a_reason(people, source):
    order = order_in(people["member"], source)
    ordering.cancel_order(order, people["member"])
    db.session.commit()
    assert trail(order)["status"] == "cancelled"
    assert order.cancel_reason == "customer_request"


@pytest.mark.parametrize("source", [s for s in Status if s not in (S.SUBMITTED, S.QUOTED)])
def test_the_owner_cancels_only_while_submitted_or_quoted(people, source):
    order = order_in(people["member"], source)
    with pytest.raises(WorkflowError):
        advance(order, S.CANCELLED, people["member"], reason="customer_request")


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize("source", [s for s in Status
                                    if s not in (S.DRAFT, S.COMPLETED, S.CANCELLED)])
def test_staff_cancel_any_unfinished_order_but_only_with_a_reason(people, role, source):
    order = order_in(people["member"], source)
    with pytest.raises(WorkflowError):
        ordering.cancel_order(order, people[role], note="Rupture")
    db.session.rollback()
    assert trail(order)["status"] == source.value
    ordering.cancel_order(order, people[role], reason="out_of_stock")
    db.session.commit()
    assert trail(order)["status"] == "cancelled" and order.cancel_reason == "out_of_stock"


@pytest.mark.parametrize("source", [S.COMPLETED, S.CANCELLED])
def test_nobody_cancels_a_finished_order(people, source):
    order = order_in(people["member"], source)
    for role in ROLES:
        with pytest.raises(WorkflowError):
            advance(order, S.CANCELLED, people[role], reason="other")


# --- Skipping steps ------------------------------------------------------------------------

def test_staff_may_skip_purchase_and_transit(people):
    order = order_in(people["member"], S.CONFIRMED)
    advance(order, S.ARRIVED, people["staff"], invoice="FAC-2026-00001")
    db.session.commit()
    assert [(c.from_status, c.to_status) for c in order.history] == [("confirmed", "arrived")]


@pytest.mark.parametrize("source, target", [
    (S.SUBMITTED, S.DEPOSIT_REVIEW), (S.QUOTED, S.CONFIRMED), (S.QUOTED, S.PURCHASED),
    (S.DEPOSIT_REVIEW, S.PURCHASED), (S.ARRIVED, S.COMPLETED),
    (S.BALANCE_REVIEW, S.COMPLETED), (S.IN_TRANSIT, S.READY), (S.CONFIRMED, S.READY),
], ids=str)
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_never_skip_a_payment_review(people, source, target, role):
    """(Arrived → ready skips no review: it is refused while anything is left to pay, above.)"""
    order = order_in(people["member"], source)
    with pytest.raises(WorkflowError) as refusal:
        advance(order, target, people[role], **DETAILS)
    assert "Impossible de passer une commande" in str(refusal.value.message)


# --- Only the workflow writes a status ------------------------------------------------------

STATUS_WRITE = re.compile(r"\.status\s*=(?!=)|setattr\([^)]*[\"']status[\"']"
                          r"|\.values\([^)]*\bstatus\s*=")


def status_writes() -> list[str]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STATUS_WRITE.search(line.split("#")[0]):
                found.append(f"{path.relative_to(PORTAL.parent)}:{number}: {line.strip()}")
    return found


def test_nothing_but_the_workflow_writes_an_order_status():
    writes = status_writes()
    assert any(w.startswith("portal/workflow.py:") and "order.status =" in w for w in writes)
    outbox_own = re.compile(r"row\.status\s*=|status=OutboxStatus\.")
    # Documents and proofs have statuses of their own, never the order's.
    own = re.compile(r"status\s*=\s*(ProformaStatus|InvoiceStatus|ProofStatus)\.")
    others = [w for w in writes if not w.startswith("portal/workflow.py:")
              and not (w.startswith("portal/messaging/outbox.py:") and outbox_own.search(w))
              and not (w.startswith(("portal/proforma/", "portal/payments/")) and own.search(w))]
    assert others == []


# --- Two people at once --------------------------------------------------------------------

def test_a_move_on_an_order_someone_has_just_moved_is_refused(app, people):
    """Both load the order; one moves it and commits; the other's move is refused."""
    order = order_in(people["member"], S.SUBMITTED)
    order = db.session.get(Order, order.id)  # loaded in this session, at version 1
    other_session_moves(app, order.id, S.QUOTED, people["admin"].id, proforma="PRO-1")
    with pytest.raises(WorkflowError):
        advance(order, S.QUOTED, people["staff"], proforma="PRO-2")
    db.session.rollback()
    assert trail(order) == {"status": "quoted", "history": 1, "notifications": 1, "emails": 1}


def test_a_change_written_over_a_stale_copy_is_refused_not_crashed(app, people):
    """The version counter: staff write the cancel reason on a copy another session has since
    moved on; the write is refused with a WorkflowError (which views turn into a message)."""
    order = order_in(people["member"], S.DEPOSIT_REVIEW)
    with Session(db.engine) as other:
        copy = other.get(Order, order.id)
        copy.address_changes += 1  # any committed change bumps the version
        other.commit()
    with pytest.raises(WorkflowError) as refusal:
        ordering.cancel_order(order, people["staff"], reason="price_error")
    assert "modifiée par quelqu'un d'autre" in str(refusal.value.message)
    db.session.rollback()
    assert trail(order) == {"status": "deposit_review", "history": 0, "notifications": 0,
                            "emails": 0}


@pytest.mark.skipif(ON_POSTGRES, reason="on PostgreSQL the row lock makes the other wait")
def test_the_version_counter_refuses_a_move_overtaken_after_the_check(app, people, monkeypatch):
    """Without row locks (SQLite), another session may move the order between the check and
    the write: the version counter refuses the second write."""
    order = order_in(people["member"], S.DEPOSIT_REVIEW)
    real_lock = workflow.lock

    def lock_then_overtaken(locked):
        real_lock(locked)
        if locked is order:  # not again when the other session's move locks its own copy
            other_session_moves(app, locked.id, S.QUOTED, people["admin"].id, proof="refusée")

    monkeypatch.setattr(workflow, "lock", lock_then_overtaken)
    with pytest.raises(WorkflowError):
        advance(order, S.CONFIRMED, people["staff"], proof="acceptée")
    db.session.rollback()
    assert trail(order)["status"] == "quoted" and trail(order)["history"] == 1


def in_threads(app, count: int, work) -> list:
    """Run `work(index)` in `count` threads, each with its own app context (its own database
    session), all released together; return what each returned or raised."""
    barrier = threading.Barrier(count, timeout=20)
    results = [None] * count

    def run(index):
        with app.app_context():
            try:
                results[index] = work(index, barrier)
            except Exception as error:  # the test looks at what each thread met
                db.session.rollback()
                results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@postgres_only
@pytest.mark.parametrize("first, second", [
    ((S.DEPOSIT_REVIEW, S.CONFIRMED), (S.DEPOSIT_REVIEW, S.CONFIRMED)),
    ((S.DEPOSIT_REVIEW, S.CONFIRMED), (S.DEPOSIT_REVIEW, S.QUOTED)),
    ((S.SUBMITTED, S.QUOTED), (S.SUBMITTED, S.QUOTED)),
    ((S.READY, S.COMPLETED), (S.READY, S.COMPLETED)),
], ids=["both approve", "one approves one rejects", "both quote", "both hand over"])
def test_two_staff_moving_the_same_order_at_once_only_one_succeeds(app, people, first, second):
    order = order_in(people["member"], first[0])
    order_id, staff_ids = order.id, [people["staff"].id, people["admin"].id]
    targets = [first[1], second[1]]

    def move(index, barrier):
        mine = db.session.get(Order, order_id)
        actor = db.session.get(User, staff_ids[index])
        assert mine.status == first[0].value
        barrier.wait()  # both have loaded the order before either moves
        advance(mine, targets[index], actor, **DETAILS)
        db.session.commit()
        return targets[index]

    results = in_threads(app, 2, move)
    won = [result for result in results if isinstance(result, Status)]
    refused = [result for result in results if isinstance(result, WorkflowError)]
    assert len(won) == 1 and len(refused) == 1, results
    # The loser waited on the row lock, then saw the status the winner had set.
    assert "Impossible de passer une commande" in str(refused[0].message)
    db.session.expire_all()
    assert trail(order) == {"status": won[0].value, "history": 1, "notifications": 1,
                            "emails": 1}


# --- Numbering -----------------------------------------------------------------------------

def test_request_numbers_follow_each_other_per_year(app_ctx):
    year = utcnow().year
    assert [numbering.next_reference("DEM") for _ in range(3)] == [
        f"DEM-{year}-00001", f"DEM-{year}-00002", f"DEM-{year}-00003"]
    assert numbering.next_reference("PRO") == f"PRO-{year}-00001"  # each series counts alone
    db.session.commit()
    assert numbering.current_value("DEM", year) == 3


def test_a_rolled_back_number_is_given_again(app_ctx):
    year = utcnow().year
    assert numbering.next_reference("DEM") == f"DEM-{year}-00001"
    db.session.rollback()  # the very first number, counter row included
    assert numbering.next_reference("DEM") == f"DEM-{year}-00001"
    db.session.commit()
    assert numbering.next_reference("DEM") == f"DEM-{year}-00002"
    db.session.rollback()
    assert numbering.next_reference("DEM") == f"DEM-{year}-00002"
    db.session.commit()
    assert numbering.current_value("DEM", year) == 2


@postgres_only
def test_twenty_requests_at_once_get_twenty_consecutive_numbers(app):
    def take(index, barrier):
        barrier.wait()
        reference = numbering.next_reference("DEM")
        db.session.commit()
        return reference

    results = in_threads(app, 20, take)
    year = utcnow().year
    assert sorted(results) == [f"DEM-{year}-{n:05d}" for n in range(1, 21)], results


@postgres_only
def test_numbers_given_back_by_rollbacks_leave_no_gap_under_load(app):
    def take(index, barrier):
        barrier.wait()
        reference = numbering.next_reference("DEM")
        if index % 3 == 0:
            db.session.rollback()
            return None
        db.session.commit()
        return reference

    results = [result for result in in_threads(app, 12, take) if result is not None]
    year = utcnow().year
    assert sorted(results) == [f"DEM-{year}-{n:05d}" for n in range(1, 9)], results
