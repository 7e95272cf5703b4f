"""Rules every page follows: security headers, no inline script, safe cookies, CSRF on every
POST, French error pages, a production app that refuses the development key, a language chooser.
"""
import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text
from werkzeug.routing import IntegerConverter

from portal import create_app
from portal.config import DEV_SECRET_KEY
from portal.extensions import db
from portal.members.models import User
from tests.conftest import PortalClient
from tests.factories import PASSWORD, login, make_user

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
CSRF_MESSAGE = "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."


def text_of(response) -> str:
    """The page with HTML entities decoded (an apostrophe may come as &#39;)."""
    return html.unescape(response.get_data(as_text=True))
STRONG_SECRET = "a-long-random-production-secret-0123456789"

# POST routes allowed to skip CSRF (Twilio webhooks, which check X-Twilio-Signature instead).
# Twilio's webhooks carry no CSRF token: the signature check guards them (tests/messaging).
CSRF_EXEMPT = {"/twilio/whatsapp", "/twilio/statut"}


def fresh_app(tmp_path, **config):
    """An app of its own (never the session app), on a throwaway SQLite file."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
                       "PUBLIC_BASE_URL": "http://localhost"} | config)


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_secure_headers(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert policy, "every answer carries a Content-Security-Policy"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


# --- No inline code anywhere: CSP without 'unsafe-inline' would block it ------------------

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def inline_code(html: str, styles: bool = True) -> list[str]:
    """Inline scripts, on*= handlers, javascript: links (and inline styles) found in `html`."""
    found = [f"inline <script>: {body.strip()[:60]!r}" for attrs, body in SCRIPT.findall(html)
             if body.strip() or "src=" not in attrs]
    for tag in TAG.findall(html):
        if HANDLER.search(tag):
            found.append(f"event handler: {tag[:80]}")
        if styles and STYLE_ATTRIBUTE.search(tag):
            found.append(f"style attribute: {tag[:80]}")
    if re.search(r"javascript:", html, re.IGNORECASE):
        found.append("javascript: URL")
    if styles and re.search(r"<style\b", html, re.IGNORECASE):
        found.append("<style> block")
    return found


WEB_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "email" not in p.parts)
EMAIL_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "email" in p.parts)


@pytest.mark.parametrize("template", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_web_templates_have_no_inline_script_handler_or_style(template):
    assert inline_code(template.read_text()) == []


@pytest.mark.parametrize("template", EMAIL_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_mail_templates_have_no_script_at_all(template):
    """Mail clients need inline styles, but a mail never carries code."""
    assert inline_code(template.read_text(), styles=False) == []
    assert "<script" not in template.read_text().lower()


def test_the_scan_finds_what_it_looks_for():
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<script src="/a.js">alert(1)</script>')
    assert inline_code('<button onclick="go()">')
    assert inline_code('<a href="javascript:go()">')
    assert inline_code('<div style="color:red">')
    assert inline_code('<script src="/a.js"></script><p class="x">') == []


# --- Security headers on every kind of page -----------------------------------------------

PAGES = [
    ("anonymous", "GET", "/", 200),
    ("anonymous", "GET", "/connexion", 200),
    ("anonymous", "GET", "/inscription", 200),
    ("anonymous", "GET", "/compte", 302),
    ("anonymous", "GET", "/page-qui-n-existe-pas", 404),
    ("anonymous", "GET", "/deconnexion", 405),
    ("anonymous", "POST", "/connexion", 400),
    ("anonymous", "GET", "/static/css/app.css", 200),
    ("anonymous", "GET", "/bootstrap/static/css/bootstrap.min.css", 200),
    ("anonymous", "GET", "/bootstrap/static/js/bootstrap.min.js", 200),
    ("member", "GET", "/compte", 200),
    ("member", "GET", "/compte/profil", 200),
    ("member", "GET", "/compte/adresses/nouvelle", 200),
    ("member", "GET", "/notifications", 200),
    ("member", "GET", "/equipe/", 403),
    ("admin", "GET", "/equipe/", 200),
    ("admin", "GET", "/equipe/membres", 200),
    ("admin", "GET", "/equipe/comptes-equipe", 200),
    ("admin", "GET", "/equipe/envois", 200),
]


@pytest.fixture
def as_(app, client):
    """Log the client in as `who` ("anonymous", "member" or "admin")."""
    def log_in(who: str):
        if who != "anonymous":
            with app.app_context():
                make_user(f"{who}@example.com", role=who)
            login(client, f"{who}@example.com")
        return client
    return log_in


@pytest.mark.parametrize("who, method, path, status", PAGES)
def test_every_kind_of_page_has_the_security_headers_and_no_inline_code(as_, who, method, path,
                                                                        status):
    response = as_(who).open(path, method=method)
    assert response.status_code == status
    assert_secure_headers(response)
    if response.mimetype == "text/html":
        assert inline_code(response.get_data(as_text=True)) == []


# --- The portal's icon --------------------------------------------------------------------

ICON_LINK = re.compile(r'<link rel="(icon|apple-touch-icon)" href="([^"]+)"')


def test_every_page_names_the_icon_and_each_one_is_served(client):
    page = client.get("/connexion").get_data(as_text=True)
    links = ICON_LINK.findall(page)
    assert [rel for rel, _ in links] == ["icon", "icon", "apple-touch-icon"]
    kinds = {}
    for _, href in links:
        response = client.get(href)
        assert response.status_code == 200, href
        kinds[response.mimetype] = response.data
        response.close()
    assert set(kinds) == {"image/vnd.microsoft.icon", "image/svg+xml", "image/png"}
    assert kinds["image/vnd.microsoft.icon"].startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert kinds["image/png"].startswith(b"\x89PNG")
    assert b"<svg" in kinds["image/svg+xml"]
    assert '<meta name="theme-color"' in page  # a phone's browser bar in the portal's colour


def test_the_icon_is_at_the_root_where_browsers_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.headers["Cache-Control"] == "public, max-age=604800"
    assert_secure_headers(response)


# --- Cookies ------------------------------------------------------------------------------

def set_cookie(response, name: str) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "="))


def test_the_session_cookie_is_httponly_and_samesite_lax(app, client):
    with app.app_context():
        make_user("awa@example.com")
    cookie = set_cookie(client.get("/"), "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie, "development serves plain http"

    response = login(client, "awa@example.com", remember="y")
    remember = set_cookie(response, "remember_token")
    assert "HttpOnly" in remember and "SameSite=Lax" in remember


def test_in_production_the_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portail.example.com")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = fresh_app(tmp_path)
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["OUTBOX_SEND_AT_ONCE"] is False, "workers send in production"
    cookie = set_cookie(production.test_client().get("/"), "session")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- Production refuses the development secret key ----------------------------------------

@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "trop-court"],
                         ids=["unset", "empty", "development key", "too short"])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch, secret):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portail.example.com")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        fresh_app(tmp_path)


def test_production_refuses_the_development_key_given_in_code_too(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        fresh_app(tmp_path, PORTAL_ENV="production", SECRET_KEY=DEV_SECRET_KEY)


def production_app(tmp_path, monkeypatch, address: str | None):
    """A production app whose PUBLIC_BASE_URL comes from the environment (None: unset)."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    if address is None:
        monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_BASE_URL", address)
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})


@pytest.mark.parametrize("address", [
    None, "", "portail.example.com", "http://portail.example.com", "https://",
    "ftp://portail.example.com", "http://192.168.1.20:8000"],
    ids=["unset", "empty", "no scheme", "plain http", "no host", "ftp", "plain http on the LAN"])
def test_production_refuses_to_start_without_its_public_address(tmp_path, monkeypatch, address):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        production_app(tmp_path, monkeypatch, address)


@pytest.mark.parametrize("address", ["https://portail.example.com", "https://portail.example.com/",
                                     "http://127.0.0.1:8000", "http://localhost:5000"])
def test_production_starts_with_an_https_address_or_on_loopback(tmp_path, monkeypatch, address):
    assert production_app(tmp_path, monkeypatch, address).config["PUBLIC_BASE_URL"] == address


def test_development_keeps_a_local_address_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    local = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})
    assert local.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_development_starts_with_the_development_key(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert fresh_app(tmp_path).config["SECRET_KEY"] == DEV_SECRET_KEY


# --- Error pages in French ----------------------------------------------------------------

def assert_french_error_page(response, code: int, title: str, message: str) -> None:
    page = text_of(response)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert '<html lang="fr">' in page
    assert f"<h1 class=\"h3\">{title}</h1>" in page
    assert message in page
    assert "Retour à l'accueil" in page
    assert_secure_headers(response)


def test_a_missing_csrf_token_gives_the_french_400_page(client):
    response = client.post("/connexion", data={"email": "awa@example.com", "password": "x"})
    assert_french_error_page(response, 400, "Requête invalide", CSRF_MESSAGE)


def test_a_member_on_a_staff_page_gets_the_french_403_page(as_):
    assert_french_error_page(as_("member").get("/equipe/envois"), 403, "Accès refusé",
                             "Vous n'avez pas accès à cette page.")


def test_an_unknown_page_gets_the_french_404_page(client):
    assert_french_error_page(client.get("/nulle-part"), 404, "Page introuvable",
                             "Cette page n'existe pas ou n'est plus disponible.")


def test_a_wrong_method_gets_the_french_405_page_and_the_allowed_methods(client):
    response = client.get("/deconnexion")
    assert_french_error_page(response, 405, "Action non permise",
                             "Cette action n'est pas possible sur cette page.")
    assert "POST" in response.headers["Allow"]


def test_a_body_too_large_gets_the_french_413_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post_form("/connexion", {"email": "a" * 4000, "password": "x"})
    assert_french_error_page(response, 413, "Fichier trop volumineux",
                             "dépasse la taille autorisée")


def test_too_many_attempts_get_the_french_429_page(app, client):
    with app.app_context():
        make_user("awa@example.com")
    answers = [login(client, "awa@example.com", "mauvais-mot-de-passe").status_code
               for _attempt in range(5)]
    assert 429 not in answers
    response = login(client, "awa@example.com", PASSWORD)
    assert_french_error_page(response, 429, "Trop de tentatives",
                             "Vous avez fait trop de tentatives en peu de temps.")
    assert int(response.headers["Retry-After"]) > 0


def test_an_unexpected_error_gets_the_french_500_page(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    broken = fresh_app(tmp_path, SECRET_KEY=STRONG_SECRET)

    def explode():
        raise RuntimeError("boom")

    broken.add_url_rule("/boum", view_func=explode)
    response = broken.test_client().get("/boum")
    assert_french_error_page(response, 500, "Erreur du serveur",
                             "Une erreur inattendue s'est produite.")
    assert "boom" not in response.get_data(as_text=True)


def test_a_database_error_still_gets_the_french_500_page_for_a_logged_in_member(app,
                                                                                monkeypatch):
    """The failed transaction is rolled back, so the page (navbar, unread count) still renders,
    even on PostgreSQL where a failed statement poisons the transaction."""
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    broken = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "PUBLIC_BASE_URL": "http://localhost"})
    broken.test_client_class = PortalClient

    def broken_query():
        db.session.execute(text("SELECT * FROM table_qui_n_existe_pas"))

    broken.add_url_rule("/requete-cassee", view_func=broken_query)
    with app.app_context():
        make_user("awa@example.com")
    client = broken.test_client()
    try:
        login(client, "awa@example.com")
        response = client.get("/requete-cassee")
        assert_french_error_page(response, 500, "Erreur du serveur",
                                 "Une erreur inattendue s'est produite.")
        assert "Awa Koné" in text_of(response), "the page still knows who is logged in"
        assert "table_qui_n_existe_pas" not in text_of(response)
    finally:
        with broken.app_context():
            db.session.remove()
            db.engine.dispose()


# --- CSRF on every POST route -------------------------------------------------------------

def post_routes(app) -> list[tuple[str, str]]:
    """(rule, url) for every POST route, its parameters filled with 1 or a dummy token."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in CSRF_EXEMPT:
            continue
        values = {name: 1 if isinstance(converter, IntegerConverter) else "jeton-factice"
                  for name, converter in rule._converters.items()}
        routes.append((rule.rule, adapter.build(rule.endpoint, values, method="POST")))
    return routes


@pytest.mark.parametrize("token", [None, "jeton-contrefait"], ids=["missing", "forged"])
def test_every_post_route_refuses_a_request_without_a_valid_csrf_token(app, as_, token):
    client = as_("admin")
    routes = post_routes(app)
    assert {"/connexion", "/deconnexion", "/notifications/tout-lu",
            "/equipe/envois/<int:message_id>/relancer"} <= {rule for rule, _url in routes}
    data = {} if token is None else {"csrf_token": token}
    refused = {}
    for rule, url in routes:
        response = client.post(url, data=data)
        if response.status_code != 400 or CSRF_MESSAGE not in text_of(response):
            refused[rule] = response.status_code
    assert refused == {}, "these POST routes did not refuse the request with the French 400 page"
    for rule in CSRF_EXEMPT:  # exempt from CSRF, never from the signature
        assert client.post(rule, data=data).status_code == 403
    assert client.get("/equipe/").status_code == 200, "the admin is still logged in"


# --- Language chooser ---------------------------------------------------------------------

def test_the_language_chooser_switches_the_page_to_english_and_back(client):
    assert '<html lang="fr">' in client.get("/connexion").get_data(as_text=True)
    response = client.post_form("/langue/en", {"next": "/connexion"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert '<html lang="en">' in client.get("/connexion").get_data(as_text=True)

    client.post_form("/langue/fr", {"next": "/"})
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_a_logged_in_member_keeps_the_chosen_language_on_the_account(app, client):
    with app.app_context():
        make_user("awa@example.com", locale="fr")
    login(client, "awa@example.com")
    client.post_form("/langue/en", {"next": "/compte"})
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "en"


def test_an_unknown_language_is_a_404(client):
    assert client.post_form("/langue/de").status_code == 404
    with client.session_transaction() as session:
        assert "lang" not in session


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_the_language_chooser_never_redirects_to_another_site(client, target):
    response = client.post_form("/langue/en", {"next": target})
    assert response.headers["Location"] == "/"
