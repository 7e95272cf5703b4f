"""The staff inbox of WhatsApp messages: what no order could be found for waits there until
staff file it by reference; the files members send are fetched from Twilio (a recording
Twilio on loopback), judged and cleaned like any proof, shown to staff, and may be attached to
the order as its payment proof.
"""
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.members.models import User
from portal.messaging import threads
from portal.messaging.models import Notification, OrderMessage
from portal.payments.models import PaymentProof
from portal.requests.models import Order
from portal.staff.models import agency_today
from tests.factories import login, make_order, make_user
from tests.messaging.fake_twilio import (  # noqa: F401 (fake_twilio_fixture: the fixture)
    ACCOUNT_SID,
    AUTH_TOKEN,
    fake_twilio_fixture,
)
from tests.messaging.rows import detached
from tests.messaging.test_threads import by_testid, text_of
from tests.messaging.whatsapp_setup import PHONE, inbound, twilio_posts
from tests.payments import builders
from tests.payments.corpus import gps_exif

STAFF = "moussa@agence.example"
UNKNOWN = "+2250799999999"
INBOX = "/equipe/messages"
FILE = "/equipe/messages/{}/classer"
MEDIA = "/equipe/messages/{}/media/{}"
PROOF = "/equipe/messages/{}/media/{}/preuve"


def receipt_jpeg() -> bytes:
    """A small phone photo of a receipt, with a GPS position in its EXIF."""
    image = Image.new("RGB", (320, 240), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 60), fill=(30, 90, 160))
    draw.text((30, 100), "Wave 95,00 EUR", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=gps_exif())
    return out.getvalue()


HOSTILE = (b"<!DOCTYPE html><html><body><script>fetch('/equipe/')</script>"
           b"<h1>Re\xc3\xa7u</h1></body></html>")


@pytest.fixture
def shop(app):
    """Awa (WhatsApp, +2250701020304) with an order quoted by Moussa (deposit 95,00 €), and
    Binta (another member) with her own submitted order."""
    with app.app_context():
        builders.agency()
        staff = builders.staff_member(STAFF)
        awa = builders.member("awa@example.com", full_name="Awa Koné", phone=PHONE)
        order = builders.quoted(awa, staff)
        binta = make_user("binta@example.com", full_name="Binta Diop", phone="+2250702020202")
        other = make_order(binta, "submitted", reference="DEM-2026-00077")
        return SimpleNamespace(staff=staff.id, awa=awa.id, order=order.id,
                               reference=order.reference, binta=binta.id, other=other.id)


@pytest.fixture
def staff(app, shop):
    client = app.test_client()
    assert login(client, STAFF).status_code == 302
    return client


def received(app, **form) -> int:
    """A WhatsApp message Twilio forwarded, recorded as the webhook does; its id."""
    with app.app_context():
        message = threads.record_inbound(inbound(**form))
        db.session.commit()
        return message.id


def message_of(app, message_id: int) -> OrderMessage:
    return detached(app, OrderMessage, message_id)


def stored_files(app, folder: str) -> set[Path]:
    """Every file under UPLOAD_ROOT/<folder> (the folder outlives each test: compare sets)."""
    root = Path(app.config["UPLOAD_ROOT"]) / folder
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture
def new_files(app):
    """new_files(folder): the files stored there since the test began."""
    before = {folder: stored_files(app, folder) for folder in ("whatsapp", "proofs")}
    return lambda folder: sorted(stored_files(app, folder) - before[folder])


def proofs(app) -> list[PaymentProof]:
    with app.app_context():
        found = list(db.session.scalars(select(PaymentProof).order_by(PaymentProof.id)))
        db.session.expunge_all()
        return found


def status_of(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


# --- Unassigned messages ----------------------------------------------------------------------

def test_a_message_from_an_unknown_number_is_listed_in_the_inbox(app, staff, shop):
    message_id = received(app, sender=UNKNOWN, body="Bonjour, c'est Fatou, ma sœur a commandé.")

    assert message_of(app, message_id).order_id is None
    home = staff.get("/equipe/")
    assert "1 reçus sur WhatsApp à classer" in text_of(home)
    page = staff.get(INBOX)
    assert page.status_code == 200
    card = by_testid(page, "unassigned")
    assert "Bonjour, c'est Fatou, ma sœur a commandé." in card
    assert "Rattacher" in card
    assert f'action="{FILE.format(message_id)}"' in page.get_data(as_text=True)
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(
            Notification.user_id == shop.staff)).all()
        assert notice.text == f"Message WhatsApp à classer de {UNKNOWN}"
        assert notice.link == "http://localhost/equipe/messages"


def test_a_signed_message_of_a_member_without_an_active_order_waits_under_her_name(
        app, client, staff, shop, fake_twilio):
    with app.app_context():
        db.session.get(Order, shop.order).status = "completed"
        db.session.commit()
    response = twilio_posts(client, "/twilio/whatsapp", inbound(body="Merci pour tout !"))
    assert response.status_code == 200

    with app.app_context():
        [message] = threads.unassigned()
        assert (message.author_id, message.order_id) == (shop.awa, None)
    card = by_testid(staff.get(INBOX), "unassigned")
    assert "Awa Koné" in card and "Merci pour tout !" in card


def test_staff_file_a_message_by_reference_and_it_joins_the_order_thread(app, staff, shop):
    message_id = received(app, sender=UNKNOWN, body="Je paie demain.")

    response = staff.post_form(FILE.format(message_id),
                               {"reference": f"  {shop.reference.lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/equipe/commandes/{shop.order}#echanges")
    assert f"Le message est rattaché à la commande {shop.reference}." in text_of(
        staff.get(response.headers["Location"]))

    assert message_of(app, message_id).order_id == shop.order
    assert "Aucun message à classer." in text_of(staff.get(INBOX))
    assert "Je paie demain." in by_testid(staff.get(f"/equipe/commandes/{shop.order}"),
                                           "order-messages")


def test_a_filed_message_is_unread_until_staff_open_the_order(app, staff, shop):
    message_id = received(app, sender=UNKNOWN, body="Je paie demain.")
    with app.app_context():
        threads.file_to_order(db.session.get(OrderMessage, message_id),
                              db.session.get(Order, shop.order))
        db.session.commit()
    assert by_testid(staff.get("/equipe/"), "unread-messages") == "1"
    assert shop.reference in by_testid(staff.get(INBOX), "unread-orders")
    staff.get(f"/equipe/commandes/{shop.order}")
    assert by_testid(staff.get("/equipe/"), "unread-messages") == "0"


@pytest.mark.parametrize(("reference", "error"), [
    ("DEM-2026-99999", "Aucune commande ne porte cette référence."),
    ("", "Ce champ est obligatoire."),
    ("DEM-2026-00042' OR 1=1 --", "20 caractères au maximum."),
])
def test_an_unknown_reference_is_refused_in_french_and_nothing_changes(app, staff, shop,
                                                                       reference, error):
    message_id = received(app, sender=UNKNOWN, body="Bonjour")

    response = staff.post_form(FILE.format(message_id), {"reference": reference})
    assert response.status_code == 422
    page = text_of(response)
    assert error in page
    assert "Bonjour" in by_testid(response, "unassigned"), "the message is still listed"
    assert message_of(app, message_id).order_id is None


def test_a_members_message_cannot_be_filed_to_another_members_order(app, staff, shop):
    with app.app_context():
        db.session.get(Order, shop.order).status = "completed"  # Awa's message is unassigned
        db.session.commit()
    message_id = received(app, body="Voici mon reçu")
    assert message_of(app, message_id).author_id == shop.awa

    response = staff.post_form(FILE.format(message_id), {"reference": "DEM-2026-00077"},
                               follow_redirects=True)
    assert "Cette commande n'appartient pas à l'expéditeur du message." in text_of(response)
    assert message_of(app, message_id).order_id is None
    assert "Voici mon reçu" in by_testid(staff.get(INBOX), "unassigned")


def test_a_message_already_filed_cannot_be_filed_again(app, staff, shop):
    message_id = received(app, body="Bonjour")  # Awa's, on her quoted order at once
    assert message_of(app, message_id).order_id == shop.order

    response = staff.post_form(FILE.format(message_id), {"reference": "DEM-2026-00077"},
                               follow_redirects=True)
    assert "Ce message est déjà rattaché à une commande." in text_of(response)
    assert message_of(app, message_id).order_id == shop.order


def test_filing_needs_the_csrf_token_and_staff(app, staff, shop):
    message_id = received(app, sender=UNKNOWN)
    assert staff.post(FILE.format(message_id), data={"reference": shop.reference}
                      ).status_code == 400
    member = app.test_client()
    login(member, "awa@example.com")
    assert member.get(INBOX).status_code == 403
    assert member.post_form(FILE.format(message_id), {"reference": shop.reference}
                            ).status_code == 403
    assert message_of(app, message_id).order_id is None
    assert staff.post_form(FILE.format(424242), {"reference": shop.reference}
                           ).status_code == 404


def test_markup_in_an_unassigned_message_is_shown_as_text(app, staff, shop):
    received(app, sender=UNKNOWN, body="<script>alert(1)</script>")
    page = staff.get(INBOX).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


# --- Media ------------------------------------------------------------------------------------

def with_media(app, fake_twilio, data: bytes, content_type: str, **form) -> int:
    url = fake_twilio.serve_media("ME" + "a" * 32, data, content_type)
    return received(app, body="Voici le reçu", NumMedia="1", MediaUrl0=url,
                    MediaContentType0=content_type, **form)


def media_requests(fake_twilio):
    return [r for r in fake_twilio.requests if r.method == "GET"]


def test_a_photo_is_fetched_from_twilio_cleaned_and_served_to_staff(app, staff, shop,
                                                                   fake_twilio, new_files):
    message_id = with_media(app, fake_twilio, receipt_jpeg(), "image/jpeg")
    page = staff.get(f"/equipe/commandes/{shop.order}")
    assert MEDIA.format(message_id, 0) in page.get_data(as_text=True)
    assert media_requests(fake_twilio) == [], "nothing is fetched before staff open it"

    response = staff.get(MEDIA.format(message_id, 0))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "no-store" in response.headers["Cache-Control"]
    served = Image.open(io.BytesIO(response.data))
    assert served.format == "JPEG" and served.size == (320, 240)
    assert not served.getexif(), "no metadata survives (the GPS position is gone)"

    [fetched] = media_requests(fake_twilio)
    assert fetched.credentials == (ACCOUNT_SID, AUTH_TOKEN)
    [kept] = new_files("whatsapp")
    message = message_of(app, message_id)
    assert message.media[0]["key"] and message.media[0]["stored_type"] == "image/jpeg"
    assert kept.read_bytes() == response.data

    again = staff.get(MEDIA.format(message_id, 0))
    assert again.data == response.data
    assert len(media_requests(fake_twilio)) == 1, "the stored copy is served the second time"


def test_a_hostile_media_file_is_refused_in_french_and_nothing_is_stored(
        app, staff, shop, fake_twilio, proof_form, new_files):
    message_id = with_media(app, fake_twilio, HOSTILE, "image/jpeg")  # it says it is a photo

    response = staff.get(MEDIA.format(message_id, 0))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/equipe/commandes/{shop.order}#echanges")
    page = text_of(staff.get(response.headers["Location"]))
    assert "Ce type de fichier n'est pas accepté" in page
    assert "<script>fetch" not in staff.get(f"/equipe/commandes/{shop.order}").get_data(
        as_text=True)
    assert new_files("whatsapp") == []
    assert "key" not in message_of(app, message_id).media[0]

    # nor can it become a proof
    response = staff.post_form(PROOF.format(message_id, 0), proof_form())
    assert response.status_code == 422
    assert "Ce type de fichier n'est pas accepté" in text_of(response)
    assert proofs(app) == [] and new_files("proofs") == []
    assert status_of(app, shop.order) == "quoted"


def test_a_media_url_outside_twilio_is_never_fetched(app, staff, shop, fake_twilio, new_files):
    message_id = received(app, body="Reçu", NumMedia="1",
                          MediaUrl0="http://127.0.0.1:9/interne/secret",
                          MediaContentType0="image/jpeg")
    response = staff.get(MEDIA.format(message_id, 0), follow_redirects=True)
    assert "Impossible de récupérer ce fichier chez WhatsApp pour le moment." in text_of(response)
    assert media_requests(fake_twilio) == [] and new_files("whatsapp") == []


def test_a_media_twilio_no_longer_has_is_refused_in_french(app, staff, shop, fake_twilio,
                                                          new_files):
    message_id = received(app, body="Reçu", NumMedia="1",
                          MediaUrl0=f"{fake_twilio.url}/media/gone",
                          MediaContentType0="image/jpeg")
    response = staff.get(MEDIA.format(message_id, 0), follow_redirects=True)
    assert "Impossible de récupérer ce fichier chez WhatsApp pour le moment." in text_of(response)
    assert new_files("whatsapp") == []


def test_media_of_an_unknown_message_or_index_are_not_served(app, staff, shop, fake_twilio):
    plain = received(app, body="Sans pièce jointe")
    assert staff.get(MEDIA.format(plain, 0)).status_code == 404
    assert staff.get(MEDIA.format(424242, 0)).status_code == 404
    assert staff.get(MEDIA.format("99999999999999999999", 0)).status_code == 404
    message_id = with_media(app, fake_twilio, receipt_jpeg(), "image/jpeg", sid="SM" + "2" * 32)
    response = staff.get(MEDIA.format(message_id, 5), follow_redirects=True)
    assert "Cette pièce jointe n'existe pas." in text_of(response)
    assert media_requests(fake_twilio) == []


def test_members_cannot_reach_the_media(app, shop, fake_twilio):
    message_id = with_media(app, fake_twilio, receipt_jpeg(), "image/jpeg")
    member = app.test_client()
    login(member, "awa@example.com")
    assert member.get(MEDIA.format(message_id, 0)).status_code == 403
    assert member.get(PROOF.format(message_id, 0)).status_code == 403
    assert media_requests(fake_twilio) == []


# --- A media file as the payment proof --------------------------------------------------------

@pytest.fixture
def proof_form(app, shop):
    """The proof form filled like staff would (Wave, today, the whole deposit)."""
    with app.app_context():
        wave = next(m.id for m in builders.active_payment_methods() if m.name == "Wave")
        today = agency_today().isoformat()

    def fill(**overrides) -> dict:
        return {"amount_paid": "95,00", "method_id": str(wave), "paid_on": today,
                "transaction_ref": "WAVE-2211", "comment": "Photo du reçu Wave."} | overrides

    return fill


def test_a_photo_attached_as_the_deposit_proof_waits_for_review(app, staff, shop, proof_form,
                                                               fake_twilio):
    message_id = with_media(app, fake_twilio, receipt_jpeg(), "image/jpeg")
    order_page = staff.get(f"/equipe/commandes/{shop.order}").get_data(as_text=True)
    assert PROOF.format(message_id, 0) in order_page

    form_page = staff.get(PROOF.format(message_id, 0))
    assert form_page.status_code == 200
    assert by_testid(form_page, "amount-due") == "Acompte attendu : 95,00 €"

    response = staff.post_form(PROOF.format(message_id, 0), proof_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/equipe/preuves")
    assert "La preuve est jointe à la commande : elle attend sa vérification." in text_of(
        staff.get(response.headers["Location"]))

    [proof] = proofs(app)
    assert (proof.order_id, proof.kind, proof.status) == (shop.order, "deposit", "pending")
    assert (proof.declared_amount, proof.method_name, proof.transaction_ref) == (
        9500, "Wave", "WAVE-2211")
    assert proof.submitted_by_id == shop.awa, "the member's proof, sent on her behalf"
    assert proof.comment == "Reçue sur WhatsApp ; jointe par Moussa Traoré. Photo du reçu Wave."
    assert proof.content_type == "image/jpeg"
    kept = Image.open(io.BytesIO(storage_read(app, proof.file_key)))
    assert kept.format == "JPEG" and not kept.getexif()
    assert status_of(app, shop.order) == "deposit_review"
    assert message_of(app, message_id).media[0]["proof_id"] == proof.id

    page = staff.get(f"/equipe/commandes/{shop.order}")
    assert "jointe comme preuve" in by_testid(page, "media")
    assert PROOF.format(message_id, 0) not in page.get_data(as_text=True)

    assert staff.get(PROOF.format(message_id, 0)).status_code == 404
    assert staff.post_form(PROOF.format(message_id, 0), proof_form()).status_code == 404
    assert len(proofs(app)) == 1


def storage_read(app, key: str) -> bytes:
    with app.app_context():
        return storage.read(key)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("amount_paid", "", "Ce champ est obligatoire."),
    ("amount_paid", "beaucoup", "Indiquez un montant valide"),
    ("method_id", "0", "Choisissez un moyen de paiement dans la liste."),
    ("paid_on", "2999-01-01", "La date du paiement ne peut pas être dans le futur."),
])
def test_a_bad_proof_form_is_refused_in_french_and_nothing_changes(app, staff, shop, proof_form,
                                                                  fake_twilio, field, value,
                                                                  error):
    message_id = with_media(app, fake_twilio, receipt_jpeg(), "image/jpeg")
    response = staff.post_form(PROOF.format(message_id, 0), proof_form(**{field: value}))
    assert response.status_code == 422
    assert error in text_of(response)
    assert proofs(app) == [] and status_of(app, shop.order) == "quoted"
    assert "proof_id" not in message_of(app, message_id).media[0]


def test_a_media_cannot_be_attached_to_an_order_that_awaits_no_payment(app, staff, shop,
                                                                      fake_twilio, proof_form):
    with app.app_context():
        binta_phone = db.session.get(User, shop.binta).phone
    url = fake_twilio.serve_media("recu", receipt_jpeg(), "image/jpeg")
    message_id = received(app, sender=binta_phone, body="Reçu", NumMedia="1", MediaUrl0=url,
                          MediaContentType0="image/jpeg")
    assert message_of(app, message_id).order_id == shop.other  # submitted: no proforma yet

    response = staff.get(PROOF.format(message_id, 0), follow_redirects=True)
    assert "Cette commande n'attend pas de paiement pour le moment." in text_of(response)
    response = staff.post_form(PROOF.format(message_id, 0), proof_form(),
                               follow_redirects=True)
    assert "Cette commande n'attend pas de paiement pour le moment." in text_of(response)
    assert proofs(app) == [] and status_of(app, shop.other) == "submitted"


def test_an_unassigned_media_cannot_be_attached(app, staff, shop, fake_twilio):
    url = fake_twilio.serve_media("recu", receipt_jpeg(), "image/jpeg")
    message_id = received(app, sender=UNKNOWN, body="Reçu", NumMedia="1", MediaUrl0=url,
                          MediaContentType0="image/jpeg")
    assert staff.get(PROOF.format(message_id, 0)).status_code == 404
    assert staff.get(PROOF.format(message_id, 3)).status_code == 404
