"""Fixtures of the payment tests: the quoting fixtures (agency, Hélène's request, staff, member
and stranger clients), an order quoted by staff, an order arrived with its final invoice, and
helpers to fill the proof form and to set proofs directly in the database."""
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal import storage
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.payments.models import PaymentProof
from portal.requests.models import Order
from tests.payments import corpus
from tests.proforma import conftest as quoting
from tests.proforma.conftest import MEMBER, STAFF, STRANGER, quote_fields  # noqa: F401

# The quoting fixtures, shared here: an agency with its payment methods (bank, wave, hidden),
# Hélène's submitted request, and logged-in clients for staff, Hélène and a stranger.
agency = quoting.agency
request_order = quoting.request_order
staff_client = quoting.staff_client
member_client = quoting.member_client
stranger_client = quoting.stranger_client
quoted = quoting.quoted

def today():
    """The agency's today (its time zone is Abidjan, UTC)."""
    return utcnow().date()


EDITOR = "/equipe/commandes/{}/proforma"
DEPOSIT = 9275  # 50 % of 185,49 €, rounded half up
SEND = "/commandes/{}/paiement"


@pytest.fixture
def arrived(app, quoted, agency):
    """The deposit accepted (set directly), then the goods recorded as arrived by staff: the
    order is `arrived` with its final invoice (FAC-…)."""
    from portal.proforma.invoicing import Arrival, record_arrival

    with app.app_context():
        order = db.session.get(Order, quoted.id)
        staff = db.session.scalar(select(User).where(User.email == STAFF))
        add_proof(order, "accepted", received_amount=DEPOSIT, receipt="REC-2026-00001")
        order.status = "confirmed"
        db.session.commit()
        invoice = record_arrival(order, staff, Arrival(weight_grams=2500, transport=2000))
        db.session.commit()
        return SimpleNamespace(id=order.id, invoice_id=invoice.id, balance=invoice.balance_due,
                               invoice_number=invoice.number)


def proof_fields(agency, data: bytes | None = None, filename: str = "recu.jpg", **overrides):
    """The proof form filled like a member would, with a phone photo unless `data` is given."""
    fields = {"file": (io.BytesIO(corpus.jpeg_with_gps() if data is None else data), filename),
              "amount_paid": "92,75", "method_id": str(agency.wave),
              "paid_on": today().isoformat(), "transaction_ref": "WAVE-8841-XK",
              "comment": "Payé depuis le compte de mon mari."}
    return fields | overrides


def send_proof(client, order_id: int, agency, follow_redirects: bool = False, **fields):
    return client.post_form(SEND.format(order_id), proof_fields(agency, **fields),
                            content_type="multipart/form-data", follow_redirects=follow_redirects)


def add_proof(order, status: str = "pending", kind: str = "deposit", amount: int = DEPOSIT,
              received_amount: int | None = None, receipt: str | None = None,
              **fields) -> PaymentProof:
    """A proof set directly in the database (with a stored photo, and a receipt PDF when
    `receipt` is given); the caller commits."""
    proof = PaymentProof(
        order=order, kind=kind, status=status,
        file_key=storage.save(corpus.image_bytes(corpus.photo((40, 30)), "JPEG"), "proofs", "jpg"),
        content_type="image/jpeg", sha256="0" * 64, currency="EUR", declared_amount=amount,
        method_name="Wave", paid_on=today(), transaction_ref=fields.pop("ref", None),
        submitted_by_id=order.user_id, submitted_at=utcnow(), received_amount=received_amount,
        **fields)
    if status != "pending":
        proof.decided_at = utcnow()
    if receipt:
        proof.receipt_number = receipt
        proof.receipt_key = storage.save(corpus.blank_pdf(), "receipts", "pdf")
    db.session.add(proof)
    db.session.flush()
    return proof


def proofs_of(app, order_id: int) -> list[PaymentProof]:
    with app.app_context():
        rows = db.session.scalars(select(PaymentProof).where(PaymentProof.order_id == order_id)
                                  .order_by(PaymentProof.id)).all()
        db.session.expunge_all()
        return rows


def status_of(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def stored_files(app, folder: str = "proofs") -> set[str]:
    """Every file under UPLOAD_ROOT/<folder>, as storage keys."""
    root = Path(app.config["UPLOAD_ROOT"])
    return {path.relative_to(root).as_posix() for path in (root / folder).rglob("*")
            if path.is_file()} if (root / folder).exists() else set()
