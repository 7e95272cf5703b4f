"""Staff move a paid order through purchase, transit and arrival from the order page: the
arrival issues the final invoice (gap-free FAC number, transport = weight × rate, adjustments,
the deposit received deducted), a correction issues a credit note and a new invoice, and a
cancellation after a payment records the refund. Each form refuses bad input in French."""
import io
import re

import pytest
from sqlalchemy import delete, select

from portal import storage
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification
from portal.payments.models import ArrivalPhoto, Refund
from portal.proforma.models import Invoice
from portal.requests.models import Order
from tests.factories import login
from tests.payments import builders, corpus
from tests.payments.builders import DEPOSIT, RATE_PER_KG, TOTAL
from tests.payments.people import MEMBER, STAFF, people, staff_client  # noqa: F401
from tests.requests.helpers import words

PAGE = "/equipe/commandes/{}"
YEAR = utcnow().year


def order_in(app, people, status: str) -> int:
    with app.app_context():
        return builders.order_in(status, db.session.get(User, people.member),
                                 db.session.get(User, people.staff)).id


def order_of(app, order_id) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


def invoices_of(app, order_id) -> list[Invoice]:
    with app.app_context():
        rows = db.session.scalars(select(Invoice).where(Invoice.order_id == order_id)
                                  .order_by(Invoice.id)).all()
        db.session.expunge_all()
        return rows


def arrival_fields(weight="4,2", transport="", adjustments=(), **extra) -> dict:
    fields = {"weight": weight, "transport": transport}
    for index in range(3):
        label, amount = adjustments[index] if index < len(adjustments) else ("", "")
        fields[f"adjustments-{index}-label"] = label
        fields[f"adjustments-{index}-amount"] = amount
    return fields | extra


def post_arrival(client, order_id, correction=False, **fields):
    url = PAGE.format(order_id) + ("/facture/correction" if correction else "/arrivee")
    return client.post_form(url, arrival_fields(**fields), content_type="multipart/form-data")


# --- The path of an order --------------------------------------------------------------------

def test_purchase_shipment_and_arrival_issue_the_final_invoice(app, staff_client, people,
                                                               outbox, client):
    order_id = order_in(app, people, "confirmed")
    url = PAGE.format(order_id)
    assert staff_client.post_form(f"{url}/achat", {"merchant_order_number": "AMZ-402-77"}) \
        .status_code == 302
    assert order_of(app, order_id).status == "purchased"
    response = staff_client.post_form(f"{url}/expedition", {
        "carrier": "DHL Express", "tracking_number": "JD0146",
        "tracking_url": "https://www.dhl.com/suivi?id=JD0146"})
    assert response.status_code == 302
    order = order_of(app, order_id)
    assert (order.status, order.carrier, order.tracking_number, order.tracking_url) == (
        "in_transit", "DHL Express", "JD0146", "https://www.dhl.com/suivi?id=JD0146")

    response = post_arrival(staff_client, order_id, weight="4,2",
                            adjustments=[("Article manquant remboursé", "-10"),
                                         ("Emballage renforcé", "3,50")],
                            photos=[(io.BytesIO(corpus.jpeg_with_gps()),
                                     "colis.jpg"),
                                    (io.BytesIO(builders.png()), "ouvert.png")])
    assert response.status_code == 302, words(response)
    order = order_of(app, order_id)
    assert (order.status, order.weight_grams) == ("arrived", 4200)
    [invoice] = invoices_of(app, order_id)
    transport = (4200 * RATE_PER_KG + 500) // 1000  # 27,30 €
    assert invoice.number == f"FAC-{YEAR}-00001" and invoice.kind == "invoice"
    fees = {fee["label"]: fee["amount"] for fee in invoice.content["fees"]}
    assert fees == {"Frais de service": 1500, "Transport": transport,
                    "Article manquant remboursé": -1000, "Emballage renforcé": 350}
    assert invoice.total == TOTAL - builders.SHIPPING + transport - 1000 + 350
    assert invoice.paid_total == DEPOSIT
    assert invoice.balance_due == invoice.total - DEPOSIT
    with app.app_context():
        assert storage.read(invoice.pdf_key).startswith(b"%PDF-")
        photos = db.session.scalars(select(ArrivalPhoto)
                                    .where(ArrivalPhoto.order_id == order_id)).all()
        kept = [storage.read(photo.file_key) for photo in photos]
    assert [photo.content_type for photo in photos] == ["image/jpeg", "image/png"]
    assert b"PhoneModel" not in kept[0], "photos are cleaned like proofs"
    [mail] = outbox.to(MEMBER, "invoice_issued")
    assert mail.attachments[0]["filename"] == f"{invoice.number}.pdf"

    page = staff_client.get(PAGE.format(order_id))
    text = words(page)
    for shown in (f"Facture {invoice.number}", "AMZ-402-77", "DHL Express", "JD0146",
                  "4,2 kg", "Arrivée — solde à régler", "Corriger la facture"):
        assert shown in text, shown
    assert 'href="https://www.dhl.com/suivi?id=JD0146"' in page.get_data(as_text=True)
    assert len(re.findall(r'src="/commandes/\d+/photos/\d+"', page.get_data(as_text=True))) == 2
    login(client, MEMBER)
    timeline = words(client.get(f"/commandes/{order_id}"))
    assert "Commande passée chez le marchand." in timeline
    assert "Expédiée avec DHL Express, suivi n° JD0146." in timeline


def test_staff_may_record_the_arrival_of_a_confirmed_order_directly(app, staff_client, people):
    order_id = order_in(app, people, "confirmed")
    response = post_arrival(staff_client, order_id, weight="", transport="25")
    assert response.status_code == 302
    order = order_of(app, order_id)
    assert order.status == "arrived" and order.weight_grams is None
    [invoice] = invoices_of(app, order_id)
    transport = next(f for f in invoice.content["fees"] if f["kind"] == "transport")
    assert transport["amount"] == 2500
    assert [change.to_status for change in _history(app, order_id)][-1] == "arrived"


def _history(app, order_id):
    with app.app_context():
        rows = db.session.get(Order, order_id).history
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("weight, transport, expected", [
    ("4,2", "", (4200 * RATE_PER_KG + 500) // 1000),
    ("0.75", "", (750 * RATE_PER_KG + 500) // 1000),
    ("4,2", "12", 1200),  # a fee typed by staff wins
    ("4,2", "0", 0),      # offered
])
def test_the_transport_is_weight_times_rate_unless_typed(app, staff_client, people, weight,
                                                         transport, expected):
    order_id = order_in(app, people, "in_transit")
    assert post_arrival(staff_client, order_id, weight=weight, transport=transport) \
        .status_code == 302
    [invoice] = invoices_of(app, order_id)
    assert next(f["amount"] for f in invoice.content["fees"] if f["kind"] == "transport") \
        == expected


def test_invoice_numbers_follow_each_other(app, staff_client, people):
    first, second = order_in(app, people, "confirmed"), order_in(app, people, "confirmed")
    for order_id in (first, second):
        assert post_arrival(staff_client, order_id).status_code == 302
    assert [invoices_of(app, o)[0].number for o in (first, second)] == [
        f"FAC-{YEAR}-00001", f"FAC-{YEAR}-00002"]


@pytest.fixture
def credit_notes(app):
    """Delete credit notes before the shared clean-up: `invoices.corrects_id` is ON DELETE
    RESTRICT, so `DELETE FROM invoices` fails while a credit note points at its invoice."""
    yield
    with app.app_context():
        db.session.execute(delete(Invoice).where(Invoice.corrects_id.is_not(None)))
        db.session.commit()


def test_a_correction_issues_a_credit_note_then_a_new_invoice(app, staff_client, people,
                                                              outbox, credit_notes):
    order_id = order_in(app, people, "arrived")
    page = staff_client.get(PAGE.format(order_id)).get_data(as_text=True)
    assert 'value="4,2"' in page, "the correction starts from the invoice in force"
    response = post_arrival(staff_client, order_id, correction=True, weight="5",
                            adjustments=[("Geste commercial", "-5")])
    assert response.status_code == 302
    wrong, credit, new = invoices_of(app, order_id)
    assert (wrong.number, wrong.status) == (f"FAC-{YEAR}-00001", "corrected")
    assert (credit.kind, credit.number, credit.corrects_id, credit.total) == (
        "credit_note", f"AV-{YEAR}-00001", wrong.id, wrong.total)
    assert (new.kind, new.number, new.status) == ("invoice", f"FAC-{YEAR}-00002", "issued")
    fees = {fee["label"]: fee["amount"] for fee in new.content["fees"]}
    assert fees["Transport"] == (5000 * RATE_PER_KG + 500) // 1000
    assert fees["Geste commercial"] == -500
    assert new.balance_due == new.total - DEPOSIT
    assert order_of(app, order_id).status == "arrived"
    assert len(outbox.to(MEMBER, "invoice_issued")) == 2
    text = words(staff_client.get(PAGE.format(order_id)))
    assert f"Avoir AV-{YEAR}-00001" in text and f"Facture FAC-{YEAR}-00002" in text
    assert "corrigée" in text


# --- Nothing left to pay on arrival ------------------------------------------------------------

NOTHING_DUE_NOTE = "Rien à payer à l'arrivée : les paiements reçus couvrent la facture."


def notices(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.text)
                                       .where(Notification.user_id == user_id)))


def assert_ready_without_balance(app, people, outbox, order_id: int) -> None:
    """Nothing is left to pay: the order went from arrived to ready at once, with its pickup
    code, and the member got the invoice, then the arrangement."""
    order = order_of(app, order_id)
    assert order.status == "ready" and order.pickup_code
    history = _history(app, order_id)
    assert [change.to_status for change in history][-2:] == ["arrived", "ready"]
    assert history[-1].note == NOTHING_DUE_NOTE
    assert [mail.kind for mail in outbox.to(MEMBER)][-2:] == ["invoice_issued", "pickup_ready"]
    assert any("rien à payer de plus" in text for text in notices(app, people.member))


# The deposit received is 95,00 €; without shipping the invoice is 169,99 € before transport.
@pytest.mark.parametrize("credit, balance", [("-74,99", 0), ("-80", -501)],
                         ids=["paid exactly", "paid too much"])
def test_an_invoice_the_payments_already_cover_makes_the_order_ready(
        app, staff_client, people, outbox, client, credit, balance):
    order_id = order_in(app, people, "confirmed")
    response = post_arrival(staff_client, order_id, weight="", transport="0",
                            adjustments=[("Remise fidélité", credit)])
    assert response.status_code == 302, words(response)
    [invoice] = invoices_of(app, order_id)
    assert invoice.balance_due == balance
    assert_ready_without_balance(app, people, outbox, order_id)
    login(client, MEMBER)
    page = words(client.get(f"/commandes/{order_id}"))
    assert "Prête — retrait ou livraison à organiser" in page
    assert "Solde à payer" not in page and "solde -" not in page
    if balance < 0:
        assert "trop-perçu de 5,01 € à rembourser" in page


def test_a_correction_that_leaves_nothing_to_pay_makes_the_order_ready(
        app, staff_client, people, outbox, credit_notes):
    order_id = order_in(app, people, "arrived")
    assert order_of(app, order_id).status == "arrived"
    response = post_arrival(staff_client, order_id, correction=True, weight="",
                            transport="0", adjustments=[("Geste commercial", "-74,99")])
    assert response.status_code == 302, words(response)
    assert invoices_of(app, order_id)[-1].balance_due == 0
    assert_ready_without_balance(app, people, outbox, order_id)


# --- What the page offers, status by status --------------------------------------------------

ACTIONS = {"Commande passée chez le marchand": {"confirmed"}, "Expédition": {"purchased"},
           "Arrivée": {"confirmed", "purchased", "in_transit"}, "Corriger la facture": {"arrived"}}


@pytest.mark.parametrize("status", builders.PATH)
def test_the_page_offers_the_actions_of_the_status_only(app, staff_client, people, status):
    order_id = order_in(app, people, status)
    html = staff_client.get(PAGE.format(order_id)).get_data(as_text=True)
    buttons = re.findall(r'data-bs-toggle="collapse"[^>]*>([^<]+)</button>', html)
    offered = {name for name in ACTIONS if name in buttons}
    assert offered == {name for name, statuses in ACTIONS.items() if status in statuses}


@pytest.mark.parametrize("status, path, fields", [
    ("quoted", "/achat", {}),
    ("purchased", "/achat", {}),
    ("confirmed", "/expedition", {"carrier": "DHL"}),
    ("arrived", "/arrivee", arrival_fields()),
    ("confirmed", "/facture/correction", arrival_fields()),
])
def test_an_action_out_of_its_status_is_refused_with_a_message(app, staff_client, people,
                                                               status, path, fields):
    order_id = order_in(app, people, status)
    response = staff_client.post_form(PAGE.format(order_id) + path, fields,
                                      follow_redirects=True)
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    assert order_of(app, order_id).status == status
    assert len(invoices_of(app, order_id)) == (1 if status == "arrived" else 0)


# --- Bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"weight": "abc"}, "Poids invalide : en kilogrammes, par exemple 4,2."),
    ({"weight": "-1"}, "Poids invalide"),
    ({"weight": "0"}, "Le poids doit être supérieur à zéro."),
    ({"weight": "4,2567"}, "Poids invalide"),
    ({"weight": "", "transport": ""}, "Indiquez le poids ou le montant du transport."),
    ({"transport": "douze"}, "Montant invalide"),
    ({"transport": "-5"}, "Montant invalide"),
    ({"adjustments": [("", "-10")]}, "Indiquez le libellé de l'ajustement."),
    ({"adjustments": [("Remise", "")]}, "Indiquez le montant de l'ajustement."),
    ({"adjustments": [("Remise", "0")]}, "Le montant ne peut pas être nul."),
    ({"adjustments": [("Remise", "--5")]}, "Montant invalide : par exemple 25 ou -25"),
    ({"adjustments": [("Remise", "1,005")]}, "Montant invalide"),
    ({"adjustments": [("Re\x00mise", "5")]}, "Ce texte contient des caractères non autorisés."),
])
def test_a_bad_arrival_is_refused_and_nothing_is_issued(app, staff_client, people, fields,
                                                        message):
    order_id = order_in(app, people, "confirmed")
    response = post_arrival(staff_client, order_id, **fields)
    assert response.status_code == 422
    assert message in words(response)
    assert order_of(app, order_id).status == "confirmed" and invoices_of(app, order_id) == []


@pytest.mark.parametrize("upload, message", [
    (lambda: corpus.blank_pdf(), "seules les photos sont acceptées ici"),
    (lambda: corpus.text(), "Ce type de fichier n'est pas accepté"),
])
def test_only_images_are_kept_as_arrival_photos(app, staff_client, people, upload, message):
    order_id = order_in(app, people, "confirmed")
    response = post_arrival(staff_client, order_id, photos=[(io.BytesIO(upload()), "x.pdf")])
    assert response.status_code == 422 and message in words(response)
    assert invoices_of(app, order_id) == []
    with app.app_context():
        assert db.session.scalars(select(ArrivalPhoto)).all() == []


@pytest.mark.parametrize("fields, message", [
    ({"carrier": ""}, "Ce champ est obligatoire."),
    ({"carrier": "DHL", "tracking_url": "javascript:alert(1)"},
     "Indiquez un lien qui commence par http:// ou https://."),
    ({"carrier": "DHL", "tracking_url": "ftp://dhl.com/x"}, "http://"),
    ({"carrier": "x" * 101}, "100 caractères au maximum."),
])
def test_a_bad_shipment_is_refused(app, staff_client, people, fields, message):
    order_id = order_in(app, people, "purchased")
    response = staff_client.post_form(PAGE.format(order_id) + "/expedition", fields)
    assert response.status_code == 422 and message in words(response)
    assert order_of(app, order_id).status == "purchased"


def test_a_purchase_needs_no_merchant_number_but_refuses_a_long_one(app, staff_client, people):
    order_id = order_in(app, people, "confirmed")
    url = PAGE.format(order_id) + "/achat"
    assert staff_client.post_form(url, {"merchant_order_number": "x" * 101}).status_code == 422
    assert staff_client.post_form(url, {"merchant_order_number": ""}).status_code == 302
    order = order_of(app, order_id)
    assert (order.status, order.merchant_order_number) == ("purchased", None)


# --- Cancellation after a payment: the refund ---------------------------------------------------

CANCEL = {"reason": "out_of_stock", "note": "Article plus disponible."}


def refund_fields(**overrides) -> dict:
    return CANCEL | {"refund": "95", "refund_method": "Wave",
                     "refund_on": utcnow().date().isoformat(),
                     "refund_reference": "WAVE-RB-1"} | overrides


def test_a_paid_order_is_cancelled_only_with_its_refund(app, staff_client, people, outbox,
                                                        client):
    order_id = order_in(app, people, "confirmed")
    page = words(staff_client.get(PAGE.format(order_id)))
    assert "L'agence détient 95,00 € pour cette commande" in page
    response = staff_client.post_form(PAGE.format(order_id) + "/annuler", CANCEL)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in words(response)
    assert order_of(app, order_id).status == "confirmed"

    response = staff_client.post_form(PAGE.format(order_id) + "/annuler", refund_fields())
    assert response.status_code == 302
    order = order_of(app, order_id)
    assert (order.status, order.cancel_reason) == ("cancelled", "out_of_stock")
    with app.app_context():
        [refund] = db.session.scalars(select(Refund)).all()
        assert (refund.order_id, refund.amount, refund.currency, refund.method,
                refund.reference) == (order_id, 9500, "EUR", "Wave", "WAVE-RB-1")
    text = words(staff_client.get(PAGE.format(order_id)))
    assert "Remboursements 95,00 € · Wave" in text and "réf. WAVE-RB-1" in text
    assert outbox.to(MEMBER, "status_changed")[-1].body_text.count("Article plus disponible")
    login(client, MEMBER)
    member_page = words(client.get(f"/commandes/{order_id}"))
    assert "Annulée" in member_page and "Remboursement de 95,00 €" in member_page


@pytest.mark.parametrize("overrides, message", [
    ({"refund": "96"}, "L'agence n'a reçu que 95,00 € pour cette commande."),
    ({"refund": "0"}, "Le montant doit être supérieur à zéro."),
    ({"refund": "abc"}, "Montant invalide"),
    ({"refund_method": ""}, "Ce champ est obligatoire."),
    ({"refund_on": ""}, "Ce champ est obligatoire."),
    ({"refund_on": "2999-01-01"}, "La date du remboursement ne peut pas être dans le futur."),
    ({"refund_on": "hier"}, "Date invalide"),
])
def test_a_bad_refund_is_refused_and_the_order_stays(app, staff_client, people, overrides,
                                                     message):
    order_id = order_in(app, people, "confirmed")
    response = staff_client.post_form(PAGE.format(order_id) + "/annuler",
                                      refund_fields(**overrides))
    assert response.status_code == 422 and message in words(response)
    assert order_of(app, order_id).status == "confirmed"
    with app.app_context():
        assert db.session.scalars(select(Refund)).all() == []


def test_an_unpaid_order_is_cancelled_without_refund_fields(app, staff_client, people):
    order_id = order_in(app, people, "deposit_review")
    assert "refund-fields" not in staff_client.get(PAGE.format(order_id)).get_data(as_text=True)
    response = staff_client.post_form(PAGE.format(order_id) + "/annuler",
                                      CANCEL | {"refund": "abc", "refund_on": "hier"})
    assert response.status_code == 302
    assert order_of(app, order_id).status == "cancelled"


# --- Access ------------------------------------------------------------------------------------

ACTION_PATHS = ["/achat", "/expedition", "/arrivee", "/facture/correction", "/annuler"]


@pytest.mark.parametrize("path", ACTION_PATHS)
def test_members_and_anonymous_never_move_an_order(app, client, people, path):
    order_id = order_in(app, people, "confirmed")
    url = PAGE.format(order_id) + path
    fields = arrival_fields(carrier="DHL", **refund_fields())
    anonymous = client.post_form(url, fields)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location
    login(client, MEMBER)
    assert client.post_form(url, fields).status_code == 403
    assert order_of(app, order_id).status == "confirmed"


@pytest.mark.parametrize("path", ACTION_PATHS)
def test_an_action_without_the_csrf_token_is_refused(app, staff_client, people, path):
    order_id = order_in(app, people, "confirmed")
    response = staff_client.post(PAGE.format(order_id) + path,
                                 data=arrival_fields(carrier="DHL", **refund_fields()))
    assert response.status_code == 400
    assert order_of(app, order_id).status == "confirmed" and invoices_of(app, order_id) == []
