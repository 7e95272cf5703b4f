"""Staff check the proofs members send: a queue (oldest first), the file shown inline beside
what is due, then accept with the amount received (a receipt is issued, the order moves on or
waits for the rest) or refuse with a reason (the member is told and may send another). A proof
whose file or transaction reference was already used is flagged. Bad input changes nothing."""
import io
import re
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import storage
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification
from portal.numbering import Counter
from portal.payments.models import PaymentProof
from portal.requests.models import Order
from tests.conftest import sql_statements
from tests.factories import login
from tests.payments import builders
from tests.payments.builders import DEPOSIT
from tests.payments.people import MEMBER, STAFF, people, staff_client  # noqa: F401
from tests.requests.helpers import words


def make(app, people, status="deposit_review", **proof_options):
    """An order of Awa's in `status` (proof ids and reference as plain values)."""
    with app.app_context():
        member, staff = (db.session.get(User, people.member),
                         db.session.get(User, people.staff))
        if status == "deposit_review" and proof_options:
            order = builders.quoted(member, staff)
            builders.deposit_sent(order, **proof_options)
        else:
            order = builders.order_in(status, member, staff)
        return SimpleNamespace(id=order.id, reference=order.reference,
                               proofs=[p.id for p in order.proofs])


def proof_of(app, proof_id) -> PaymentProof:
    with app.app_context():
        proof = db.session.get(PaymentProof, proof_id)
        db.session.expunge(proof)
        return proof


def status_of(app, order_id) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def review(proof_id) -> str:
    return f"/equipe/preuves/{proof_id}"


def accept(client, proof_id, amount, **options):
    return client.post_form(f"{review(proof_id)}/accepter", {"received_amount": amount},
                            **options)


def refuse(client, proof_id, reason, comment="", **options):
    return client.post_form(f"{review(proof_id)}/refuser",
                            {"reason": reason, "comment": comment}, **options)


# --- The queue ---------------------------------------------------------------------------------

def test_the_queue_lists_pending_proofs_oldest_first_with_what_is_due(app, staff_client,
                                                                      people):
    recent = make(app, people)
    older = make(app, people, amount=DEPOSIT - 1000)
    with app.app_context():
        builders.waited(db.session.get(PaymentProof, recent.proofs[0]), hours=2)
        builders.waited(db.session.get(PaymentProof, older.proofs[0]), hours=30)
    response = staff_client.get("/equipe/preuves")
    assert response.status_code == 200
    page = words(response)
    assert page.index(older.reference) < page.index(recent.reference)
    for text in ("Awa Koné", "Acompte", "dû 95,00 €", "déclaré 85,00 €", "≠ montant dû",
                 "Virement bancaire", "depuis 2 h", "depuis 1 j"):
        assert text in page, text
    html = response.get_data(as_text=True)
    assert f'href="/equipe/preuves/{older.proofs[0]}"' in html
    assert html.count('data-testid="mismatch"') == 1, "only the amount that differs is flagged"


def test_the_home_card_of_proofs_leads_to_the_queue(app, staff_client, people):
    make(app, people)
    home = staff_client.get("/equipe/").get_data(as_text=True)
    card = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="queue-preuves"', home)
    assert card and card.group(1) == "/equipe/preuves"


def test_an_empty_queue_says_so(app, staff_client):
    assert "Aucune preuve à vérifier" in words(staff_client.get("/equipe/preuves"))


# --- The review page ---------------------------------------------------------------------------

def test_the_review_page_shows_the_image_beside_the_order_and_what_is_due(
        app, staff_client, people):
    order = make(app, people, amount=9000, transaction_ref="OM-778899",
                 comment="Payé depuis le compte de mon frère")
    response = staff_client.get(review(order.proofs[0]))
    assert response.status_code == 200
    html, page = response.get_data(as_text=True), words(response)
    assert f'<img class="img-fluid border" src="/equipe/preuves/{order.proofs[0]}/fichier"' in html
    for text in ("Montant déclaré 90,00 €", "Différent du montant dû (95,00 €)",
                 "Virement bancaire", "OM-778899", "Payé depuis le compte de mon frère",
                 f"Commande {order.reference}", "Awa Koné", "189,99 €",
                 "Acompte demandé 95,00 €", "Reste dû 95,00 €", "Aucune autre preuve."):
        assert text in page, text
    assert 'value="90,00"' in html, "the amount received starts as the amount declared"
    for reason in ("Preuve illisible", "Le montant ne correspond pas",
                   "Paiement introuvable sur notre compte", "Autre raison"):
        assert reason in page


def test_the_review_page_reads_the_proof_its_order_and_member_together(
        app, staff_client, people):
    order = make(app, people, amount=9000)
    staff_client.get(review(order.proofs[0]))  # a first request, unmeasured
    with sql_statements(app) as sent:
        assert "Awa Koné" in words(staff_client.get(review(order.proofs[0])))
    [proof] = [statement for statement in sent if "FROM payment_proofs JOIN orders" in statement]
    assert "JOIN users" in proof
    # whether the proof has a twin comes with it: no second look at the proofs
    assert "EXISTS" in proof
    assert [statement for statement in sent if "payment_proofs" in statement] == [proof]
    assert not [statement for statement in sent
                if statement.lstrip().startswith("SELECT orders.id")]  # not loaded again


def test_a_pdf_proof_is_framed_and_its_file_may_be_framed_by_the_portal_only(
        app, staff_client, people):
    with app.app_context():
        staff = db.session.get(User, people.staff)
        order = builders.quoted(db.session.get(User, people.member), staff)
        proof_id = builders.pdf_proof(order).id
    html = staff_client.get(review(proof_id)).get_data(as_text=True)
    assert f'<iframe src="/equipe/preuves/{proof_id}/fichier"' in html
    response = staff_client.get(f"/equipe/preuves/{proof_id}/fichier")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    headers = response.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Content-Disposition"].startswith("inline;")
    page_headers = staff_client.get(review(proof_id)).headers
    assert page_headers["X-Frame-Options"] == "DENY", "only the file may be framed"
    assert "frame-ancestors 'none'" in page_headers["Content-Security-Policy"]


def test_an_image_proof_is_served_as_the_cleaned_image(app, staff_client, people):
    order = make(app, people)
    response = staff_client.get(f"/equipe/preuves/{order.proofs[0]}/fichier")
    assert response.headers["Content-Type"] == "image/png"
    assert response.data.startswith(b"\x89PNG")


@pytest.mark.parametrize("path", ["", "/fichier"])
def test_an_unknown_proof_is_not_found(app, staff_client, path):
    assert staff_client.get(f"/equipe/preuves/999{path}").status_code == 404


# --- Accepting -----------------------------------------------------------------------------------

def test_accepting_the_whole_deposit_confirms_the_order_and_sends_a_receipt(
        app, staff_client, people, outbox):
    order = make(app, people)
    response = accept(staff_client, order.proofs[0], "95,00")
    assert response.status_code == 302 and response.location.endswith("/equipe/preuves")
    assert status_of(app, order.id) == "confirmed"
    proof = proof_of(app, order.proofs[0])
    year = utcnow().year
    assert (proof.status, proof.received_amount) == ("accepted", DEPOSIT)
    assert proof.receipt_number == f"REC-{year}-00001"
    with app.app_context():
        receipt = "\n".join(page.extract_text() for page in
                            PdfReader(io.BytesIO(storage.read(proof.receipt_key))).pages)
    assert proof.receipt_number in receipt and order.reference in receipt
    [mail] = outbox.to(MEMBER, "payment_accepted")
    assert mail.attachments == [{"key": proof.receipt_key,
                                 "filename": f"{proof.receipt_number}.pdf",
                                 "content_type": "application/pdf"}]
    assert "95,00" in mail.body_text and proof.receipt_number in mail.body_text
    with app.app_context():
        notices = db.session.scalars(select(Notification.text).where(
            Notification.user_id == people.member)).all()
    assert any("95,00" in notice and order.reference in notice for notice in notices)
    assert "Aucune preuve à vérifier" in words(staff_client.get("/equipe/preuves"))
    page = words(staff_client.get(review(order.proofs[0])))
    assert "Acceptée" in page and "Montant reçu : 95,00 €" in page
    assert f"Reçu {proof.receipt_number}" in page
    assert "Accepter et envoyer le reçu" not in page and "Refuser la preuve" not in page


def test_a_partial_payment_sends_the_order_back_to_wait_for_the_rest(
        app, staff_client, people, client):
    order = make(app, people)
    assert accept(staff_client, order.proofs[0], "50").status_code == 302
    assert status_of(app, order.id) == "quoted"
    assert proof_of(app, order.proofs[0]).receipt_number
    login(client, MEMBER)
    page = words(client.get(f"/commandes/{order.id}"))
    assert "Paiement partiel : il reste 45,00 € à payer." in page


def test_refusing_sends_the_order_back_with_the_reason_and_tells_the_member(
        app, staff_client, people, outbox, client):
    order = make(app, people)
    response = refuse(staff_client, order.proofs[0], "unreadable", "La photo est floue.")
    assert response.status_code == 302
    assert status_of(app, order.id) == "quoted"
    proof = proof_of(app, order.proofs[0])
    assert (proof.status, proof.refusal_reason, proof.refusal_comment, proof.receipt_number) \
        == ("refused", "unreadable", "La photo est floue.", None)
    with app.app_context():
        note = db.session.get(Order, order.id).history[-1].note
    assert note == "Preuve refusée : Preuve illisible — La photo est floue."
    [mail] = outbox.to(MEMBER, "status_changed")[-1:]
    assert "Preuve refusée : Preuve illisible" in mail.body_text
    assert "La photo est floue." in mail.body_text
    page = words(staff_client.get(review(order.proofs[0])))
    assert "Refusée" in page and "Raison : Preuve illisible" in page
    login(client, MEMBER)
    assert "Preuve refusée : Preuve illisible" in words(client.get(f"/commandes/{order.id}"))


def test_accepting_the_balance_makes_the_order_ready(app, staff_client, people, outbox):
    order = make(app, people, "balance_review")
    balance_proof = order.proofs[-1]
    with app.app_context():
        invoice = db.session.get(Order, order.id).current_invoice
        due = invoice.balance_due
    amount = f"{due // 100},{due % 100:02d}"
    assert accept(staff_client, balance_proof, amount).status_code == 302
    assert status_of(app, order.id) == "ready"
    assert proof_of(app, balance_proof).receipt_number.endswith("-00002")
    assert len(outbox.to(MEMBER, "payment_accepted")) == 2


def test_a_balance_proof_shows_the_invoice_totals(app, staff_client, people):
    order = make(app, people, "balance_review")
    page = words(staff_client.get(review(order.proofs[-1])))
    with app.app_context():
        invoice = db.session.get(Order, order.id).current_invoice
        number = invoice.number
    assert f"Facture {number}" in page and "Déjà payé à la facture 95,00 €" in page
    assert "Solde" in page and "Acompte · 95,00 €" in page, "the deposit proof is listed"


# --- Duplicates --------------------------------------------------------------------------------

def test_the_same_file_sent_for_another_order_is_flagged(app, staff_client, people):
    same = builders.png(seed=7)
    first = make(app, people, data=same)
    second = make(app, people, data=same)
    response = staff_client.get(review(second.proofs[0]))
    page = words(response)
    assert "Attention : cette preuve a déjà été utilisée ailleurs." in page
    assert f"Même fichier : {first.reference}" in page
    assert f'href="/equipe/commandes/{first.id}"' in response.get_data(as_text=True)
    assert "déjà été utilisée" not in words(staff_client.get(review(make(app, people)
                                                                   .proofs[0])))


def test_the_same_transaction_reference_on_another_proof_is_flagged(app, staff_client, people):
    first = make(app, people, transaction_ref="WAVE-2026-0042")
    second = make(app, people, transaction_ref="WAVE-2026-0042")
    page = words(staff_client.get(review(second.proofs[0])))
    assert f"Même référence de transaction (WAVE-2026-0042) : {first.reference}" in page
    # the first one is flagged too, pointing at the second
    page = words(staff_client.get(review(first.proofs[0])))
    assert f"Même référence de transaction (WAVE-2026-0042) : {second.reference}" in page


def test_proofs_without_a_transaction_reference_are_not_twins(app, staff_client, people):
    make(app, people, transaction_ref=None, data=builders.png(seed=11))
    second = make(app, people, transaction_ref=None, data=builders.png(seed=12))
    with app.app_context():
        assert db.session.get(PaymentProof, second.proofs[0]).transaction_ref is None
    assert "déjà été utilisée" not in words(staff_client.get(review(second.proofs[0])))


def test_a_decision_refused_still_shows_the_twins(app, staff_client, people):
    """The page shown again after a refused form loads the proof without the flag: the twins
    are looked for then."""
    same = builders.png(seed=9)
    first = make(app, people, data=same)
    second = make(app, people, data=same)
    response = accept(staff_client, second.proofs[0], "abc")
    assert response.status_code == 422
    page = words(response)
    assert "Montant invalide" in page and f"Même fichier : {first.reference}" in page


# --- Bad input and decisions taken twice -----------------------------------------------------

def receipts_taken(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(Counter.value), 0))
                                 .where(Counter.series == "REC"))


@pytest.mark.parametrize("amount, message", [
    ("", "Ce champ est obligatoire."),
    ("0", "Le montant doit être supérieur à zéro."),
    ("-10", "Montant invalide"),
    ("2000000000", "Montant invalide"),
    ("950,01", "Ce montant est bien plus élevé que celui attendu (95,00 €) : vérifiez-le."),
    ("abc", "Montant invalide"),
    ("12,345", "Montant invalide"),
    ("1" * 40, "30 caractères au maximum."),
])
def test_a_bad_amount_received_is_refused_and_nothing_changes(app, staff_client, people,
                                                              outbox, amount, message):
    order = make(app, people)
    response = accept(staff_client, order.proofs[0], amount)
    assert response.status_code == 422
    assert message in words(response)
    assert status_of(app, order.id) == "deposit_review"
    assert proof_of(app, order.proofs[0]).status == "pending"
    assert receipts_taken(app) == 0 and outbox.to(MEMBER, "payment_accepted") == []


@pytest.mark.parametrize("reason, comment, message", [
    ("", "", "Ce champ est obligatoire."),
    ("because", "", "Choisissez une raison dans la liste."),
    ("other", "", "Expliquez au membre pourquoi la preuve est refusée."),
    ("unreadable", "x" * 1001, "1000 caractères au maximum."),
])
def test_a_bad_refusal_is_refused_and_nothing_changes(app, staff_client, people, reason,
                                                      comment, message):
    order = make(app, people)
    response = refuse(staff_client, order.proofs[0], reason, comment)
    assert response.status_code == 422
    assert message in words(response)
    assert proof_of(app, order.proofs[0]).status == "pending"
    assert status_of(app, order.id) == "deposit_review"


def test_other_reason_with_a_comment_is_accepted(app, staff_client, people):
    order = make(app, people)
    assert refuse(staff_client, order.proofs[0], "other", "Virement d'un tiers.").status_code \
        == 302
    assert proof_of(app, order.proofs[0]).refusal_reason == "other"


@pytest.mark.parametrize("second", ["accept", "refuse"])
def test_a_proof_already_decided_is_not_decided_again(app, staff_client, people, second):
    order = make(app, people)
    assert accept(staff_client, order.proofs[0], "95,00").status_code == 302
    again = (accept(staff_client, order.proofs[0], "95,00", follow_redirects=True)
             if second == "accept" else
             refuse(staff_client, order.proofs[0], "unreadable", follow_redirects=True))
    assert "Cette preuve a déjà été traitée par quelqu'un d'autre." in words(again)
    assert proof_of(app, order.proofs[0]).status == "accepted"
    assert receipts_taken(app) == 1 and status_of(app, order.id) == "confirmed"


# --- Access ------------------------------------------------------------------------------------

ROUTES = [("get", "/equipe/preuves"), ("get", "/equipe/preuves/{proof}"),
          ("get", "/equipe/preuves/{proof}/fichier"),
          ("post", "/equipe/preuves/{proof}/accepter"),
          ("post", "/equipe/preuves/{proof}/refuser")]
FORM = {"received_amount": "95,00", "reason": "unreadable", "comment": "x"}


def balance_case(app, people):
    order = make(app, people, "balance_review")
    return SimpleNamespace(proof=order.proofs[-1], order=order.id)


@pytest.mark.parametrize("method, path", ROUTES)
def test_members_get_403_and_anonymous_people_are_sent_to_login(app, client, people, method,
                                                                path):
    case = balance_case(app, people)
    url = path.format(proof=case.proof)
    anonymous = client.get(url) if method == "get" else client.post_form(url, FORM)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location
    login(client, MEMBER)  # the order's own member
    member = client.get(url) if method == "get" else client.post_form(url, FORM)
    assert member.status_code == 403
    assert proof_of(app, case.proof).status == "pending"
    assert status_of(app, case.order) == "balance_review"


@pytest.mark.parametrize("action", ["accepter", "refuser"])
def test_a_decision_without_the_csrf_token_is_refused(app, staff_client, people, action):
    order = make(app, people)
    response = staff_client.post(f"{review(order.proofs[0])}/{action}", data=FORM)
    assert response.status_code == 400
    assert proof_of(app, order.proofs[0]).status == "pending"
