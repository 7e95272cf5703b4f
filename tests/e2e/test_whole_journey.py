"""PRODUCT.md's ten steps in one go, in a real browser: a member on a phone (390×844) and a staff
member at a desk, in two browser contexts, with mail delivered to a real SMTP server on loopback.

Sign-up and confirmation (link read from the delivered mail) → cart → request → quote →
proforma PDF → deposit proof → review → purchase → transit → arrival and invoice PDF → balance
proof → review → pickup message (delivered mail, code) → hand-over. Every screen is shot to
test-artifacts/test_the_whole_journey_from_sign_up_to_hand_over/ and checked by axe-core."""
import re

from PIL import Image, ImageDraw
from playwright.sync_api import expect
from pypdf import PdfReader

from portal.extensions import db
from portal.staff.models import PaymentMethod
from tests.e2e.test_payment_browser import accept_proof, flat, hand_over, pickup_code
from tests.e2e.test_request_browser import fill_cart, log_in
from tests.factories import PASSWORD, make_pickup_point, make_terms, make_user
from tests.proforma.conftest import set_agency

MEMBER = "aissata.kone@example.com"
STAFF = "moussa@agence.example"
ITEMS = [("Robe en wax", "https://www.asos.com/fr/robe-wax-42", "2", "Taille 38"),
         ("Casque audio sans fil", "https://www.fnac.com/casque-bt", "1", "Noir")]


def the_agency(app):
    """An agency in Abidjan billing in F CFA, with a pickup point, terms and Orange Money."""
    with app.app_context():
        set_agency(currency="XOF", locale="fr_CI", service_fee_bp=1000,
                   service_fee_minimum=2000, transport_rate_per_kg=5000)
        make_user(STAFF, role="staff", full_name="Moussa Traoré")
        make_terms("1. Objet.\n2. Acompte de 50 %.\n3. Retrait sous 30 jours.")
        make_pickup_point("Agence Plateau")
        db.session.add(PaymentMethod(name="Orange Money", position=1,
                                     instructions="Envoyez au 07 00 00 00 01"))
        db.session.commit()


def mail_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def last_mail(smtp, subject_part: str):
    found = [m for m in smtp.to(MEMBER) if subject_part in m["Subject"]]
    assert found, [m["Subject"] for m in smtp.to(MEMBER)]
    return found[-1]


def pdf_text(path) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(str(path)).pages))


def download(page, link, tmp_path) -> str:
    with page.expect_download() as event:
        link.click()
    path = tmp_path / event.value.suggested_filename
    event.value.save_as(path)
    return pdf_text(path)


def receipt(tmp_path, name: str, amount: str):
    """A phone screenshot of a mobile-money receipt."""
    image = Image.new("RGB", (720, 1280), (255, 244, 230))
    ImageDraw.Draw(image).text((60, 200), f"Orange Money - paiement {amount} F CFA", fill=0)
    path = tmp_path / f"{name}.jpg"
    image.save(path, "JPEG")
    return path


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_whole_journey_from_sign_up_to_hand_over(app, phone, desktop, smtp, shots, tmp_path):
    the_agency(app)
    sign_up(phone, smtp, shots)
    reference = send_request(phone, shots)
    log_in(desktop, STAFF)
    staff_page = quote(desktop, reference, shots)
    deposit = read_proforma(phone, smtp, reference, shots, tmp_path)
    order_page = phone.url
    send_proof(phone, receipt(tmp_path, "acompte", deposit), deposit, shots)
    accept_proof(desktop, reference, shots)
    purchase_and_ship(desktop, staff_page, shots)
    follow_the_parcel(phone, order_page, shots)
    arrival(desktop, shots)
    balance = read_invoice(phone, order_page, reference, deposit, shots, tmp_path)
    send_proof(phone, receipt(tmp_path, "solde", balance), balance, shots)
    accept_proof(desktop, reference, shots)
    code = pickup_message(phone, smtp, order_page, reference, shots)
    hand_over(desktop, code, reference, "Aïssata Koné", shots)
    phone.goto(order_page)
    expect(phone.get_by_test_id("status")).to_have_text("Retirée / livrée")
    assert fits_the_screen(phone)
    shots(phone, "member-completed")


def sign_up(page, smtp, shots):
    """Step 1: the account, confirmed by the link of the mail the SMTP server received."""
    page.goto("/")
    shots(page, "home")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("Adresse e-mail").fill(MEMBER)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_label("Nom complet").fill("Aïssata Koné")
    page.get_by_label("Téléphone (WhatsApp)").fill("07 08 09 10 11")
    page.get_by_label("E-mail", exact=True).check()
    shots(page, "signup")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez vos e-mails")).to_be_visible()
    [mail] = smtp.to(MEMBER)
    link = re.search(r"https?://\S+/confirmer/\S+", mail_text(mail)).group(0)
    page.goto(link)
    expect(page.get_by_text("Votre adresse e-mail est confirmée")).to_be_visible()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    shots(page, "login-after-confirmation")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mes commandes")).to_be_visible()
    shots(page, "empty-dashboard")


def send_request(page, shots) -> str:
    """Steps 2–3: the cart, a delivery address, the pickup point, the terms; returns the
    request's reference."""
    fill_cart(page, ITEMS)
    assert fits_the_screen(page)
    shots(page, "cart")
    page.get_by_role("link", name="Demander une proforma").click()
    page.get_by_role("link", name="Ajouter une nouvelle adresse").click()
    page.get_by_label("Nom de l'adresse").fill("Maison")
    page.get_by_label("Destinataire").fill("Aïssata Koné")
    page.get_by_label("Adresse", exact=True).fill("Rue des Jardins, villa 12")
    page.get_by_label("Ville ou commune").fill("Cocody")
    shots(page, "new-address")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Demander une proforma")).to_be_visible()
    page.get_by_label("Retrait dans un de nos points de retrait").check()
    page.get_by_label("Point de retrait").select_option(label="Agence Plateau")
    page.get_by_label("J'ai lu et j'accepte les conditions générales").check()
    shots(page, "request")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_text("est envoyée. Nous vous enverrons une proforma.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Demande envoyée — en attente de proforma")
    shots(page, "request-sent")
    return re.search(r"DEM-\d{4}-\d{5}", page.content()).group(0)


def quote(page, reference, shots) -> str:
    """Step 4: staff find the request in the queue and price it; returns the staff order
    page's address."""
    page.goto("/equipe/")
    shots(page, "staff-home")
    page.goto(f"/equipe/commandes?q={reference}")
    page.get_by_role("link", name=reference).first.click()
    staff_page = page.url
    shots(page, "staff-request")
    page.get_by_role("link", name="Établir la proforma").click()
    page.get_by_label("Prix unitaire — Robe en wax").fill("18 000")
    page.get_by_label("Prix unitaire — Casque audio sans fil").fill("35 000")
    page.get_by_label("Transport international estimé").fill("10 000")
    # 2 × 18 000 + 35 000 = 71 000; fee 10 % = 7 100; total 88 100; deposit 50 % = 44 050
    totals = page.get_by_test_id("quote-totals")
    expect(totals.locator('[data-total="total"]')).to_have_text(re.compile(r"88\s100\sF\sCFA"))
    shots(page, "staff-quote")
    page.get_by_role("button", name="Émettre la proforma").click()
    expect(page.get_by_text("est émise et envoyée à Aïssata Koné")).to_be_visible()
    shots(page, "staff-quoted")
    return staff_page


def read_proforma(page, smtp, reference, shots, tmp_path) -> str:
    """Step 5: the member gets the proforma by mail (PDF attached) and downloads it from her
    order page; returns the deposit as printed on it."""
    mail = last_mail(smtp, "proforma")
    [attached] = [part for part in mail.iter_attachments()]
    assert attached.get_content_type() == "application/pdf"
    page.goto("/commandes")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_test_id("next-step")).to_contain_text("Votre proforma est prête")
    shots(page, "member-quoted")
    page.get_by_role("link", name="Voir la proforma").click()
    shots(page, "member-proforma")
    text = download(page, page.get_by_role("link", name="Télécharger le PDF"), tmp_path)
    assert reference in text and "Aïssata Koné" in text and "Robe en wax" in text
    assert "88 100 F CFA" in text and "Agence Plateau" in text
    page.go_back()
    return re.search(r"Acompte à verser(?: \([^)]*\))? ([0-9 ]+) F CFA", text).group(1).strip()


def send_proof(page, photo, amount, shots):
    """Steps 6 and 11: a screenshot of the mobile-money receipt, uploaded from the phone."""
    page.get_by_test_id("send-proof").click()
    page.get_by_label("Preuve de paiement (photo, capture d'écran ou PDF)").set_input_files(
        str(photo))
    page.get_by_label("Montant payé").fill(amount)
    page.get_by_label("Moyen de paiement").select_option(label="Orange Money")
    shots(page, f"member-proof-{photo.stem}")
    page.get_by_role("button", name="Envoyer la preuve").click()
    expect(page.get_by_text("Votre preuve de paiement est envoyée")).to_be_visible()
    shots(page, f"member-proof-{photo.stem}-sent")


def purchase_and_ship(page, staff_page, shots):
    """Steps 8–9: bought at the merchant, then shipped with a tracking number."""
    page.goto(staff_page)
    expect(page.get_by_test_id("status")).to_have_text("Confirmée — commande passée")
    page.get_by_role("button", name="Commande passée chez le marchand").click()
    page.get_by_label("N° de commande chez le marchand (facultatif)").fill("ASOS-778812")
    shots(page, "staff-purchase")
    page.get_by_role("button", name="Enregistrer l'achat").click()
    expect(page.get_by_test_id("status")).to_have_text("Achetée auprès du marchand")
    page.get_by_role("button", name="Expédition", exact=True).click()
    page.get_by_label("Transporteur").fill("DHL Express")
    page.get_by_label("N° de suivi (facultatif)").fill("JD014600006281230")
    shots(page, "staff-shipment")
    page.get_by_role("button", name="Enregistrer l'expédition").click()
    expect(page.get_by_test_id("status")).to_have_text("En cours d'acheminement")
    shots(page, "staff-in-transit")


def follow_the_parcel(page, order_page, shots):
    page.goto(order_page)
    expect(page.get_by_test_id("status")).to_have_text("En cours d'acheminement")
    expect(page.get_by_test_id("tracking")).to_contain_text("JD014600006281230")
    shots(page, "member-in-transit")


def arrival(page, shots):
    """Step 10: the parcel is weighed at the agency; the final invoice is issued."""
    page.get_by_role("button", name="Arrivée", exact=True).click()
    page.get_by_label("Poids (kg)").fill("1,8")
    shots(page, "staff-arrival")
    page.get_by_role("button", name="Enregistrer l'arrivée et émettre la facture").click()
    expect(page.get_by_test_id("documents")).to_contain_text("FAC-")
    shots(page, "staff-invoiced")


def read_invoice(page, order_page, reference, deposit, shots, tmp_path) -> str:
    """The member downloads the invoice; returns the balance as printed on it."""
    page.goto(order_page)
    expect(page.get_by_test_id("status")).to_have_text("Arrivée — solde à régler")
    shots(page, "member-arrived")
    link = page.get_by_test_id("documents").get_by_role("link", name=re.compile("PDF.*FAC-"))
    text = download(page, link, tmp_path)
    # Transport 1,8 kg × 5 000 = 9 000 instead of the 10 000 estimated.
    assert "FACTURE" in text and reference in text and "9 000 F CFA" in text
    assert f"{deposit} F CFA" in text
    return re.search(r"Solde à payer ([0-9 ]+) F CFA", text).group(1).strip()


def pickup_message(page, smtp, order_page, reference, shots) -> str:
    """Step 12: the pickup arrangement arrives by mail with the code the order page shows."""
    page.goto(order_page)
    expect(page.get_by_test_id("status")).to_have_text("Prête — retrait ou livraison à organiser")
    code = pickup_code(page)
    assert fits_the_screen(page)
    shots(page, "member-ready")
    text = mail_text(last_mail(smtp, reference))
    assert code in text and "Agence Plateau" in text
    return code
