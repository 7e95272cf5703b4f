"""Passwords: a forgotten-password link valid one hour and only once, the same answer whether the
address has an account or not, and a change of password that asks for the current one."""
import pytest

from tests.conftest import path_of
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import move_clock, text_of, user_by_email, without_csrf

EMAIL = "awa@example.com"
NEW = "Un-nouveau-mot-de-passe-solide"
SENT = ("Si un compte existe à cette adresse, un lien pour choisir un nouveau mot de passe vient "
        "d'y être envoyé. Il est valable une heure.")
DEAD_LINK = "Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau."
WRONG_CURRENT = "Le mot de passe actuel est incorrect."


@pytest.fixture
def member(app):
    with app.app_context():
        make_user(EMAIL)


def can_log_in(app, password: str, email: str = EMAIL) -> bool:
    browser = app.test_client()
    return login(browser, email, password).status_code == 302


def reset_path(client, outbox, email: str = EMAIL) -> str:
    client.post_form("/mot-de-passe/oublie", {"email": email})
    return path_of(outbox.link(email, "reset"))


def choose(client, path: str, password: str = NEW, confirm: str | None = None):
    return client.post_form(path, {"password": password, "password_confirm": confirm or password})


# --- Forgotten password -------------------------------------------------------------------

def test_known_and_unknown_addresses_get_the_same_answer_and_only_an_account_gets_mail(
        app, outbox, member):
    pages = []
    for address in (EMAIL, "personne@example.com"):
        response = app.test_client().post_form("/mot-de-passe/oublie", {"email": address},
                                               follow_redirects=True)
        assert response.request.path == "/connexion"
        assert SENT in text_of(response)
        pages.append(without_csrf(response.get_data(as_text=True)))
    assert pages[0] == pages[1]
    assert len(outbox.to(EMAIL, "reset")) == 1
    assert outbox.to("personne@example.com") == []


@pytest.mark.parametrize("email, message", [
    ("", "Ce champ est obligatoire."),
    ("pas-une-adresse", "Adresse e-mail invalide."),
])
def test_a_bad_address_is_refused_in_french(client, outbox, member, email, message):
    response = client.post_form("/mot-de-passe/oublie", {"email": email})
    assert response.status_code == 200
    assert message in text_of(response)
    assert outbox.all() == []


def test_the_link_lets_the_member_choose_a_new_password(app, client, outbox, member):
    path = reset_path(client, outbox)
    assert "Choisissez un nouveau mot de passe" in text_of(client.get(path))
    response = choose(client, path)
    assert response.headers["Location"].startswith("/connexion")
    assert can_log_in(app, NEW)
    assert not can_log_in(app, PASSWORD)
    [notice] = outbox.to(EMAIL, "password_changed")
    assert notice.subject == "Votre mot de passe a été modifié"


def test_the_link_also_confirms_an_address_waiting_for_confirmation(app, client, outbox):
    with app.app_context():
        make_user(EMAIL, confirmed=False)
    choose(client, reset_path(client, outbox))
    assert user_by_email(app, EMAIL).is_confirmed
    assert can_log_in(app, NEW)


@pytest.mark.parametrize("minutes, valid", [(59, True), (61, False), (60 * 24, False)])
def test_the_link_is_valid_for_one_hour(app, client, outbox, member, monkeypatch, minutes, valid):
    path = reset_path(client, outbox)
    move_clock(monkeypatch, minutes=minutes)
    response = choose(client, path)
    assert can_log_in(app, NEW) is valid
    if not valid:
        assert response.headers["Location"] == "/mot-de-passe/oublie"
        assert DEAD_LINK in text_of(client.get("/mot-de-passe/oublie"))


@pytest.mark.parametrize("how", ["link used", "password changed in the account",
                                 "password reset through a newer link"])
def test_the_link_is_unusable_once_the_password_has_changed(app, client, outbox, member, how):
    path = reset_path(client, outbox)
    if how == "link used":
        choose(client, path)
    elif how == "password changed in the account":
        login(client)
        client.post_form("/compte/mot-de-passe", {
            "current_password": PASSWORD, "password": NEW, "password_confirm": NEW})
        client.post_form("/deconnexion")
    else:
        choose(client, reset_path(app.test_client(), outbox))
    for method in (client.get, lambda url: choose(client, url, "Encore-un-autre-mot-de-passe")):
        response = method(path)
        assert response.headers["Location"] == "/mot-de-passe/oublie"
    assert DEAD_LINK in text_of(client.get("/mot-de-passe/oublie"))
    assert can_log_in(app, NEW)


def test_a_link_for_another_purpose_or_tampered_is_refused(app, client, outbox, member):
    path = reset_path(client, outbox)
    for bad in (path[:-3] + "xyz", path.replace("/mot-de-passe/nouveau/", "/invitation/")):
        response = choose(client, bad)
        assert response.headers["Location"] == "/mot-de-passe/oublie"
    assert can_log_in(app, PASSWORD)


def test_resetting_the_password_ends_the_sessions_open_elsewhere(app, client, other_client,
                                                                outbox, member):
    login(other_client)
    choose(client, reset_path(client, outbox))
    assert other_client.get("/compte").status_code == 302


@pytest.mark.parametrize("password, confirm, message", [
    ("court", None, "au moins 10 caractères"),
    ("x" * 129, None, "ne doit pas dépasser 128 caractères"),
    ("azertyuiop", None, "trop courant"),
    ("Motdepasse2024!", None, "trop courant"),
    ("1234567890", None, "trop courant"),
    ("aaaaaaaaaaaa", None, "trop courant"),
    ("awa-mon-mot-de-passe", None, "trop courant"),  # starts with the address
    (NEW, "Pas-le-meme-mot-de-passe", "Les deux mots de passe ne correspondent pas."),
    ("", None, "Ce champ est obligatoire."),
])
def test_a_weak_new_password_is_refused_by_the_link_too(app, client, outbox, member, password,
                                                        confirm, message):
    path = reset_path(client, outbox)
    response = choose(client, path, password, confirm)
    assert response.status_code == 200
    assert message in text_of(response)
    assert can_log_in(app, PASSWORD)


# --- Change of password -------------------------------------------------------------------

def change(client, current: str, password: str = NEW, confirm: str | None = None):
    return client.post_form("/compte/mot-de-passe", {
        "current_password": current, "password": password, "password_confirm": confirm or password})


def test_changing_the_password_asks_for_the_current_one(app, client, outbox, member):
    login(client)
    response = change(client, PASSWORD)
    assert response.headers["Location"] == "/compte"
    assert "Votre mot de passe est modifié." in text_of(client.get("/compte"))
    assert can_log_in(app, NEW) and not can_log_in(app, PASSWORD)
    assert outbox.to(EMAIL, "password_changed")


@pytest.mark.parametrize("current", ["Pas-le-bon-mot-de-passe", PASSWORD.upper()])
def test_a_wrong_current_password_is_refused_in_french_and_nothing_changes(app, client, outbox,
                                                                          member, current):
    login(client)
    before = user_by_email(app, EMAIL).password_hash
    response = change(client, current)
    page = text_of(response)
    assert response.status_code == 200
    assert WRONG_CURRENT in page
    assert "Le formulaire contient des erreurs" in page
    assert user_by_email(app, EMAIL).password_hash == before
    assert can_log_in(app, PASSWORD)
    assert outbox.all() == []


@pytest.mark.parametrize("password, confirm, message", [
    ("court", None, "au moins 10 caractères"),
    ("azertyuiop", None, "trop courant"),
    ("Password123", None, "trop courant"),
    ("0000000000", None, "trop courant"),
    ("awa12345678", None, "trop courant"),
    (NEW, "Pas-le-meme-mot-de-passe", "Les deux mots de passe ne correspondent pas."),
])
def test_a_common_or_short_new_password_is_refused(app, client, outbox, member, password, confirm,
                                                   message):
    login(client)
    response = change(client, PASSWORD, password, confirm)
    assert response.status_code == 200
    assert message in text_of(response)
    assert can_log_in(app, PASSWORD)
    assert outbox.all() == []


def test_the_password_pages_need_a_session(client):
    assert client.get("/compte/mot-de-passe").headers["Location"].startswith("/connexion")
