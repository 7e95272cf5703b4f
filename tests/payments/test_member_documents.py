"""The member's order page shows payments (each proof and its review, what is still due, refunds),
the shipment and the photos on arrival; every document is downloadable by its owner and by
staff, never by another member."""
import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.payments.models import ArrivalPhoto, Refund
from portal.proforma.models import Invoice
from portal.requests.models import Order
from tests.payments import corpus
from tests.payments.conftest import DEPOSIT, SEND, add_proof
from tests.requests.helpers import words as page_text

SEND_BUTTON = "Envoyer une preuve de paiement"


def order_page(client, order_id: int) -> tuple[str, str]:
    """The member's order page: its HTML, and its text as a reader sees it."""
    response = client.get(f"/commandes/{order_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True), page_text(response)


def set_up(app, order_id: int, status: str | None = None, **proofs) -> dict:
    """Proofs set directly in the database ({name: add_proof arguments}); their ids."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        ids = {name: add_proof(order, **arguments).id for name, arguments in proofs.items()}
        if status:
            order.status = status
        db.session.commit()
        return ids


# ---- payments on the order page ---------------------------------------------------------------

def test_a_quoted_order_shows_the_deposit_due_and_the_button(app, member_client, quoted):
    html, page = order_page(member_client, quoted.id)
    assert "Acompte à verser : 92,75 €" in page and SEND_BUTTON in page
    assert SEND.format(quoted.id) in html


def test_a_pending_proof_is_listed_and_no_second_one_is_offered(app, member_client, quoted):
    set_up(app, quoted.id, "deposit_review", pending={"ref": "WAVE-1"})
    _, page = order_page(member_client, quoted.id)
    assert "Acompte — 92,75 €" in page and "En attente de vérification" in page
    assert "Wave, payé le" in page and "réf. WAVE-1" in page
    assert SEND_BUTTON not in page and "Acompte à verser" not in page


def test_a_refused_proof_shows_why_and_the_button_is_back(app, member_client, quoted):
    set_up(app, quoted.id, "quoted",
           refused={"status": "refused", "refusal_reason": "amount_mismatch",
                    "refusal_comment": "Nous avons reçu 50 € seulement."})
    html, page = order_page(member_client, quoted.id)
    assert "Refusée" in page
    assert "Le montant ne correspond pas — Nous avons reçu 50 € seulement." in page
    assert SEND_BUTTON in page and SEND.format(quoted.id) in html


def test_an_accepted_proof_shows_the_amount_received_and_its_receipt(app, member_client,
                                                                     quoted):
    ids = set_up(app, quoted.id, "confirmed",
                 accepted={"status": "accepted", "received_amount": DEPOSIT,
                           "receipt": "REC-2026-00007"})
    html, page = order_page(member_client, quoted.id)
    assert "Acceptée" in page and "Montant reçu : 92,75 €" in page
    assert "Reçu REC-2026-00007" in page
    assert f"/commandes/{quoted.id}/recus/{ids['accepted']}/pdf" in html
    assert SEND_BUTTON not in page


def test_a_partial_payment_leaves_the_rest_due(app, member_client, quoted):
    set_up(app, quoted.id, "quoted",
           part={"status": "accepted", "received_amount": 5000, "receipt": "REC-2026-00008"})
    _, page = order_page(member_client, quoted.id)
    assert "Acompte à verser : 42,75 €" in page and SEND_BUTTON in page


def test_refunds_tracking_and_photos_are_shown(app, member_client, quoted):
    with app.app_context():
        order = db.session.get(Order, quoted.id)
        order.carrier, order.tracking_number = "DHL Express", "JD0146000033"
        order.tracking_url = "https://www.dhl.com/suivi?id=JD0146000033"
        db.session.add(Refund(order=order, amount=9275, currency="EUR", method="Wave",
                              refunded_on=date(2026, 3, 2), reference="RB-77"))
        photo = ArrivalPhoto(order=order, content_type="image/jpeg",
                             file_key=storage.save(corpus.image_bytes(corpus.photo(), "JPEG"),
                                                   "arrivals", "jpg"))
        db.session.add(photo)
        db.session.commit()
        photo_id = photo.id
    html, page = order_page(member_client, quoted.id)
    assert "Transporteur DHL Express" in page and "Numéro de suivi JD0146000033" in page
    assert ('href="https://www.dhl.com/suivi?id=JD0146000033" target="_blank" '
            'rel="noopener noreferrer"') in html
    assert "Remboursement de 92,75 € le 2 mars 2026 par Wave, réf. RB-77" in page
    assert f'src="/commandes/{quoted.id}/photos/{photo_id}"' in html
    response = member_client.get(f"/commandes/{quoted.id}/photos/{photo_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_tracking_link_that_is_not_a_web_address_is_not_a_link(app, member_client, quoted):
    with app.app_context():
        order = db.session.get(Order, quoted.id)
        order.carrier, order.tracking_url = "Poste", "javascript:alert(document.cookie)"
        db.session.commit()
    html, _ = order_page(member_client, quoted.id)
    assert "Poste" in html and "javascript:" not in html


# ---- documents --------------------------------------------------------------------------------

def test_the_invoice_and_a_receipt_are_listed_and_downloaded(app, member_client, arrived):
    html, page = order_page(member_client, arrived.id)
    assert f"Facture {arrived.invoice_number}" in page
    assert "Reçu REC-2026-00001" in page and "Acompte — 92,75 € reçus le" in page
    url = f"/commandes/{arrived.id}/factures/{arrived.invoice_id}/pdf"
    assert url in html
    response = member_client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{arrived.invoice_number}.pdf"')
    assert response.headers["Cache-Control"] == "private, no-store"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert arrived.invoice_number in text and "DEM-2026-00042" in text


@pytest.fixture
def corrected(app, arrived):
    """The invoice corrected by staff: a credit note cancels it, a new invoice replaces it."""
    from portal.members.models import User
    from portal.proforma.invoicing import Arrival, correct_invoice
    from tests.payments.conftest import STAFF

    with app.app_context():
        order = db.session.get(Order, arrived.id)
        staff = db.session.scalar(select(User).where(User.email == STAFF))
        correct_invoice(order, staff, Arrival(weight_grams=2000, transport=1500))
        db.session.commit()
        return [(i.id, i.number) for i in order.invoices]


def test_a_corrected_invoice_and_its_credit_note_are_listed(app, member_client, arrived,
                                                            corrected):
    [(_, wrong), (_, credit), (fresh_id, fresh)] = corrected
    html, page = order_page(member_client, arrived.id)
    assert f"Facture {wrong}" in page and "corrigée" in page
    assert f"Avoir {credit}" in page and f"annule la facture {wrong}" in page
    assert f"Facture {fresh}" in page
    for invoice_id, _ in corrected:
        assert f"/commandes/{arrived.id}/factures/{invoice_id}/pdf" in html
    assert member_client.get(
        f"/commandes/{arrived.id}/factures/{fresh_id}/pdf").status_code == 200


def test_the_receipt_pdf_is_downloaded(app, member_client, quoted):
    ids = set_up(app, quoted.id, "confirmed",
                 accepted={"status": "accepted", "received_amount": DEPOSIT,
                           "receipt": "REC-2026-00009"})
    response = member_client.get(f"/commandes/{quoted.id}/recus/{ids['accepted']}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="REC-2026-00009.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_proof_without_a_receipt_has_no_receipt_pdf(app, member_client, quoted):
    ids = set_up(app, quoted.id, "deposit_review", pending={})
    assert member_client.get(f"/commandes/{quoted.id}/recus/{ids['pending']}/pdf").status_code \
        == 404


def test_an_image_proof_is_shown_inline_and_a_pdf_downloaded(app, member_client, quoted):
    ids = set_up(app, quoted.id, "deposit_review", photo={})
    response = member_client.get(f"/commandes/{quoted.id}/preuves/{ids['photo']}/fichier")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    policy = response.headers["Content-Security-Policy"]  # nothing in it may run or frame it
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy
    Image.open(io.BytesIO(response.data)).verify()
    with app.app_context():
        proof = db.session.get(Order, quoted.id).proofs[0]
        proof.content_type = "application/pdf"
        proof.file_key = storage.save(corpus.blank_pdf(), "proofs", "pdf")
        db.session.commit()
    response = member_client.get(f"/commandes/{quoted.id}/preuves/{ids['photo']}/fichier")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")


# ---- who may see what --------------------------------------------------------------------------

@pytest.fixture
def documents(app, arrived):
    """Every kind of private URL of Hélène's order."""
    with app.app_context():
        order = db.session.get(Order, arrived.id)
        proof_id = order.proofs[0].id
        photo = ArrivalPhoto(order=order, content_type="image/jpeg",
                             file_key=storage.save(corpus.image_bytes(corpus.photo(), "JPEG"),
                                                   "arrivals", "jpg"))
        db.session.add(photo)
        db.session.commit()
        return {
            "upload page": SEND.format(arrived.id),
            "proof file": f"/commandes/{arrived.id}/preuves/{proof_id}/fichier",
            "receipt": f"/commandes/{arrived.id}/recus/{proof_id}/pdf",
            "invoice": f"/commandes/{arrived.id}/factures/{arrived.invoice_id}/pdf",
            "photo": f"/commandes/{arrived.id}/photos/{photo.id}",
        }


KINDS = ["upload page", "proof file", "receipt", "invoice", "photo"]


@pytest.mark.parametrize("kind", KINDS)
def test_another_member_gets_not_found(app, stranger_client, documents, kind):
    assert stranger_client.get(documents[kind]).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_a_visitor_is_asked_to_log_in(app, client, documents, kind):
    response = client.get(documents[kind])
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("kind", KINDS[1:])
def test_staff_and_the_owner_see_the_files(app, staff_client, member_client, documents, kind):
    assert staff_client.get(documents[kind]).status_code == 200
    assert member_client.get(documents[kind]).status_code == 200


def test_staff_do_not_send_proofs_for_members(app, staff_client, documents):
    assert staff_client.get(documents["upload page"]).status_code == 404


def test_a_document_of_another_order_is_not_found_through_this_one(app, member_client,
                                                                   documents, arrived):
    """Ids are checked against the order in the URL: no reaching another order's files."""
    with app.app_context():
        invoice = db.session.get(Invoice, arrived.invoice_id)
        other = Invoice(**{column: getattr(invoice, column)
                           for column in ("kind", "status", "currency", "subtotal",
                                          "fees_total", "total", "paid_total", "balance_due",
                                          "content", "pdf_key")},
                        order_id=another_order().id, number="FAC-2026-99999")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert member_client.get(
        f"/commandes/{arrived.id}/factures/{other_id}/pdf").status_code == 404
    assert member_client.get(f"/commandes/{arrived.id}/recus/999999/pdf").status_code == 404
    assert member_client.get(f"/commandes/{arrived.id}/photos/999999").status_code == 404


def another_order():
    from tests.factories import make_order, make_user

    return make_order(make_user("autre@example.com"), "arrived")

