"""The paths where something is refused, in a real browser: a member (phone) whose deposit proof
staff (desk) refuse, and who sends another one; a member who cancels her order; and a member
whose proforma expired, who asks for a new one that staff issue."""
import re
from datetime import timedelta

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from portal import clock
from portal.staff.models import agency_today
from tests.e2e.test_payment_browser import accept_proof, send_proof
from tests.e2e.test_request_browser import log_in
from tests.payments import builders

MEMBER, STAFF = "mariam@example.com", "moussa@agence.example"
QUOTED = "Proforma envoyée — en attente d'acompte"
IN_REVIEW = "Acompte en attente de validation"
REASON = "Photo illisible, merci de renvoyer une capture nette"


def quoted_order(app, **options):
    """The agency, a staff member and Mariam's order with its proforma (deposit 95,00 €)."""
    with app.app_context():
        builders.agency()
        staff = builders.staff_member(STAFF)
        order = builders.quoted(builders.member(MEMBER, full_name="Mariam Touré"), staff,
                                **options)
        return order.id, order.reference


def receipt_photo(tmp_path, name: str, shade: int):
    """A JPEG like a phone photo of a receipt; each shade gives another file."""
    image = Image.new("RGB", (900, 1200), (shade, shade, 230))
    ImageDraw.Draw(image).rectangle((100, 150, 800, 400), fill=(40, 40, 40))
    path = tmp_path / name
    image.save(path, "JPEG")
    return path


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def flash(page, text):
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def test_a_refused_proof_is_sent_again_and_accepted(app, phone, desktop, shots, outbox,
                                                    tmp_path):
    order_id, reference = quoted_order(app)
    log_in(phone, MEMBER)
    log_in(desktop, STAFF)

    send_proof(phone, order_id, receipt_photo(tmp_path, "floue.jpg", 200), "95,00", shots)
    expect(phone.get_by_test_id("status")).to_have_text(IN_REVIEW)
    expect(phone.get_by_test_id("send-proof")).to_have_count(0)

    desktop.goto("/equipe/preuves")
    desktop.get_by_role("link", name=reference).click()
    expect(desktop.get_by_test_id("proof-image")).to_be_visible()
    desktop.get_by_label("Raison du refus").select_option(label="Preuve illisible")
    desktop.get_by_label("Message au membre").fill(REASON)
    shots(desktop, "staff-refuses")
    desktop.get_by_role("button", name="Refuser la preuve").click()
    flash(desktop, f"Preuve refusée pour {reference} ; le membre est prévenu")
    expect(desktop.get_by_test_id("proof-queue")).to_have_count(0)
    shots(desktop, "staff-queue-empty")

    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("status")).to_have_text(QUOTED)
    proof = phone.get_by_test_id("proof")
    expect(proof.get_by_test_id("proof-status")).to_have_text("Refusée")
    expect(proof.get_by_test_id("refusal")).to_have_text(f"Preuve illisible — {REASON}")
    expect(phone.get_by_test_id("timeline")).to_contain_text(
        f"Preuve refusée : Preuve illisible — {REASON}")
    expect(phone.get_by_test_id("send-proof")).to_be_visible()
    no_sideways_scroll(phone)
    shots(phone, "member-sees-refusal")

    told = [row for row in outbox.to(MEMBER, "status_changed") if REASON in row.body_text]
    assert len(told) == 1, [row.subject for row in outbox.to(MEMBER)]
    assert "Preuve illisible" in told[0].body_text and reference in told[0].subject
    expect(phone.get_by_test_id("unread-count")).to_be_visible()
    phone.get_by_test_id("bell").click()
    expect(phone.get_by_text(f"Commande {reference} : {QUOTED}")).to_be_visible()
    shots(phone, "member-notifications")

    send_proof(phone, order_id, receipt_photo(tmp_path, "nette.jpg", 250), "95,00", shots)
    expect(phone.get_by_test_id("status")).to_have_text(IN_REVIEW)
    accept_proof(desktop, reference, shots)

    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("status")).to_have_text("Confirmée — commande passée")
    expect(phone.get_by_test_id("proof-status")).to_have_text(["Acceptée", "Refusée"])
    expect(phone.get_by_test_id("receipt")).to_contain_text("Reçu REC-")
    expect(phone.get_by_test_id("send-proof")).to_have_count(0)
    no_sideways_scroll(phone)
    shots(phone, "member-order-confirmed")


def test_a_member_cancels_her_order_and_can_no_longer_pay_for_it(app, phone, desktop, shots):
    order_id, reference = quoted_order(app)
    log_in(phone, MEMBER)
    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("send-proof")).to_be_visible()
    phone.get_by_role("link", name="Annuler la commande").click()
    expect(phone.get_by_role("heading", name=f"Annuler la commande {reference}")).to_be_visible()
    phone.get_by_label("Pourquoi annulez-vous ? (facultatif)").fill(
        "J'ai trouvé les articles sur place.")
    phone.get_by_role("button", name="Annuler la commande").click()
    expect(phone.get_by_text("Cochez la case pour confirmer l'annulation.").first).to_be_visible()
    no_sideways_scroll(phone)
    shots(phone, "member-cancel-unconfirmed")
    phone.get_by_label("Oui, je veux annuler cette commande").check()
    phone.get_by_role("button", name="Annuler la commande").click()

    flash(phone, f"La commande {reference} est annulée.")
    expect(phone.get_by_test_id("status")).to_have_text("Annulée")
    expect(phone.get_by_test_id("send-proof")).to_have_count(0)
    expect(phone.get_by_role("link", name="J'ai payé : envoyer la preuve")).to_have_count(0)
    expect(phone.get_by_role("link", name="Annuler la commande")).to_have_count(0)
    expect(phone.get_by_test_id("timeline")).to_contain_text("J'ai trouvé les articles sur place.")
    no_sideways_scroll(phone)
    shots(phone, "member-order-cancelled")

    phone.goto(f"/commandes/{order_id}/paiement")
    expect(phone).to_have_url(re.compile(rf"/commandes/{order_id}$"))
    flash(phone, "Cette commande est annulée : aucun paiement n'est attendu.")
    expect(phone.get_by_role("button", name="Envoyer la preuve")).to_have_count(0)
    shots(phone, "member-proof-refused-on-cancelled")
    phone.goto(f"/commandes/{order_id}/annuler")
    flash(phone, "Cette commande ne peut plus être annulée depuis votre espace.")

    log_in(desktop, STAFF)
    desktop.goto(f"/equipe/commandes/{order_id}")
    expect(desktop.get_by_test_id("status")).to_have_text("Annulée")
    expect(desktop.get_by_test_id("history")).to_contain_text("J'ai trouvé les articles sur place.")
    expect(desktop.get_by_role("link", name="Réviser la proforma")).to_have_count(0)
    expect(desktop.get_by_test_id("staff-actions")).to_have_count(0)
    shots(desktop, "staff-order-cancelled")


def test_an_expired_proforma_is_revised_and_then_paid(app, phone, desktop, shots, outbox,
                                                      tmp_path):
    ten_days_ago = clock.utcnow() - timedelta(days=10)
    with clock.moved_to(ten_days_ago):  # quoted ten days ago, valid for three days
        order_id, reference = quoted_order(app, valid_days=3)
    log_in(phone, MEMBER)
    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("status")).to_have_text(QUOTED)
    expect(phone.get_by_test_id("next-step")).to_contain_text("a expiré le")
    expect(phone.get_by_test_id("next-step")).to_contain_text(
        "demandez-nous une nouvelle version avant de payer")
    expect(phone.get_by_test_id("send-proof")).to_have_count(0)
    expect(phone.get_by_role("link", name="J'ai payé : envoyer la preuve")).to_have_count(0)
    expect(phone.get_by_test_id("documents")).to_contain_text("expirée")
    no_sideways_scroll(phone)
    shots(phone, "member-order-expired")

    phone.goto(f"/commandes/{order_id}/paiement")
    flash(phone, "Votre proforma a expiré : demandez-nous une nouvelle version avant de payer.")
    expect(phone.get_by_role("button", name="Envoyer la preuve")).to_have_count(0)

    phone.get_by_role("link", name="Voir la proforma").click()
    expect(phone.get_by_test_id("proforma-state")).to_have_text("Expirée")
    expect(phone.get_by_text("Cette proforma a expiré : ne la réglez pas.")).to_be_visible()
    phone.get_by_label("Ce que vous souhaitez changer").fill(
        "Ma proforma a expiré : pouvez-vous m'en envoyer une nouvelle ?")
    no_sideways_scroll(phone)
    shots(phone, "member-asks-for-new-proforma")
    phone.get_by_role("button", name="Envoyer la demande").click()
    flash(phone, "Votre demande de modification est envoyée")

    with app.app_context():
        valid_until = agency_today() + timedelta(days=7)
    log_in(desktop, STAFF)
    desktop.goto(f"/equipe/commandes/{order_id}")
    expect(desktop.get_by_test_id("documents")).to_contain_text("expirée")
    expect(desktop.get_by_test_id("order-messages")).to_contain_text(
        "pouvez-vous m'en envoyer une nouvelle ?")
    desktop.get_by_role("link", name="Réviser la proforma").click()
    expect(desktop.get_by_text("Vous préparez la version 2")).to_be_visible()
    expect(desktop.get_by_text("Demande de modification du membre :")).to_be_visible()
    desktop.get_by_label("Valable jusqu'au").fill(valid_until.isoformat())
    shots(desktop, "staff-revises-proforma")
    desktop.get_by_role("button", name="Émettre la nouvelle version").click()
    flash(desktop, "v2 est émise et envoyée à Mariam Touré")
    expect(desktop.get_by_test_id("documents")).to_contain_text("Proforma PF-")
    expect(desktop.get_by_test_id("documents")).to_contain_text("remplacée")
    expect(desktop.get_by_test_id("documents")).not_to_contain_text("expirée")
    shots(desktop, "staff-proforma-v2")
    assert len(outbox.to(MEMBER, "proforma_issued")) == 2  # v1, then v2 with its PDF

    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("next-step")).to_contain_text("Votre proforma est prête")
    expect(phone.get_by_test_id("send-proof")).to_be_visible()
    expect(phone.get_by_test_id("documents")).not_to_contain_text("expirée")
    phone.get_by_role("link", name="Voir la proforma").click()
    expect(phone.get_by_test_id("proforma-state")).to_have_text("En vigueur")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("version 2")
    expect(phone.get_by_role("link", name="v1")).to_be_visible()
    no_sideways_scroll(phone)
    shots(phone, "member-proforma-v2")

    send_proof(phone, order_id, receipt_photo(tmp_path, "acompte.jpg", 220), "95,00", shots)
    expect(phone.get_by_test_id("status")).to_have_text(IN_REVIEW)
    no_sideways_scroll(phone)
    shots(phone, "member-deposit-sent")
