"""The portal with the keyboard alone: every control used here is reached with Tab (never
clicked), shows where the focus is, and works with Enter or Space. A member logs in, fills the
cart and sends a request; staff open a hidden form (collapse) and record a purchase."""
from playwright.sync_api import expect

from tests.e2e.test_whole_journey import ITEMS, the_agency
from tests.factories import PASSWORD, make_address, make_user
from tests.payments import builders

MAX_TABS = 80
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const label = e.labels && e.labels[0] ? e.labels[0].innerText : "";
  return {name: (e.getAttribute("aria-label") || label || e.innerText || e.value || "").trim(),
          visible: style.outlineStyle !== "none" || style.boxShadow !== "none"};
}"""


def tab_to(page, name: str) -> None:
    """Press Tab until the focused control's label or text starts with `name`; every control
    passed on the way must show a focus indicator."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["visible"], f"no visible focus on {focused['name']!r} ({page.url})"
        if focused["name"].startswith(name):
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab on {page.url}")


def follow(page, name: str) -> None:
    """Tab to a link or button that loads a new page and press Enter."""
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.type(text)


def test_the_skip_link_is_the_first_stop_and_moves_to_the_content(phone):
    phone.goto("/")
    phone.keyboard.press("Tab")
    assert phone.evaluate(FOCUSED)["name"] == "Aller au contenu"
    phone.keyboard.press("Enter")
    assert phone.evaluate("location.hash") == "#contenu"


def test_a_member_logs_in_fills_the_cart_and_sends_a_request_with_the_keyboard(app, desktop,
                                                                               shots):
    the_agency(app)
    with app.app_context():
        make_address(make_user("aissata.kone@example.com", full_name="Aïssata Koné"),
                     label="Maison")
    page = desktop
    page.goto("/connexion")
    type_into(page, "Adresse e-mail", "aissata.kone@example.com")
    type_into(page, "Mot de passe", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mes commandes")).to_be_visible()

    follow(page, "Mon panier")
    name, url, quantity, details = ITEMS[0]
    type_into(page, "Nom de l'article", name)
    type_into(page, "Lien vers l'article", url)
    tab_to(page, "Quantité")
    page.keyboard.press("Control+A")
    page.keyboard.type(quantity)
    type_into(page, "Détails", details)
    follow(page, "Ajouter au panier")
    expect(page.get_by_text(f"« {name} » est ajouté à votre panier.")).to_be_visible()

    follow(page, "Demander une proforma")
    tab_to(page, "Retrait dans un de nos points de retrait")
    page.keyboard.press("Space")
    tab_to(page, "Point de retrait")
    page.keyboard.press("ArrowDown")
    tab_to(page, "J'ai lu et j'accepte")
    page.keyboard.press("Space")
    shots(page, "request-by-keyboard")
    follow(page, "Envoyer ma demande")
    expect(page.get_by_text("est envoyée. Nous vous enverrons une proforma.")).to_be_visible()


def test_staff_open_a_folded_form_and_record_a_purchase_with_the_keyboard(app, desktop, shots):
    with app.app_context():
        builders.agency()
        staff = builders.staff_member()
        order = builders.quoted(builders.member(), staff)
        builders.confirmed(order, staff)
        order_id = order.id
    page = desktop
    page.goto("/connexion")
    type_into(page, "Adresse e-mail", "moussa@agence.example")
    type_into(page, "Mot de passe", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Back-office")).to_be_visible()
    page.goto(f"/equipe/commandes/{order_id}")
    tab_to(page, "Commande passée chez le marchand")
    page.keyboard.press("Enter")
    type_into(page, "N° de commande chez le marchand", "AMZ-404-1234567")
    shots(page, "purchase-by-keyboard")
    follow(page, "Enregistrer l'achat")
    expect(page.get_by_test_id("status")).to_have_text("Achetée auprès du marchand")
