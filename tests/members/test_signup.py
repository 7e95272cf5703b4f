"""Sign-up: an unconfirmed account, a confirmation link, and nothing saved on bad input."""
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import User
from tests.conftest import path_of
from tests.factories import make_user

GOOD = {
    "email": "Fatou.Ndiaye@Example.com",
    "password": "Mangues-et-papayes-2026",
    "password_confirm": "Mangues-et-papayes-2026",
    "full_name": "Fatou Ndiaye",
    "phone": "07 01 02 03 04",
    "preferred_channel": "whatsapp",
    "locale": "fr",
    "company_name": "",
    "company_registration": "",
}


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_signup_creates_an_unconfirmed_member_with_an_e164_phone(app, client, outbox):
    response = client.post_form("/inscription", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inscription/verifiez-vos-e-mails")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "fatou.ndiaye@example.com"
        assert user.phone == "+2250701020304"
        assert user.role == "member" and user.confirmed_at is None
    [mail] = outbox.to("fatou.ndiaye@example.com", "confirm")
    assert "Confirmez votre adresse e-mail" == mail.subject
    assert mail.status == "sent"


def test_the_confirmation_link_activates_the_account(app, client, outbox):
    client.post_form("/inscription", GOOD)
    link = outbox.link("fatou.ndiaye@example.com", "confirm")
    response = client.get(path_of(link), follow_redirects=True)
    assert "Votre adresse e-mail est confirmée" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)).confirmed_at is not None


def test_signup_with_a_known_address_reveals_nothing_and_warns_the_owner(app, client, outbox):
    with app.app_context():
        make_user("fatou.ndiaye@example.com")
    response = client.post_form("/inscription", GOOD)
    assert response.headers["Location"].endswith("/inscription/verifiez-vos-e-mails")
    assert count_users(app) == 1
    assert outbox.to("fatou.ndiaye@example.com", "signup_existing")


@pytest.mark.parametrize("field, value, message", [
    ("email", "", "Ce champ est obligatoire."),
    ("email", "pas-une-adresse", "Adresse e-mail invalide."),
    ("email", "a" * 250 + "@x.com", "254 caractères au maximum."),
    ("password", "court", "au moins 10 caractères"),
    ("password", "azertyuiop", "trop courant"),
    ("password", "motdepasse2024", "trop courant"),
    ("password", "1234567890", "trop courant"),
    ("password_confirm", "autre-chose-encore", "ne correspondent pas"),
    ("full_name", "", "Ce champ est obligatoire."),
    ("full_name", "x" * 121, "Entre 2 et 120 caractères."),
    ("full_name", "Fatou\x00Ndiaye", "caractères non autorisés"),
    ("full_name", "Fatou\r\nBcc: x@y.z", "une seule ligne"),
    ("phone", "", "Ce champ est obligatoire."),
    ("phone", "12", "Numéro de téléphone invalide"),
    ("phone", "not a number", "Numéro de téléphone invalide"),
    ("preferred_channel", "pigeon", "N'est pas un choix valide."),
    ("locale", "de", "N'est pas un choix valide."),
    ("company_name", "x" * 161, "160 caractères au maximum."),
])
def test_bad_input_is_refused_in_french_and_nothing_is_saved(app, client, outbox, field, value,
                                                             message):
    data = GOOD | {field: value}
    if field == "password":
        data["password_confirm"] = value
    response = client.post_form("/inscription", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in page
    assert message.replace("'", "&#39;") in page or message in page
    assert count_users(app) == 0
    assert outbox.all() == []


def test_a_phone_in_another_region_needs_its_country_code(app, client):
    response = client.post_form("/inscription", GOOD | {"phone": "+221 77 123 45 67"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.phone)) == "+221771234567"
