"""`flask demo` (run by `make run`): the demo agency, its accounts, and orders in every status
walked through the portal's services, with their documents, proofs and messages.

The command takes a few seconds and every test starts from an empty database, so each test
runs it once and checks several things (one `check_…` helper per subject)."""
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal import clock, storage
from portal.demo import DEMO_ACCOUNTS, STORIES, Walker
from portal.extensions import db
from portal.members.models import User
from portal.members.passwords import password_problem
from portal.messaging.models import OrderMessage, OutboxMessage
from portal.payments.models import PaymentProof, Refund
from portal.proforma.models import Invoice, Proforma
from portal.requests.models import Order
from portal.staff.models import AgencySettings, active_payment_methods, active_pickup_points, agency_today
from portal.workflow import Status
from tests.factories import login

MEMBERS = [account for account in DEMO_ACCOUNTS if account[2] == "member"]
STAFF = next(account for account in DEMO_ACCOUNTS if account[2] == "staff")


@pytest.fixture
def demo(app, runner) -> str:
    """Run `flask demo` on the empty test database; return what it printed."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def logged_in(app, email: str, password: str):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def test_demo_data_is_refused_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_failed_demo_keeps_nothing_and_gives_the_clock_back(app, runner, monkeypatch):
    def out_of_order(*_args, **_options):
        raise RuntimeError("the merchant's site is down")

    monkeypatch.setattr(Walker, "purchase", out_of_order)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert abs(clock.utcnow() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_demo_is_created_once_and_every_account_can_log_in(app, runner, demo):
    assert abs(clock.utcnow() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "nothing added" in second.output
    for output in (demo, second.output):
        for email, _name, _role, password in DEMO_ACCOUNTS:
            assert email in output and password in output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == len(DEMO_ACCOUNTS)
        assert db.session.scalar(select(func.count(Order.id))) == len(STORIES)
        members = db.session.scalars(select(User).where(User.role == "member")).all()
        assert 3 <= len(members) <= 4
        assert all(m.phone.startswith("+") and m.phone[1:].isdigit() for m in members)
        assert len({member.phone for member in members}) == len(members)
        assert [member.preferred_channel for member in members].count("whatsapp") == 1
        assert all(member.default_address for member in members)
    for email, _name, role, password in DEMO_ACCOUNTS:
        assert password_problem(password, email) is None
        response = login(app.test_client(), email, password)
        assert response.status_code == 302
        expected = "/equipe/" if role != "member" else "/commandes"
        assert response.headers["Location"].endswith(expected)


def test_the_demo_has_every_status_with_its_documents_proofs_and_messages(app, demo):
    with app.app_context():
        check_agency_and_statuses(demo)
        check_documents_and_proofs()
        check_threads_and_mail(app)


def test_pages_and_documents_are_seen_by_their_member_and_staff_only(app, demo):
    check_order_pages(app)
    check_documents_open_for_their_member_only(app)
    check_screens(app)


# --- What the demo holds ---------------------------------------------------------------------

def check_agency_and_statuses(printed: str) -> None:
    settings = AgencySettings.get()
    assert (settings.currency, settings.timezone) == ("XOF", "Africa/Abidjan")
    assert len(active_payment_methods()) == 4 and len(active_pickup_points()) == 2
    orders = db.session.scalars(select(Order).order_by(Order.id)).all()
    by_status = {}
    for order in orders:
        by_status.setdefault(order.status, []).append(order)
    assert set(by_status) == {status.value for status in Status}
    for status in Status:
        assert f"{status.value} {len(by_status[status.value])}" in printed

    [cart] = by_status["draft"]
    assert cart.items and cart.reference is None
    [ready] = by_status["ready"]
    assert ready.pickup_code and len(ready.pickup_code) == 8
    [completed] = by_status["completed"]
    assert completed.handed_over_at and completed.handed_over_to
    for status in ("arrived", "balance_review", "ready", "completed"):
        assert all(order.current_invoice for order in by_status[status])
    assert all(order.tracking_number for order in by_status["in_transit"])
    for order in orders:  # every move is in the history, with who made it
        if order.status != "draft":
            assert order.history[-1].to_status == order.status
            assert all(change.actor_id for change in order.history)
    # quoted: one revised (v1 superseded by v2), one whose proforma has expired
    quoted = by_status["quoted"]
    assert any(len(order.proformas) == 2 and order.current_proforma.version == 2
               for order in quoted)
    assert any(order.current_proforma.is_expired(agency_today()) for order in quoted)
    # cancelled: one by the member before paying, one by staff after the deposit, refunded
    assert any(order.cancel_reason == "customer_request" and not order.proofs
               for order in by_status["cancelled"])
    [refund] = db.session.scalars(select(Refund)).all()
    assert (refund.order.status, refund.order.cancel_reason) == ("cancelled", "out_of_stock")
    assert refund.amount == sum(proof.received_amount or 0 for proof in refund.order.proofs)


def check_documents_and_proofs() -> None:
    proformas = db.session.scalars(select(Proforma)).all()
    invoices = db.session.scalars(select(Invoice)).all()
    proofs = db.session.scalars(select(PaymentProof)).all()
    assert proformas and invoices and proofs
    receipts = [proof.receipt_key for proof in proofs if proof.status == "accepted"]
    assert receipts and all(receipts)
    for key in [p.pdf_key for p in proformas] + [i.pdf_key for i in invoices] + receipts:
        assert storage.read(key).startswith(b"%PDF-")
    for proof in proofs:
        assert proof.content_type == "image/jpeg"
        with Image.open(io.BytesIO(storage.read(proof.file_key))) as image:
            assert image.format == "JPEG" and image.size[0] >= 500
    assert len({proof.sha256 for proof in proofs}) == len(proofs)  # none is flagged as reused
    assert {proof.status for proof in proofs} == {"accepted", "refused", "pending"}
    assert {proof.kind for proof in proofs if proof.status == "pending"} == {"deposit", "balance"}
    photos = [photo for order in db.session.scalars(select(Order))
              for photo in order.arrival_photos]
    assert photos and all(storage.read(photo.file_key) for photo in photos)


def check_threads_and_mail(app) -> None:
    messages = db.session.scalars(select(OrderMessage)).all()
    kinds = {(m.kind, m.from_member, m.channel) for m in messages}
    assert ("message", True, "portal") in kinds and ("message", False, "email") in kinds
    assert ("message", True, "whatsapp") in kinds and ("message", False, "whatsapp") in kinds
    assert {"note", "change_request"} <= {kind for kind, _, _ in kinds}
    inbound = [m for m in messages if m.provider_sid]
    assert {m.order_id is None for m in inbound} == {True, False}  # one filed, one unassigned
    assert all(m.provider_sid.startswith("SM") and len(m.provider_sid) == 34 for m in inbound)
    # the mail went out (as .eml files here) before the command ended
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert outbox and {row.status for row in outbox} == {"sent"}
    assert list(Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))


# --- Who sees what ---------------------------------------------------------------------------

def check_order_pages(app) -> None:
    with app.app_context():
        orders = [(order.id, order.user.email, order.status) for order in
                  db.session.scalars(select(Order).order_by(Order.id))]
    members = {email: logged_in(app, email, password) for email, _n, _r, password in MEMBERS}
    staff = logged_in(app, STAFF[0], STAFF[3])
    for order_id, owner, status in orders:
        other = members[next(email for email in members if email != owner)]
        if status == "draft":
            assert members[owner].get("/panier").status_code == 200
            assert members[owner].get(f"/commandes/{order_id}").status_code == 302
            assert staff.get(f"/equipe/commandes/{order_id}").status_code == 404  # a private cart
        else:
            assert members[owner].get(f"/commandes/{order_id}").status_code == 200, status
            assert staff.get(f"/commandes/{order_id}").status_code == 200, status
            assert staff.get(f"/equipe/commandes/{order_id}").status_code == 200, status
        assert other.get(f"/commandes/{order_id}").status_code == 404, status


def check_documents_open_for_their_member_only(app) -> None:
    urls = []
    with app.app_context():
        for order in db.session.scalars(select(Order).order_by(Order.id)):
            base, owner = f"/commandes/{order.id}", order.user.email
            urls += [(owner, f"{base}/proforma/v{p.version}/pdf") for p in order.proformas]
            urls += [(owner, f"{base}/factures/{i.id}/pdf") for i in order.invoices]
            urls += [(owner, f"{base}/preuves/{p.id}/fichier") for p in order.proofs]
            urls += [(owner, f"{base}/recus/{p.id}/pdf") for p in order.proofs if p.receipt_key]
            urls += [(owner, f"{base}/photos/{p.id}") for p in order.arrival_photos]
    members = {email: logged_in(app, email, password) for email, _n, _r, password in MEMBERS}
    for owner, url in urls:
        other = members[next(email for email in members if email != owner)]
        assert members[owner].get(url).status_code == 200, url
        assert other.get(url).status_code == 404, url


def check_screens(app) -> None:
    with app.app_context():
        code = db.session.scalar(select(Order.pickup_code).where(Order.status == "ready"))
        proof_id = db.session.scalar(select(PaymentProof.id)
                                     .where(PaymentProof.status == "pending"))
    staff = logged_in(app, STAFF[0], STAFF[3])
    for url in ["/equipe/", "/equipe/commandes", "/equipe/messages", "/equipe/envois",
                "/equipe/membres", "/equipe/preuves", f"/equipe/preuves/{proof_id}",
                f"/equipe/retrait?code={code}"]:
        assert staff.get(url).status_code == 200, url
    member = logged_in(app, MEMBERS[0][0], MEMBERS[0][3])
    for url in ["/commandes", "/commandes/historique", "/panier", "/notifications"]:
        assert member.get(url).status_code == 200, url


def test_the_readme_lists_every_demo_account():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for email, name, role, password in DEMO_ACCOUNTS:
        assert any(email in line and password in line and name in line and role in line
                   for line in readme.splitlines()), email
