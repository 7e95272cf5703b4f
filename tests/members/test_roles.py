"""Roles: anonymous visitors are sent to login and brought back, members never enter the back
office, only admins manage the team (by invitation), `flask users create-admin` makes an admin,
and staff find members by name, e-mail, phone or company."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import User
from tests.conftest import path_of
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import text_of, user_by_email

# Every back-office page, with the method a person uses on it ({id} is filled in).
STAFF_PAGES = [
    ("get", "/equipe/"),
    ("get", "/equipe/membres"),
    ("get", "/equipe/envois"),
    ("post", "/equipe/envois/{id}/relancer"),
    ("get", "/equipe/comptes-equipe"),
    ("post", "/equipe/comptes-equipe"),
    ("get", "/equipe/boutiques"),
    ("get", "/equipe/boutiques/nouvelle"),
    ("get", "/equipe/boutiques/{id}"),
    ("post", "/equipe/boutiques/{id}/deplacer/{direction}"),
    ("post", "/equipe/boutiques/{id}/visibilite"),
    ("get", "/equipe/points-de-retrait"),
    ("get", "/equipe/points-de-retrait/{id}"),
    ("get", "/equipe/conditions-generales"),
    ("get", "/equipe/commandes"),
    ("get", "/equipe/commandes.csv"),
    ("get", "/equipe/commandes/{id}"),
    ("post", "/equipe/commandes/{id}/notes"),
    ("post", "/equipe/commandes/{id}/annuler"),
    ("post", "/equipe/commandes/{id}/achat"),
    ("post", "/equipe/commandes/{id}/expedition"),
    ("post", "/equipe/commandes/{id}/arrivee"),
    ("post", "/equipe/commandes/{id}/facture/correction"),
    ("post", "/equipe/commandes/{id}/messages"),
    ("post", "/equipe/commandes/{id}/remise"),
    ("get", "/equipe/messages"),
    ("post", "/equipe/messages/{id}/classer"),
    ("file", "/equipe/messages/{id}/media/{index}"),  # a 404 without such a message
    ("file", "/equipe/messages/{id}/media/{index}/preuve"),
    ("get", "/equipe/retrait"),
    ("get", "/equipe/parametres"),
    ("file", "/equipe/parametres/logo"),  # a 404 until a logo is uploaded
    ("get", "/equipe/moyens-de-paiement"),
    ("get", "/equipe/moyens-de-paiement/{id}"),
    ("post", "/equipe/moyens-de-paiement/{id}/deplacer/{direction}"),
    ("post", "/equipe/moyens-de-paiement/{id}/activation"),
]
ADMIN_ONLY = {"/equipe/comptes-equipe", "/equipe/points-de-retrait",
              "/equipe/points-de-retrait/{id}", "/equipe/conditions-generales",
              "/equipe/parametres", "/equipe/moyens-de-paiement",
              "/equipe/moyens-de-paiement/{id}"}
MEMBER_PAGES = ["/compte", "/compte/profil", "/compte/mot-de-passe", "/compte/e-mail",
                "/compte/adresses", "/compte/adresses/nouvelle", "/notifications"]
NEW_STAFF_PASSWORD = "Le-marche-de-Treichville-7"


def visit(client, method: str, url: str):
    url = url.format(id=1, direction="haut", index=0)
    return client.get(url) if method in ("get", "file") else client.post_form(url)


@pytest.fixture
def as_role(app, client):
    """Log `client` in with an account of the given role."""
    def log_in(role: str):
        with app.app_context():
            make_user(f"{role}@example.com", role=role, full_name=f"Compte {role}")
        assert login(client, f"{role}@example.com").status_code == 302
    return log_in


def test_the_list_of_back_office_pages_is_complete(app):
    listed = {re.sub(r"\{\w+\}", "{}", url) for _method, url in STAFF_PAGES}
    staff_rules = {re.sub(r"<[^>]+>", "{}", rule.rule) for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("staff.")}
    assert staff_rules == listed


# --- Anonymous visitors -------------------------------------------------------------------

@pytest.mark.parametrize("path, role", [(p, "member") for p in MEMBER_PAGES]
                         + [(url, "staff") for method, url in STAFF_PAGES
                            if method == "get" and url not in ADMIN_ONLY and "{" not in url]
                         + [("/equipe/comptes-equipe", "admin"), ("/equipe/membres?q=awa",
                                                                  "staff")])
def test_anonymous_visitors_are_sent_to_login_and_brought_back(app, client, path, role):
    response = client.get(path)
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/connexion?next=")
    assert "Connectez-vous pour accéder à cette page." in text_of(client.get(login_url))
    with app.app_context():
        make_user(f"{role}@example.com", role=role)
    response = client.post_form(login_url, {"email": f"{role}@example.com",
                                            "password": PASSWORD})
    assert response.headers["Location"] == path
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("method, url", [(m, u) for m, u in STAFF_PAGES if m == "post"])
def test_anonymous_posts_to_the_back_office_change_nothing(client, method, url):
    response = visit(client, method, url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


# --- Members, staff and admins ------------------------------------------------------------

@pytest.mark.parametrize("method, url", STAFF_PAGES)
def test_a_member_is_refused_every_back_office_page(client, as_role, method, url):
    as_role("member")
    response = visit(client, method, url)
    assert response.status_code == 403
    assert "Accès refusé" in text_of(response)


@pytest.mark.parametrize("method, url", [(m, u) for m, u in STAFF_PAGES
                                         if m == "get" and "{" not in u])
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_get_the_back_office_and_only_admins_manage_the_team(client, as_role, role, method,
                                                                   url):
    as_role(role)
    response = visit(client, method, url)
    expected = 403 if url in ADMIN_ONLY and role == "staff" else 200
    assert response.status_code == expected


def test_staff_cannot_create_team_accounts(app, client, as_role, outbox):
    as_role("staff")
    response = client.post_form("/equipe/comptes-equipe", {
        "email": "nouveau@example.com", "full_name": "Nouveau", "role": "admin"})
    assert response.status_code == 403
    assert user_by_email(app, "nouveau@example.com") is None
    assert outbox.all() == []


@pytest.mark.parametrize("role, sees_admin_link", [("staff", False), ("admin", True)])
def test_the_back_office_offers_team_management_only_to_admins(client, as_role, role,
                                                              sees_admin_link):
    as_role(role)
    page = client.get("/equipe/").get_data(as_text=True)
    for admin_page in ("/equipe/comptes-equipe", "/equipe/parametres",
                       "/equipe/moyens-de-paiement"):
        assert (f'href="{admin_page}"' in page) is sees_admin_link


# --- Team accounts ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "admin"])
def test_an_admin_creates_a_team_account_and_the_person_chooses_a_password(app, client, as_role,
                                                                         outbox, role):
    as_role("admin")
    response = client.post_form("/equipe/comptes-equipe", {
        "email": " Koffi.Mensah@Example.com ", "full_name": "Koffi Mensah", "role": role})
    assert response.headers["Location"] == "/equipe/comptes-equipe"
    page = text_of(client.get("/equipe/comptes-equipe"))
    assert "Le compte de Koffi Mensah est créé" in page
    assert "invitation envoyée" in page
    created = user_by_email(app, "koffi.mensah@example.com")
    assert created.role == role and created.password_hash is None

    [invitation] = outbox.to("koffi.mensah@example.com", "staff_invite")
    assert invitation.subject == "Votre compte sur le portail"
    link = path_of(outbox.link("koffi.mensah@example.com", "staff_invite"))
    newcomer = app.test_client()
    assert "Bienvenue, Koffi Mensah" in text_of(newcomer.get(link))
    response = newcomer.post_form(link, {"password": NEW_STAFF_PASSWORD,
                                         "password_confirm": NEW_STAFF_PASSWORD})
    assert response.headers["Location"].startswith("/connexion")
    response = login(newcomer, "koffi.mensah@example.com", NEW_STAFF_PASSWORD)
    assert response.headers["Location"] == "/equipe/"
    assert newcomer.get("/equipe/membres").status_code == 200
    assert "actif" in text_of(client.get("/equipe/comptes-equipe"))
    assert newcomer.get(link).headers["Location"] == "/mot-de-passe/oublie"  # used once only


def test_the_invitation_refuses_a_weak_password(app, client, as_role, outbox):
    as_role("admin")
    client.post_form("/equipe/comptes-equipe", {
        "email": "koffi@example.com", "full_name": "Koffi Mensah", "role": "staff"})
    link = path_of(outbox.link("koffi@example.com", "staff_invite"))
    response = client.post_form(link, {"password": "azertyuiop", "password_confirm": "azertyuiop"})
    assert "trop courant" in text_of(response)
    assert user_by_email(app, "koffi@example.com").password_hash is None


@pytest.mark.parametrize("email", ["member@example.com", "ADMIN@example.com"])
def test_an_address_already_used_is_refused_in_french(app, client, as_role, outbox, email):
    with app.app_context():
        make_user("member@example.com")
    as_role("admin")
    response = client.post_form("/equipe/comptes-equipe", {
        "email": email, "full_name": "Doublon", "role": "staff"})
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse." in text_of(response)
    assert "Le formulaire contient des erreurs" in text_of(response)
    assert user_by_email(app, "member@example.com").role == "member"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2
    assert outbox.to(email.lower()) == []


@pytest.mark.parametrize("field, value, message", [
    ("email", "", "Ce champ est obligatoire."),
    ("email", "pas-une-adresse", "Adresse e-mail invalide."),
    ("full_name", "", "Ce champ est obligatoire."),
    ("full_name", "x" * 121, "Entre 2 et 120 caractères."),
    ("role", "member", "N'est pas un choix valide."),
    ("role", "superadmin", "N'est pas un choix valide."),
])
def test_bad_team_account_input_is_refused_in_french(app, client, as_role, outbox, field, value,
                                                     message):
    as_role("admin")
    data = {"email": "koffi@example.com", "full_name": "Koffi Mensah", "role": "staff"}
    response = client.post_form("/equipe/comptes-equipe", data | {field: value})
    assert response.status_code == 200
    assert message in text_of(response)
    assert user_by_email(app, "koffi@example.com") is None
    assert outbox.all() == []


# --- Command line -------------------------------------------------------------------------

def test_create_admin_on_the_command_line_makes_a_confirmed_admin(app, runner):
    result = runner.invoke(args=["users", "create-admin", "Chef@Example.com",
                                 "--name", "Aminata Sow", "--password", NEW_STAFF_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "chef@example.com" in result.output
    admin = user_by_email(app, "chef@example.com")
    assert admin.role == "admin" and admin.is_confirmed and admin.full_name == "Aminata Sow"
    browser = app.test_client()
    assert login(browser, "chef@example.com", NEW_STAFF_PASSWORD).headers["Location"] == "/equipe/"
    assert browser.get("/equipe/comptes-equipe").status_code == 200


def test_create_admin_promotes_an_existing_account(app, runner):
    with app.app_context():
        make_user("awa@example.com")
    result = runner.invoke(args=["users", "create-admin", "awa@example.com",
                                 "--password", NEW_STAFF_PASSWORD])
    assert result.exit_code == 0, result.output
    assert user_by_email(app, "awa@example.com").role == "admin"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("password, message", [
    ("azertyuiop", "trop courant"),
    ("court", "au moins 10 caractères"),
    ("chef-de-projet-2026", "trop courant"),  # starts with the address
])
def test_create_admin_refuses_a_weak_password(app, runner, password, message):
    result = runner.invoke(args=["users", "create-admin", "chef@example.com",
                                 "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert user_by_email(app, "chef@example.com") is None


@pytest.mark.parametrize("email, name, message", [
    ("chef", "Aminata Sow", "Not a valid e-mail address"),
    ("chef@", "Aminata Sow", "Not a valid e-mail address"),
    ("chef@example.com", "x" * 121, "2 to 120 characters"),
])
def test_create_admin_refuses_a_bad_address_or_name(app, runner, email, name, message):
    result = runner.invoke(args=["users", "create-admin", email, "--name", name,
                                 "--password", NEW_STAFF_PASSWORD])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_admin_asks_for_the_password_when_not_given(app, runner):
    result = runner.invoke(args=["users", "create-admin", "chef@example.com"],
                           input=f"{NEW_STAFF_PASSWORD}\n{NEW_STAFF_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert user_by_email(app, "chef@example.com").is_admin


# --- Members list -------------------------------------------------------------------------

@pytest.fixture
def directory(app):
    with app.app_context():
        make_user("awa@example.com", full_name="Awa Koné", phone="+2250701020304",
                  company_name="Sahel Import")
        make_user("binta@example.com", full_name="Binta Diop", phone="+221771234567")
        make_user("jean_paul@example.com", full_name="Jean-Paul Mbarga", phone="+237671234567",
                  company_name="Mairie de Douala")
        make_user("moussa@example.com", full_name="Moussa 100% Bio", phone="+262692123456",
                  company_name="Bio_Réunion")


def names_found(client, query: str) -> set[str]:
    page = text_of(client.get("/equipe/membres", query_string={"q": query}))
    names = {"Awa Koné", "Binta Diop", "Jean-Paul Mbarga", "Moussa 100% Bio"}
    return {name for name in names if name in page}


@pytest.mark.parametrize("query, found", [
    ("koné", {"Awa Koné"}),
    ("KONE", {"Awa Koné"}),  # accents and case aside
    ("bio_reunion", {"Moussa 100% Bio"}),
    ("DIOP", {"Binta Diop"}),
    ("binta@", {"Binta Diop"}),
    ("example.com", {"Awa Koné", "Binta Diop", "Jean-Paul Mbarga", "Moussa 100% Bio"}),
    ("0701020304", {"Awa Koné"}),
    ("+221 77 123", {"Binta Diop"}),
    ("+225 07 01 02 03 04", {"Awa Koné"}),
    ("sahel", {"Awa Koné"}),
    ("mairie de douala", {"Jean-Paul Mbarga"}),
    ("%", {"Moussa 100% Bio"}),
    ("_", {"Jean-Paul Mbarga", "Moussa 100% Bio"}),
    ("jean_", {"Jean-Paul Mbarga"}),
    ("b_nta", set()),
    ("a%e", set()),
    ("\\", set()),
    ("personne", set()),
    ("", {"Awa Koné", "Binta Diop", "Jean-Paul Mbarga", "Moussa 100% Bio"}),
])
def test_the_members_list_finds_by_name_e_mail_phone_and_company(client, as_role, directory,
                                                                 query, found):
    as_role("staff")
    assert names_found(client, query) == found


def test_a_search_with_control_characters_never_crashes(client, as_role, directory):
    as_role("staff")
    response = client.get("/equipe/membres", query_string={"q": "Awa\x00"})
    assert response.status_code == 200
    assert "Awa Koné" in text_of(response)


def test_the_members_list_is_paginated(app, client, as_role):
    with app.app_context():
        first = make_user("membre00@example.com", full_name="Membre 00")
        for n in range(1, 30):  # same password hash: hashing 30 times would be slow
            db.session.add(User(email=f"membre{n:02d}@example.com", full_name=f"Membre {n:02d}",
                                password_hash=first.password_hash, confirmed_at=first.confirmed_at,
                                created_at=first.created_at + timedelta(minutes=n)))
        db.session.commit()
    as_role("staff")
    first_page = client.get("/equipe/membres?q=membre").get_data(as_text=True)
    assert "30 comptes" in first_page
    next_link = html.unescape(re.search(r'href="([^"]+)">Suivante', first_page).group(1))
    assert "q=membre" in next_link and "page=2" in next_link
    second_page = client.get(next_link).get_data(as_text=True)
    on_first = {n for n in range(30) if f"membre{n:02d}@" in first_page}
    on_second = {n for n in range(30) if f"membre{n:02d}@" in second_page}
    assert on_first == set(range(5, 30))  # newest first
    assert on_second == set(range(5))
    assert "Suivante" not in second_page and "Précédente" in html.unescape(second_page)


@pytest.mark.parametrize("message_id", ["424242", "2147483648", "99999999999999999999"])
def test_an_unknown_or_huge_id_in_the_back_office_is_not_found(client, as_role, message_id):
    as_role("staff")
    assert client.post_form(f"/equipe/envois/{message_id}/relancer").status_code == 404


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999999999999999999", "500"])
def test_an_odd_page_number_never_crashes(client, as_role, directory, page):
    as_role("staff")
    for url in ("/equipe/membres", "/equipe/envois"):
        assert client.get(url, query_string={"page": page}).status_code == 200
