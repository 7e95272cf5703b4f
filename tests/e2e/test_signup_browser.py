"""A member signs up, confirms the address from the mail, and logs in — on a phone."""
from playwright.sync_api import expect

from tests.factories import PASSWORD


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_signs_up_confirms_and_logs_in_on_a_phone(phone, outbox, shots):
    page = phone
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").first.click()
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    assert fits_the_screen(page)

    page.get_by_label("Adresse e-mail").fill("mariam.toure@example.com")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_label("Nom complet").fill("Mariam Touré")
    page.get_by_label("Téléphone (WhatsApp)").fill("07 08 09 10 11")
    page.get_by_label("WhatsApp", exact=True).check()
    shots(page, "signup-form")
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", name="Vérifiez vos e-mails")).to_be_visible()
    shots(page, "check-your-mail")

    link = outbox.link("mariam.toure@example.com", "confirm")
    page.goto(link)
    expect(page.get_by_text("Votre adresse e-mail est confirmée")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail")).to_have_value("mariam.toure@example.com")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    shots(page, "login")
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_text("Bonjour Mariam Touré, vous êtes connecté.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mes commandes")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Ouvrir le menu").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Mariam Touré")
    shots(page, "logged-in")


def test_login_is_refused_until_the_address_is_confirmed(phone, outbox):
    page = phone
    page.goto("/inscription")
    page.get_by_label("Adresse e-mail").fill("ibrahim@example.com")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_label("Nom complet").fill("Ibrahim Sow")
    page.get_by_label("Téléphone (WhatsApp)").fill("+221 77 123 45 67")
    page.get_by_role("button", name="Créer mon compte").click()
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("ibrahim@example.com")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("unconfirmed")).to_be_visible()
    page.get_by_role("link", name="Recevoir un nouveau lien").click()
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_text("un nouveau lien vient d'y être envoyé")).to_be_visible()
    assert len(outbox.to("ibrahim@example.com", "confirm")) == 2
