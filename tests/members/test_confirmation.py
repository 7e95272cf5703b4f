"""Confirmation: a signed link valid 48 hours activates the account; until then login is refused
with an offer of a new link, and asking for a new link never reveals who has an account."""
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.members import tokens
from tests.conftest import path_of
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import move_clock, text_of, user_by_email, without_csrf

EMAIL = "fatou.ndiaye@example.com"
SIGNUP = {
    "email": EMAIL, "password": "Mangues-et-papayes-2026",
    "password_confirm": "Mangues-et-papayes-2026", "full_name": "Fatou Ndiaye",
    "phone": "07 01 02 03 04", "preferred_channel": "whatsapp", "locale": "fr",
}
RESENT = ("Si un compte attend d'être confirmé à cette adresse, un nouveau lien vient d'y "
          "être envoyé.")
REFUSED_LINK = "Ce lien de confirmation n'est pas valide ou a expiré."
UNCONFIRMED = "Votre adresse e-mail n'est pas encore confirmée"


def is_confirmed(app, email: str = EMAIL) -> bool:
    return user_by_email(app, email).is_confirmed


@pytest.fixture
def confirm_path(client, outbox) -> str:
    """Sign up through the form and return the path of the confirmation link received."""
    client.post_form("/inscription", SIGNUP)
    return path_of(outbox.link(EMAIL, "confirm"))


def test_the_link_confirms_the_account_and_then_the_member_can_log_in(app, client, confirm_path):
    response = client.get(confirm_path)
    assert response.headers["Location"].startswith("/connexion")
    assert is_confirmed(app)
    response = login(client, EMAIL, SIGNUP["password"])
    assert response.status_code == 302
    assert client.get("/compte").status_code == 200


@pytest.mark.parametrize("delay, accepted", [
    (timedelta(hours=47, minutes=59), True),
    (timedelta(hours=48, minutes=1), False),
    (timedelta(days=30), False),
])
def test_the_link_is_valid_for_48_hours(app, client, confirm_path, monkeypatch, delay, accepted):
    move_clock(monkeypatch, seconds=delay.total_seconds())
    page = text_of(client.get(confirm_path, follow_redirects=True))
    assert is_confirmed(app) is accepted
    assert ("Votre adresse e-mail est confirmée" in page) is accepted
    assert (REFUSED_LINK in page) is not accepted


def tampered(path: str, app) -> dict[str, str]:
    """The confirmation token of `path`, spoiled in several ways."""
    token = path.rsplit("/", 1)[1]
    payload, stamp, signature = token.split(".")

    def change_last(text: str) -> str:
        return text[:-1] + ("A" if text[-1] != "A" else "B")

    with app.app_context():
        other_payload = tokens.make("confirm", uid=999, email="x@example.com").split(".")[0]
        reset_token = tokens.make("reset", uid=1, email=EMAIL)
    foreign_key = URLSafeTimedSerializer("another-secret-key", salt="portal-confirm")
    return {
        "signature changed": f"{payload}.{stamp}.{change_last(signature[:-1])}{signature[-1]}",
        "payload of another account": f"{other_payload}.{stamp}.{signature}",
        "date changed": f"{payload}.{change_last(stamp)}.{signature}",
        "made for another purpose": reset_token,
        "signed with another key": foreign_key.dumps({"uid": 1, "email": EMAIL}),
        "truncated": token[:-5],
        "not a token": "%C3%A9t%C3%A9.ZZ.%00",
    }


@pytest.mark.parametrize("kind", [
    "signature changed", "payload of another account", "date changed",
    "made for another purpose", "signed with another key", "truncated", "not a token",
])
def test_a_tampered_link_is_refused(app, client, confirm_path, kind):
    bad = tampered(confirm_path, app)[kind]
    response = client.get(f"/confirmer/{bad}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/confirmation/renvoyer")
    page = text_of(client.get(response.headers["Location"]))
    assert REFUSED_LINK in page
    assert not is_confirmed(app)


def test_login_before_confirmation_is_refused_with_an_offer_of_a_new_link(app, client,
                                                                          confirm_path):
    response = login(client, EMAIL, SIGNUP["password"])
    page = text_of(response)
    assert response.status_code == 200
    assert UNCONFIRMED in page
    assert 'href="/confirmation/renvoyer?email=fatou.ndiaye@example.com"' in page
    assert client.get("/compte").status_code == 302


def test_with_a_wrong_password_an_unconfirmed_account_looks_like_any_refusal(app, client):
    with app.app_context():
        make_user(EMAIL, confirmed=False)
    page = text_of(login(client, EMAIL, "Pas-le-bon-mot-de-passe"))
    assert UNCONFIRMED not in page
    assert "/confirmation/renvoyer" not in page
    assert "Adresse e-mail ou mot de passe incorrect." in page


@pytest.mark.parametrize("state, mails", [("unknown", 0), ("confirmed", 0), ("unconfirmed", 1)])
def test_resending_answers_the_same_and_mails_only_an_unconfirmed_account(app, client, outbox,
                                                                          state, mails):
    if state != "unknown":
        with app.app_context():
            make_user(EMAIL, confirmed=state == "confirmed")
    response = client.post_form("/confirmation/renvoyer", {"email": EMAIL})
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert RESENT in text_of(client.get("/connexion"))
    assert len(outbox.to(EMAIL, "confirm")) == mails


def test_resending_shows_byte_identical_pages_whatever_the_account(app):
    pages = []
    for state in ("unknown", "confirmed", "unconfirmed"):
        address = f"{state}@example.com"
        if state != "unknown":
            with app.app_context():
                make_user(address, confirmed=state == "confirmed")
        browser = app.test_client()
        page = browser.post_form("/confirmation/renvoyer", {"email": address},
                                 follow_redirects=True).get_data(as_text=True)
        pages.append(without_csrf(page))
    assert pages[0] == pages[1] == pages[2]


def test_the_resent_link_confirms_the_account(app, client, outbox):
    with app.app_context():
        make_user(EMAIL, confirmed=False)
    client.post_form("/confirmation/renvoyer", {"email": EMAIL.upper()})
    client.get(path_of(outbox.link(EMAIL, "confirm")))
    assert is_confirmed(app)
    assert login(client, EMAIL, PASSWORD).status_code == 302
    assert client.get("/compte").status_code == 200


def test_the_offered_link_fills_in_the_address(client):
    page = client.get("/confirmation/renvoyer?email=fatou.ndiaye%40example.com").get_data(
        as_text=True)
    assert 'value="fatou.ndiaye@example.com"' in page


@pytest.mark.parametrize("email, message", [
    ("", "Ce champ est obligatoire."),
    ("pas-une-adresse", "Adresse e-mail invalide."),
])
def test_resending_to_a_bad_address_is_refused_in_french(client, outbox, email, message):
    response = client.post_form("/confirmation/renvoyer", {"email": email})
    assert response.status_code == 200
    assert message in text_of(response)
    assert outbox.all() == []
