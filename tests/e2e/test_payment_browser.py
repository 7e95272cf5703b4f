"""The money path in a real browser: the member (phone) uploads a deposit proof (a real image
file), staff (desk) accept it and record the arrival, the member downloads the invoice and sends
the balance proof, staff accept it and the order shows `ready` with its pickup code and QR code;
staff find the order by that code and hand it over, and the member sees it collected."""
import re

from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.test_request_browser import log_in
from tests.payments import builders


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def receipt_photo(tmp_path, name: str):
    path = tmp_path / name
    Image.new("RGB", (900, 1200), (240, 240, 235)).save(path, "JPEG")
    return path


def test_a_member_pays_the_deposit_and_the_balance_and_the_order_is_ready(
        app, phone, desktop, shots, tmp_path):
    with app.app_context():
        builders.agency()  # EUR, 6,50 € per kg, bank transfer and Wave
        staff = builders.staff_member()
        order = builders.quoted(builders.member("mariam@example.com", full_name="Mariam Touré"),
                                staff)  # total 189,99 €, deposit 95,00 €
        order_id, reference = order.id, order.reference
    log_in(phone, "mariam@example.com")
    log_in(desktop, "moussa@agence.example")

    send_proof(phone, order_id, receipt_photo(tmp_path, "acompte.jpg"), "95,00", shots)
    accept_proof(desktop, reference, shots)
    record_arrival(desktop, order_id, shots)
    balance = download_invoice(phone, order_id, reference, tmp_path)
    send_proof(phone, order_id, receipt_photo(tmp_path, "solde.jpg"), balance, shots)
    accept_proof(desktop, reference, shots)

    phone.goto(f"/commandes/{order_id}")
    expect(phone.get_by_test_id("status")).to_have_text("Prête — retrait ou livraison à organiser")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    code = pickup_code(phone)
    shots(phone, "member-order-ready")

    hand_over(desktop, code, reference, "Mariam Touré", shots)

    phone.reload()
    expect(phone.get_by_test_id("status")).to_have_text("Retirée / livrée")
    expect(phone.get_by_test_id("handed-over")).to_contain_text("à Mariam Touré")
    expect(phone.get_by_test_id("pickup-code")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(phone, "member-order-completed")


def pickup_code(page) -> str:
    """The code and QR code the member shows at the counter; returns the code."""
    code = page.get_by_test_id("pickup-code")
    expect(code).to_have_text(re.compile(r"^[A-HJ-NP-Z2-9]{8}$"))
    qr = page.locator("svg.pickup-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 100 and box["width"] <= page.viewport_size["width"], box
    return code.inner_text().strip()


def hand_over(page, code, reference, name, shots):
    """Staff type the code (as a person would: lower case, a space in the middle), check the
    order and confirm the hand-over."""
    page.goto("/equipe/")
    page.get_by_role("link", name="Remise : trouver une commande par son code").click()
    page.get_by_label("Code de remise").fill(f"{code[:4].lower()} {code[4:].lower()}")
    page.get_by_role("button", name="Chercher").click()
    found = page.get_by_test_id("pickup-order")
    expect(found).to_contain_text(reference)
    expect(found).to_contain_text(name)
    expect(page.get_by_label("Remise à (nom de la personne)")).to_have_value(name)
    shots(page, "staff-pickup-lookup")
    page.get_by_role("button", name="Confirmer la remise").click()
    expect(page.get_by_text(f"La commande {reference} est remise : elle est terminée.")
           ).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Retirée / livrée")
    shots(page, "staff-handed-over")


def send_proof(page, order_id, photo, amount, shots):
    page.goto(f"/commandes/{order_id}")
    page.get_by_test_id("send-proof").click()
    page.get_by_label("Preuve de paiement (photo, capture d'écran ou PDF)").set_input_files(
        str(photo))
    page.get_by_label("Montant payé").fill(amount)
    page.get_by_label("Moyen de paiement").select_option(label="Wave")
    page.get_by_label("Référence de la transaction (facultatif)").fill(f"OM-{photo.stem}")
    shots(page, f"member-proof-{photo.stem}")
    page.get_by_role("button", name="Envoyer la preuve").click()
    expect(page.get_by_text("Votre preuve de paiement est envoyée")).to_be_visible()


def accept_proof(page, reference, shots):
    page.goto("/equipe/preuves")
    page.get_by_role("link", name=reference).first.click()
    expect(page.get_by_test_id("proof-image")).to_be_visible()
    shots(page, "staff-review")
    page.get_by_role("button", name="Accepter et envoyer le reçu").click()
    expect(page.get_by_text(f"Paiement accepté pour {reference}")).to_be_visible()


def record_arrival(page, order_id, shots):
    page.goto(f"/equipe/commandes/{order_id}")
    page.get_by_role("button", name="Arrivée", exact=True).click()
    page.get_by_label("Poids (kg)").fill("2,5")
    shots(page, "staff-arrival")
    page.get_by_role("button", name="Enregistrer l'arrivée et émettre la facture").click()
    expect(page.get_by_test_id("documents")).to_contain_text("FAC-")


def download_invoice(page, order_id, reference, tmp_path) -> str:
    """Download the invoice from the order page; return the balance as printed on it."""
    page.goto(f"/commandes/{order_id}")
    with page.expect_download() as download:
        page.get_by_test_id("documents").get_by_role("link", name=re.compile("PDF.*FAC-")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    text = flat(" ".join(p.extract_text() for p in PdfReader(str(path)).pages))
    assert "FACTURE" in text and reference in text and "Mariam Touré" in text
    # Deposit paid 95,00 €; transport 2,5 kg × 6,50 € = 16,25 € instead of the estimate.
    assert "95,00 €" in text and "16,25 €" in text
    return re.search(r"Solde à payer ([0-9 ]+,[0-9]{2}) €", text).group(1)
