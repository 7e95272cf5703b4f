"""Login, remember-me and logout: a wrong password and an unknown account look the same, `next`
never leads off-site, and ending sessions (logout, new password, "everywhere") really ends them."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import User
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import text_of, user_by_email, without_csrf

REFUSED = "Adresse e-mail ou mot de passe incorrect."
REMEMBER_COOKIE = "remember_token"


def is_logged_in(client) -> bool:
    response = client.get("/compte")
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.fixture
def member(app):
    with app.app_context():
        return make_user("awa@example.com")


@pytest.mark.parametrize("role, home", [
    ("member", "/commandes"), ("staff", "/equipe/"), ("admin", "/equipe/"),
])
def test_login_greets_the_person_and_opens_their_space(app, client, role, home):
    with app.app_context():
        make_user("awa@example.com", role=role)
    response = login(client, "  AWA@Example.com ")
    assert response.status_code == 302
    assert response.headers["Location"] == home
    page = text_of(client.get(home))
    assert "Bonjour Awa Koné, vous êtes connecté." in page
    assert "Connecté :" in page
    assert user_by_email(app, "awa@example.com").last_login_at is not None


@pytest.mark.parametrize("remember", [True, False])
def test_remember_me_keeps_the_member_logged_in_after_the_browser_session(app, client, member,
                                                                         remember):
    login(client, remember="y" if remember else "")
    cookie = client.get_cookie(REMEMBER_COOKIE)
    assert (cookie is not None) is remember
    if remember:
        assert cookie.http_only and cookie.same_site == "Lax"
    client.delete_cookie("session")  # the browser was closed
    assert is_logged_in(client) is remember


def test_a_wrong_password_and_an_unknown_account_give_the_same_page(app, client, other_client):
    unknown = login(client, "awa@example.com", "Un-mot-de-passe-au-hasard")
    with app.app_context():
        make_user("awa@example.com")
    wrong = login(other_client, "awa@example.com", "Un-mot-de-passe-au-hasard")
    assert unknown.status_code == wrong.status_code == 200
    assert REFUSED in text_of(wrong)
    assert (without_csrf(unknown.get_data(as_text=True))
            == without_csrf(wrong.get_data(as_text=True)))
    assert not is_logged_in(client) and not is_logged_in(other_client)


@pytest.mark.parametrize("field, value, message", [
    ("email", "", "Ce champ est obligatoire."),
    ("email", "pas-une-adresse", "Adresse e-mail invalide."),
    ("password", "", "Ce champ est obligatoire."),
    ("password", "x" * 129, "128 caractères au maximum."),
])
def test_a_bad_login_form_is_refused_in_french(client, member, field, value, message):
    response = login(client, **{"email": "awa@example.com", "password": PASSWORD, field: value})
    assert response.status_code == 200
    assert message in text_of(response)
    assert not is_logged_in(client)


def test_a_deactivated_account_cannot_log_in(app, client):
    with app.app_context():
        make_user("awa@example.com", is_active_account=False)
    assert REFUSED in text_of(login(client))
    assert not is_logged_in(client)


@pytest.mark.parametrize("target", ["/compte/adresses", "/compte/profil?onglet=1"])
def test_next_brings_the_member_back_where_they_were(client, member, target):
    response = client.post_form("/connexion", {"email": "awa@example.com", "password": PASSWORD},
                                query_string={"next": target})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.com", "https://evil.com", "/\\evil.com", "\\\\evil.com", "http:/evil.com",
    "javascript:alert(1)", "/\t/evil.com", "evil.com", "%2F%2Fevil.com",
])
def test_an_off_site_next_is_ignored(client, member, target):
    response = client.post_form("/connexion", {"email": "awa@example.com", "password": PASSWORD},
                                query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/commandes"


def test_logout_is_a_post_that_ends_the_session(client, member):
    login(client)
    assert client.get("/deconnexion").status_code == 405
    assert is_logged_in(client)
    response = client.post_form("/deconnexion", follow_redirects=True)
    assert "Vous êtes déconnecté." in text_of(response)
    assert not is_logged_in(client)


def test_logout_without_the_csrf_token_is_refused(client, member):
    login(client)
    assert client.post("/deconnexion").status_code == 400
    assert is_logged_in(client)


def test_logout_also_forgets_the_remembered_login(client, member):
    login(client, remember="y")
    client.post_form("/deconnexion")
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert not is_logged_in(client)


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(client, other_client,
                                                                        member):
    login(client)
    login(other_client, remember="y")
    new = "Un-nouveau-mot-de-passe-solide"
    response = client.post_form("/compte/mot-de-passe", {
        "current_password": PASSWORD, "password": new, "password_confirm": new})
    assert response.headers["Location"] == "/compte"
    assert is_logged_in(client)
    assert not is_logged_in(other_client)
    other_client.delete_cookie("session")  # the remembered login is dead too
    assert not is_logged_in(other_client)


def test_logging_out_everywhere_ends_the_other_sessions_but_keeps_this_one(client, other_client,
                                                                         member):
    login(client)
    login(other_client, remember="y")
    response = client.post_form("/compte/deconnecter-partout", follow_redirects=True)
    assert "Toutes vos autres sessions sont fermées." in text_of(response)
    assert is_logged_in(client)
    assert not is_logged_in(other_client)
    other_client.delete_cookie("session")
    assert not is_logged_in(other_client)


def test_logging_out_everywhere_needs_a_session(client):
    response = client.post_form("/compte/deconnecter-partout")
    assert response.headers["Location"].startswith("/connexion")


def test_login_starts_a_fresh_session(client, member):
    client.get("/")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        anonymous_token = session["csrf_token"]
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != anonymous_token
        assert session["lang"] == "fr"


def test_a_logged_in_member_visiting_the_login_page_goes_to_their_space(client, member):
    login(client)
    assert client.get("/connexion").headers["Location"] == "/commandes"


def test_the_login_page_fills_in_the_address_from_the_link(client):
    page = text_of(client.get("/connexion?email=awa@example.com"))
    assert 'value="awa@example.com"' in page


def test_a_member_deleted_meanwhile_is_logged_out(app, client, member):
    login(client)
    with app.app_context():
        db.session.delete(db.session.scalar(select(User).where(User.email == "awa@example.com")))
        db.session.commit()
    assert not is_logged_in(client)
