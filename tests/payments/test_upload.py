"""The member sends the proof of a payment: a photo or a PDF with the amount, method, date and
reference. Only a clean copy is kept, under a random name; anything refused leaves no trace."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import storage
from portal.extensions import db
from portal.messaging.models import Notification
from portal.requests.models import Order
from tests.members.helpers import move_clock
from tests.payments import corpus
from tests.payments.conftest import (
    SEND,
    STAFF,
    add_proof,
    proof_fields,
    proofs_of,
    send_proof,
    status_of,
    stored_files,
    today,
)
from tests.requests.helpers import notifications_of
from tests.requests.helpers import words as page_text

SENT = "Votre preuve de paiement est envoyée : nous la vérifions."


def test_the_page_shows_what_is_due_and_how_to_pay(app, member_client, quoted):
    response = member_client.get(SEND.format(quoted.id))
    assert response.status_code == 200
    page = page_text(response)
    for text in ("Acompte à verser : 92,75 €", "Virement bancaire", "IBAN CI93",
                 "Wave : +225 07 00 00 00 01", "Indiquez la référence DEM-2026-00042"):
        assert text in page, text
    html = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/*,application/pdf"' in html and "capture=" not in html
    assert "js/upload.js" in html and "<script>" not in html
    assert "Ancien compte" not in html  # an inactive method is not offered


def test_a_member_sends_a_phone_photo_and_its_position_is_not_kept(app, member_client, quoted,
                                                                   agency):
    response = send_proof(member_client, quoted.id, agency)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/commandes/{quoted.id}")
    assert SENT in page_text(member_client.get(response.headers["Location"]))
    [proof] = proofs_of(app, quoted.id)
    assert (proof.kind, proof.status, proof.declared_amount, proof.currency) == (
        "deposit", "pending", 9275, "EUR")
    assert (proof.method_id, proof.method_name, proof.paid_on) == (agency.wave, "Wave", today())
    assert proof.transaction_ref == "WAVE-8841-XK"
    assert proof.comment == "Payé depuis le compte de mon mari."
    assert proof.content_type == "image/jpeg"
    assert status_of(app, quoted.id) == "deposit_review"
    assert any("Preuve de paiement (Acompte) reçue pour DEM-2026-00042" in text
               for text in notifications_of(app, STAFF))
    with app.app_context():
        data = storage.read(proof.file_key)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and not image.getexif()
    assert not set(image.info) & {"exif", "xmp", "comment", "icc_profile"}
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"xmpmeta", b"<?php"):
        assert marker not in data


def test_a_pdf_from_the_bank_is_kept_as_sent(app, member_client, quoted, agency):
    data = corpus.reportlab_pdf()
    assert send_proof(member_client, quoted.id, agency, data=data,
                      filename="releve.pdf").status_code == 302
    [proof] = proofs_of(app, quoted.id)
    assert proof.content_type == "application/pdf" and proof.file_key.endswith(".pdf")
    with app.app_context():
        assert storage.read(proof.file_key) == data


# ---- refused files ----------------------------------------------------------------------------

def assert_nothing_stored(app, order_id: int, files_before: set[str]) -> None:
    assert proofs_of(app, order_id) == []
    assert stored_files(app) == files_before
    assert status_of(app, order_id) == "quoted"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", corpus.HOSTILE, ids=lambda case: case.name)
def test_a_hostile_file_is_refused_with_its_message_and_nothing_is_stored(
        app, member_client, quoted, agency, case):
    before = stored_files(app)
    response = send_proof(member_client, quoted.id, agency, data=case.build(),
                          filename="recu.png")
    assert response.status_code == 422
    page = page_text(response)
    assert case.message in page and "Le formulaire contient des erreurs" in page
    assert_nothing_stored(app, quoted.id, before)


@pytest.mark.parametrize("filename", [
    "../../../../etc/passwd.jpg",
    "..\\..\\windows\\system32\\recu.jpg",
    "recu\x00.php.jpg",
    "é" * 300 + ".jpg",
    "<script>alert(1)</script>.jpg",
    "",
], ids=["dot-dot-slash", "backslashes", "nul-byte", "300-unicode", "markup", "no-name"])
def test_the_file_name_does_not_matter(app, member_client, quoted, agency, filename):
    """Stored under a random key; the name the phone sent appears nowhere."""
    before = stored_files(app)
    response = send_proof(member_client, quoted.id, agency, filename=filename or "x")
    assert response.status_code == 302
    [proof] = proofs_of(app, quoted.id)
    assert proof.file_key.startswith("proofs/") and len(proof.file_key) == len("proofs/") + 36
    new = stored_files(app) - before
    assert new == {proof.file_key}
    for part in ("passwd", "etc", "windows", "php", "é", "script", "recu"):
        assert part not in proof.file_key


def test_a_form_without_a_file_asks_for_one(app, member_client, quoted, agency):
    before = stored_files(app)
    fields = proof_fields(agency)
    del fields["file"]
    response = member_client.post_form(SEND.format(quoted.id), fields,
                                       content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choisissez le fichier de votre preuve de paiement." in page_text(response)
    assert_nothing_stored(app, quoted.id, before)


def multipart(fields: dict, csrf: str, file_size: int) -> tuple[str, bytes]:
    """The form encoded with a fixed boundary, a valid PDF of `file_size` bytes as the file."""
    values = fields | {"csrf_token": csrf,
                       "file": FileStorage(io.BytesIO(corpus.padded_pdf(file_size)),
                                           "releve.pdf", content_type="application/pdf")}
    return encode_multipart(values, boundary="proof-boundary")


@pytest.mark.parametrize("extra, status", [(0, 302), (1, 413)], ids=["at-the-limit", "one-over"])
def test_one_byte_over_the_request_limit_gets_the_french_page(app, member_client, quoted,
                                                              agency, monkeypatch, extra, status):
    limit = 20_000
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", limit)
    csrf = member_client.csrf_token()
    fields = proof_fields(agency)
    del fields["file"]
    overhead = len(multipart(fields, csrf, 1000)[1]) - 1000
    boundary, body = multipart(fields, csrf, limit - overhead + extra)
    assert len(body) == limit + extra
    before = stored_files(app)
    response = member_client.post(SEND.format(quoted.id), data=body,
                                  content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == status
    if status == 413:
        page = page_text(response)
        assert "Fichier trop volumineux" in page and "dépasse la taille autorisée" in page
        assert_nothing_stored(app, quoted.id, before)


# ---- bad fields -------------------------------------------------------------------------------

AMOUNT_ERROR = "Indiquez un montant valide, par exemple 92,75 €."


@pytest.mark.parametrize("field, value, message", [
    ("amount_paid", "", "Ce champ est obligatoire."),
    ("amount_paid", "-92,75", AMOUNT_ERROR),
    ("amount_paid", "abc", AMOUNT_ERROR),
    ("amount_paid", "92,755", AMOUNT_ERROR),
    ("amount_paid", "1e3", AMOUNT_ERROR),
    ("amount_paid", "0", "Le montant doit être supérieur à zéro."),
    ("amount_paid", "927,51", "Ce montant est bien plus élevé que ce qui est dû (92,75 €)"),
    ("amount_paid", "99999999999999", AMOUNT_ERROR),
    ("method_id", "", "Choisissez un moyen de paiement dans la liste."),
    ("method_id", "999999", "Choisissez un moyen de paiement dans la liste."),
    ("method_id", "abc", "Choisissez un moyen de paiement dans la liste."),
    ("paid_on", "", "Ce champ est obligatoire."),
    ("paid_on", "31/12/2025", "Date invalide : utilisez le format AAAA-MM-JJ."),
    ("paid_on", (today() + timedelta(days=1)).isoformat(),
     "La date du paiement ne peut pas être dans le futur."),
    ("paid_on", (today() - timedelta(days=400)).isoformat(),
     "Cette date remonte à plus d'un an : vérifiez-la."),
    ("transaction_ref", "R" * 101, "100 caractères au maximum."),
    ("transaction_ref", "WAVE\nsuite", "Ce champ doit tenir sur une seule ligne."),
    ("transaction_ref", "WAVE\u202eexe", "Ce texte contient des caractères non autorisés."),
    ("comment", "x" * 1001, "1000 caractères au maximum."),
])
def test_a_bad_field_is_explained_and_nothing_is_stored(app, member_client, quoted, agency,
                                                        field, value, message):
    before = stored_files(app)
    response = send_proof(member_client, quoted.id, agency, **{field: value})
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert "Choisissez à nouveau votre fichier" in page  # a browser never keeps it
    assert_nothing_stored(app, quoted.id, before)


def test_an_inactive_payment_method_cannot_be_chosen(app, member_client, quoted, agency):
    before = stored_files(app)
    response = send_proof(member_client, quoted.id, agency, method_id=str(agency.hidden))
    assert response.status_code == 422
    assert "Choisissez un moyen de paiement dans la liste." in page_text(response)
    assert_nothing_stored(app, quoted.id, before)


def test_amounts_are_read_as_people_type_them(app, member_client, quoted, agency):
    assert send_proof(member_client, quoted.id, agency, amount_paid=" 50.5 ").status_code == 302
    assert proofs_of(app, quoted.id)[0].declared_amount == 5050


def test_hostile_text_is_shown_escaped(app, member_client, quoted, agency):
    script = "<script>alert('x')</script>"
    response = send_proof(member_client, quoted.id, agency, amount_paid="abc",
                          comment=script, transaction_ref=script)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert script not in html and "&lt;script&gt;" in html
    assert send_proof(member_client, quoted.id, agency, transaction_ref=script,
                      comment=script).status_code == 302
    order_page = member_client.get(f"/commandes/{quoted.id}").get_data(as_text=True)
    assert script not in order_page and "&lt;script&gt;" in order_page


# ---- when a proof cannot be sent ----------------------------------------------------------------

def test_an_expired_proforma_cannot_be_paid(app, member_client, quoted, agency, monkeypatch):
    move_clock(monkeypatch, days=8)
    response = member_client.get(SEND.format(quoted.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/commandes/{quoted.id}")
    assert "Votre proforma a expiré : demandez-nous une nouvelle version avant de payer." in \
        page_text(member_client.get(response.headers["Location"]))
    before = stored_files(app)
    response = send_proof(member_client, quoted.id, agency, follow_redirects=True)
    assert "Votre proforma a expiré" in page_text(response)
    assert_nothing_stored(app, quoted.id, before)


def test_a_second_proof_waits_for_the_first_to_be_checked(app, member_client, quoted, agency):
    assert send_proof(member_client, quoted.id, agency).status_code == 302
    response = send_proof(member_client, quoted.id, agency, follow_redirects=True)
    assert "Votre preuve de paiement est en cours de vérification" in page_text(response)
    assert len(proofs_of(app, quoted.id)) == 1


def test_a_submitted_request_awaits_no_payment(app, member_client, request_order, agency):
    response = member_client.get(SEND.format(request_order.id), follow_redirects=True)
    assert "Cette commande n'attend pas de paiement pour le moment." in page_text(response)


def test_the_balance_is_paid_against_the_final_invoice(app, member_client, arrived, agency):
    page = page_text(member_client.get(SEND.format(arrived.id)))
    balance = f"{arrived.balance // 100},{arrived.balance % 100:02d} €"
    assert f"Solde à payer : {balance}" in page
    assert f"Selon la facture {arrived.invoice_number}." in page
    response = send_proof(member_client, arrived.id, agency,
                          amount_paid=balance.removesuffix(" €"), method_id=str(agency.bank))
    assert response.status_code == 302
    proof = proofs_of(app, arrived.id)[-1]
    assert (proof.kind, proof.declared_amount, proof.method_name) == (
        "balance", arrived.balance, "Virement bancaire")
    assert status_of(app, arrived.id) == "balance_review"
    assert any("Preuve de paiement (Solde) reçue" in text
               for text in notifications_of(app, STAFF))


def test_after_a_refusal_the_member_sends_again(app, member_client, quoted, agency):
    with app.app_context():
        order = db.session.get(Order, quoted.id)
        add_proof(order, "refused", refusal_reason="unreadable")
        db.session.commit()
    assert send_proof(member_client, quoted.id, agency).status_code == 302
    assert [p.status for p in proofs_of(app, quoted.id)] == ["refused", "pending"]


def test_staff_are_told_by_mail_when_an_address_is_set(app, member_client, quoted, agency,
                                                       outbox, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_NOTIFICATION_EMAIL", "equipe@agence.example")
    assert send_proof(member_client, quoted.id, agency).status_code == 302
    [mail] = outbox.to("equipe@agence.example", "staff_new_proof")
    assert "DEM-2026-00042" in mail.body_text and "92,75" in mail.body_text


def test_a_post_without_the_csrf_token_is_refused(app, member_client, quoted, agency):
    before = stored_files(app)
    response = member_client.post(SEND.format(quoted.id), data=proof_fields(agency),
                                  content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Le formulaire a expiré ou n'est pas valide." in page_text(response)
    assert_nothing_stored(app, quoted.id, before)


def test_staff_are_notified_in_the_portal_only_once(app, member_client, quoted, agency):
    send_proof(member_client, quoted.id, agency)
    with app.app_context():
        count = db.session.query(Notification).filter(
            Notification.text.like("Preuve de paiement%")).count()
    assert count == 1


def test_a_cancelled_order_says_it_awaits_no_payment(app, member_client, quoted, agency):
    with app.app_context():
        db.session.get(Order, quoted.id).status = "cancelled"
        db.session.commit()
    response = member_client.get(SEND.format(quoted.id), follow_redirects=True)
    assert "Cette commande est annulée : aucun paiement n'est attendu." in page_text(response)
    assert proofs_of(app, quoted.id) == []
