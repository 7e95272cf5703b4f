"""Profile: contact details saved with the phone in E.164, bad input refused in French with nothing
changed, and a change of e-mail that happens only once the new address has confirmed it."""
import pytest

from tests.conftest import path_of
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import move_clock, text_of, user_by_email, without_csrf

EMAIL = "awa@example.com"
NEW_EMAIL = "awa.kone@exemple.ci"
PROFILE = {
    "full_name": "Awa Koné-Traoré",
    "phone": "07 05 06 07 08",
    "preferred_channel": "email",
    "locale": "en",
    "company_name": "Sahel Import SARL",
    "company_registration": "CI-ABJ-2024-B-12345",
}
PROFILE_COLUMNS = ("full_name", "phone", "preferred_channel", "locale", "company_name",
                   "company_registration")


@pytest.fixture
def member(app, client):
    with app.app_context():
        make_user(EMAIL, company_name="Ancienne société")
    login(client)


def profile_of(app, email: str = EMAIL) -> dict:
    user = user_by_email(app, email)
    return {name: getattr(user, name) for name in PROFILE_COLUMNS}


# --- Contact details ----------------------------------------------------------------------

def test_the_profile_is_saved_with_the_phone_in_e164(app, client, member):
    response = client.post_form("/compte/profil", PROFILE)
    assert response.headers["Location"] == "/compte"
    assert profile_of(app) == PROFILE | {"phone": "+2250705060708"}
    page = text_of(client.get("/compte"))
    assert "Your details have been saved." in page


def test_the_chosen_language_is_used_from_then_on(client, member):
    client.post_form("/compte/profil", PROFILE)
    assert '<html lang="en">' in client.get("/compte").get_data(as_text=True)


@pytest.mark.parametrize("phone, stored", [
    ("+221 77 123 45 67", "+221771234567"),
    ("00237 6 71 23 45 67", "+237671234567"),
    ("+262 692 12 34 56", "+262692123456"),
    ("0701020304", "+2250701020304"),
])
def test_phones_of_other_countries_are_stored_in_e164(app, client, member, phone, stored):
    client.post_form("/compte/profil", PROFILE | {"phone": phone})
    assert profile_of(app)["phone"] == stored


def test_blank_company_fields_are_cleared(app, client, member):
    client.post_form("/compte/profil", PROFILE | {"company_name": "  ", "company_registration": ""})
    assert profile_of(app)["company_name"] is None
    assert profile_of(app)["company_registration"] is None


@pytest.mark.parametrize("field, value, message", [
    ("full_name", "", "Ce champ est obligatoire."),
    ("full_name", "A", "Entre 2 et 120 caractères."),
    ("full_name", "x" * 121, "Entre 2 et 120 caractères."),
    ("full_name", "Awa\x00Koné", "caractères non autorisés"),
    ("full_name", "Awa\u202eénoK", "caractères non autorisés"),
    ("full_name", "Awa\r\nKoné", "une seule ligne"),
    ("phone", "", "Ce champ est obligatoire."),
    ("phone", "12", "Numéro de téléphone invalide"),
    ("phone", "+33 1", "Numéro de téléphone invalide"),
    ("phone", "appelez-moi", "Numéro de téléphone invalide"),
    ("phone", "0" * 31, "30 caractères au maximum."),
    ("preferred_channel", "pigeon", "N'est pas un choix valide."),
    ("locale", "de", "N'est pas un choix valide."),
    ("company_name", "x" * 161, "160 caractères au maximum."),
    ("company_registration", "x" * 61, "60 caractères au maximum."),
])
def test_bad_input_is_refused_in_french_and_nothing_changes(app, client, member, field, value,
                                                            message):
    before = profile_of(app)
    response = client.post_form("/compte/profil", PROFILE | {field: value})
    page = text_of(response)
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in page
    assert message in page
    assert profile_of(app) == before


def test_the_profile_page_needs_a_session(client):
    assert client.get("/compte/profil").headers["Location"].startswith("/connexion")


# --- Change of e-mail ---------------------------------------------------------------------

def ask_email_change(client, email: str = NEW_EMAIL, password: str = PASSWORD):
    return client.post_form("/compte/e-mail", {"email": email, "current_password": password})


@pytest.mark.parametrize("password, message", [
    ("Pas-le-bon-mot-de-passe", "Le mot de passe actuel est incorrect."),
    ("", "Ce champ est obligatoire."),
])
def test_changing_the_e_mail_needs_the_current_password(app, client, outbox, member, password,
                                                        message):
    response = ask_email_change(client, password=password)
    assert response.status_code == 200
    assert message in text_of(response)
    assert outbox.all() == []
    assert user_by_email(app, EMAIL) is not None


@pytest.mark.parametrize("email, message", [
    ("", "Ce champ est obligatoire."),
    ("pas-une-adresse", "Adresse e-mail invalide."),
    ("a" * 250 + "@x.com", "254 caractères au maximum."),
])
def test_a_bad_new_address_is_refused_in_french(client, outbox, member, email, message):
    response = ask_email_change(client, email)
    assert response.status_code == 200
    assert message in text_of(response)
    assert outbox.all() == []


def test_the_link_goes_to_the_new_address_and_the_change_waits_for_it(app, client, outbox,
                                                                      member):
    response = ask_email_change(client, "  Awa.Kone@Exemple.CI ")
    assert response.headers["Location"] == "/compte"
    assert "Un lien de confirmation a été envoyé à" in text_of(client.get("/compte"))
    [mail] = outbox.to(NEW_EMAIL, "email_change")
    assert mail.subject == "Confirmez votre nouvelle adresse e-mail"
    assert outbox.to(EMAIL, "email_change") == []
    assert user_by_email(app, EMAIL) is not None
    assert user_by_email(app, NEW_EMAIL) is None


def test_following_the_link_changes_the_address_and_tells_the_old_one(app, client, outbox,
                                                                      member):
    ask_email_change(client)
    response = client.get(path_of(outbox.link(NEW_EMAIL, "email_change")), follow_redirects=True)
    assert f"Votre adresse e-mail est maintenant {NEW_EMAIL}." in text_of(response)
    assert user_by_email(app, EMAIL) is None
    assert user_by_email(app, NEW_EMAIL) is not None
    [notice] = outbox.to(EMAIL, "email_changed")
    assert NEW_EMAIL in notice.body_text
    assert login(app.test_client(), NEW_EMAIL).status_code == 302
    assert login(app.test_client(), EMAIL).status_code == 200


@pytest.mark.parametrize("later, valid", [({"hours": 47}, True), ({"hours": 49}, False)])
def test_the_e_mail_change_link_is_valid_for_48_hours(app, client, outbox, member, monkeypatch,
                                                      later, valid):
    ask_email_change(client)
    move_clock(monkeypatch, **later)
    response = client.get(path_of(outbox.link(NEW_EMAIL, "email_change")), follow_redirects=True)
    assert (user_by_email(app, NEW_EMAIL) is not None) is valid
    assert ("Ce lien n'est pas valide ou a expiré." in text_of(response)) is not valid


def test_the_link_is_refused_once_used_or_when_the_address_was_taken_meanwhile(app, client,
                                                                             outbox, member):
    ask_email_change(client)
    link = path_of(outbox.link(NEW_EMAIL, "email_change"))
    with app.app_context():
        make_user(NEW_EMAIL, full_name="Quelqu'un d'autre")
    response = client.get(link, follow_redirects=True)
    assert "Ce lien n'est pas valide ou a expiré." in text_of(response)
    assert user_by_email(app, EMAIL) is not None
    assert user_by_email(app, NEW_EMAIL).full_name == "Quelqu'un d'autre"


def test_a_tampered_e_mail_change_link_is_refused(app, client, outbox, member):
    ask_email_change(client)
    link = path_of(outbox.link(NEW_EMAIL, "email_change"))
    client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))
    assert user_by_email(app, EMAIL) is not None


def test_an_address_used_by_another_account_changes_nothing_and_reveals_nothing(app, client,
                                                                                outbox, member):
    with app.app_context():
        make_user("binta@example.com", full_name="Binta Diop")
    taken = ask_email_change(client, "binta@example.com", )
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    free = ask_email_change(client, "libre@example.com")
    free_page = client.get(free.headers["Location"]).get_data(as_text=True)
    assert taken.headers["Location"] == free.headers["Location"] == "/compte"
    assert (without_csrf(taken_page).replace("binta@example.com", "ADDRESS")
            == without_csrf(free_page).replace("libre@example.com", "ADDRESS"))
    assert outbox.to("binta@example.com", "email_change") == []
    [warning] = outbox.to("binta@example.com", "email_taken")
    assert "Rien n'a été modifié." in warning.body_text
    assert user_by_email(app, EMAIL) is not None
    assert user_by_email(app, "binta@example.com").full_name == "Binta Diop"
