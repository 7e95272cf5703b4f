"""On a phone: a member fills the cart, edits and removes items, and sends the request."""
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_address, make_pickup_point, make_terms, make_user

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


def test_a_member_fills_the_cart_and_sends_a_request_on_a_phone(app, phone, shots):
    with app.app_context():
        member = make_user("mariam@example.com", full_name="Mariam Touré")
        make_address(member, label="Maison")
        make_terms("1. Objet.\n2. Acompte.")
        make_pickup_point("Agence Plateau")
    page = phone
    log_in(page, "mariam@example.com")
    page.goto("/panier")
    for name, url, quantity, details in ITEMS:
        page.get_by_label("Nom de l'article").fill(name)
        page.get_by_label("Lien vers l'article").fill(url)
        page.get_by_label("Quantité").fill(quantity)
        page.get_by_label("Détails (taille, couleur, modèle…)").fill(details)
        page.get_by_role("button", name="Ajouter au panier").click()
        expect(page.get_by_text(f"« {name} » est ajouté à votre panier.")).to_be_visible()
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
