"""On a phone: a member fills the cart, edits and removes items, and sends the request; at a
desk, staff price it and issue the proforma; the member reads it and downloads the PDF."""
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from portal.extensions import db
from portal.staff.models import PaymentMethod
from tests.factories import PASSWORD, make_address, make_pickup_point, make_terms, make_user
from tests.proforma.conftest import set_agency

ITEMS = [
    ("Baskets en toile", "https://www.zara.com/fr/baskets-123.html", "2", "Taille 42, blanc"),
    ("Sac à dos 20 L", "https://www.decathlon.fr/sac-20l", "1", "Bleu"),
    ("Montre connectée", "https://www.amazon.fr/dp/B0TEST", "1", ""),
]


def log_in(page, email):
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def fill_cart(page, items) -> None:
    """Add (name, link, quantity, details) items one by one from the cart page."""
    page.goto("/panier")
    for name, url, quantity, details in items:
        page.get_by_label("Nom de l'article").fill(name)
        page.get_by_label("Lien vers l'article").fill(url)
        page.get_by_label("Quantité").fill(quantity)
        page.get_by_label("Détails (taille, couleur, modèle…)").fill(details)
        page.get_by_role("button", name="Ajouter au panier").click()
        expect(page.get_by_text(f"« {name} » est ajouté à votre panier.")).to_be_visible()


def test_a_member_sends_a_request_and_staff_issue_the_proforma(app, phone, desktop, shots,
                                                               tmp_path):
    with app.app_context():
        member = make_user("mariam@example.com", full_name="Mariam Touré")
        make_user("moussa@agence.example", role="staff", full_name="Moussa Traoré")
        make_address(member, label="Maison")
        make_terms("1. Objet.\n2. Acompte.")
        make_pickup_point("Agence Plateau")
        set_agency(currency="XOF", locale="fr_CI", service_fee_bp=1000,
                   service_fee_minimum=2000)
        db.session.add(PaymentMethod(name="Orange Money", instructions="Envoyez au 07 00 00 00 01"))
        db.session.commit()
    page = phone
    log_in(page, "mariam@example.com")
    fill_cart(page, ITEMS)
    items = page.get_by_test_id("cart-items").get_by_role("listitem")
    expect(items).to_have_count(3)
    shots(page, "cart-with-three-items")

    page.get_by_role("link", name="Modifier Sac à dos 20 L").click()
    page.get_by_label("Quantité").fill("3")
    page.get_by_role("button", name="Enregistrer").click()
    expect(items.filter(has_text="Sac à dos 20 L")).to_contain_text("× 3")

    page.get_by_role("button", name="Retirer Montre connectée").click()
    expect(items).to_have_count(2)
    shots(page, "cart-edited")

    page.get_by_role("link", name="Demander une proforma").click()
    page.get_by_label("Maison").check()
    page.get_by_label("Retrait dans un de nos points de retrait").check()
    page.get_by_label("Point de retrait").select_option(label="Agence Plateau")
    page.get_by_label("J'ai lu et j'accepte les conditions générales").check()
    shots(page, "request-form")
    page.get_by_role("button", name="Envoyer ma demande").click()

    expect(page.get_by_text("est envoyée. Nous vous enverrons une proforma.")).to_be_visible()
    shots(page, "order-page")
    page.goto("/commandes")
    card = page.get_by_role("link", name="DEM-")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("status")).to_have_text("Demande envoyée — en attente de proforma")
    expect(card).to_contain_text("2 articles")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "dashboard")

    reference = card.inner_text().split()[0]
    staff_prices_the_request(desktop, reference, shots)
    member_reads_the_proforma(page, reference, shots, tmp_path)


def staff_prices_the_request(page, reference, shots):
    log_in(page, "moussa@agence.example")
    page.goto(f"/equipe/commandes?q={reference}")
    page.get_by_role("link", name=reference).first.click()
    page.get_by_role("link", name="Établir la proforma").click()
    page.get_by_label("Prix unitaire — Baskets en toile").fill("15 000")
    page.get_by_label("Prix unitaire — Sac à dos 20 L").fill("9 500")
    page.get_by_label("Transport international estimé").fill("12 000")
    totals = page.get_by_test_id("quote-totals")
    # 2 × 15 000 + 3 × 9 500 = 58 500; fee 10 % = 5 850; total 76 350; deposit 50 % = 38 175
    expect(totals.locator('[data-total="total"]')).to_have_text(re.compile(r"76\s350\sF\sCFA"))
    expect(totals.locator('[data-total="deposit"]')).to_have_text(re.compile(r"38\s175"))
    shots(page, "staff-quote-editor")
    page.get_by_role("button", name="Émettre la proforma").click()
    expect(page.get_by_text("est émise et envoyée à Mariam Touré")).to_be_visible()
    expect(page.get_by_test_id("documents")).to_contain_text("Proforma PF-")
    shots(page, "staff-order-quoted")


def member_reads_the_proforma(page, reference, shots, tmp_path):
    page.goto("/commandes")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_test_id("next-step")).to_contain_text("Votre proforma est prête")
    page.get_by_role("link", name="Voir la proforma").click()
    expect(page.get_by_test_id("proforma-totals")).to_contain_text("76")
    expect(page.get_by_test_id("proforma-state")).to_have_text("En vigueur")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "member-proforma")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    text = " ".join(p.extract_text() for p in PdfReader(str(path)).pages)
    text = re.sub(r"\s+", " ", text)
    assert reference in text and "Baskets en toile" in text and "Mariam Touré" in text
    assert "76 350 F CFA" in text and "38 175 F CFA" in text
