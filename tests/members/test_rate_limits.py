"""Brute force: login, sign-up, forgotten password and re-send are limited per address and per IP,
the refusal page is in French, and reading the pages is never limited."""
import pytest

from portal import create_app
from portal.extensions import limiter
from tests.conftest import PortalClient, free_port
from tests.factories import PASSWORD, make_user
from tests.members.helpers import text_of

EMAIL = "awa@example.com"
SIGNUP = {"password": "Mangues-et-papayes-2026", "password_confirm": "Mangues-et-papayes-2026",
          "full_name": "Fatou Ndiaye", "phone": "07 01 02 03 04", "preferred_channel": "whatsapp",
          "locale": "fr"}
FORMS = {
    "/connexion": {"password": "Un-mot-de-passe-au-hasard"},
    "/inscription": SIGNUP,
    "/mot-de-passe/oublie": {},
    "/confirmation/renvoyer": {},
}
LIMITED = pytest.mark.parametrize("url", list(FORMS))


def attempt(client, url: str, email: str = EMAIL, ip: str = "203.0.113.7", **fields):
    return client.post_form(url, FORMS[url] | {"email": email} | fields,
                            environ_base={"REMOTE_ADDR": ip})


def assert_refused_in_french(response) -> None:
    page = text_of(response)
    assert response.status_code == 429
    assert '<html lang="fr">' in page
    assert "Trop de tentatives" in page
    assert "Patientez quelques minutes puis réessayez." in page


def test_the_default_limits(app):
    assert app.config["AUTH_LIMIT_PER_ADDRESS"] == "5 per 10 minutes"
    assert app.config["AUTH_LIMIT_PER_IP"] == "20 per 10 minutes"


@LIMITED
def test_five_attempts_per_address_then_refused_in_french(client, url):
    for n in range(5):
        assert attempt(client, url, email=EMAIL if n % 2 else EMAIL.upper()).status_code != 429
    assert_refused_in_french(attempt(client, url))
    assert attempt(client, url, email="someone.else@example.com").status_code != 429


@LIMITED
def test_the_address_limit_holds_whatever_the_ip(client, url):
    for n in range(5):
        attempt(client, url, ip=f"198.51.100.{n}")
    assert attempt(client, url, ip="192.0.2.99").status_code == 429


@LIMITED
def test_one_ip_is_limited_across_many_addresses(app, client, monkeypatch, url):
    monkeypatch.setitem(app.config, "AUTH_LIMIT_PER_IP", "3 per 10 minutes")
    for n in range(3):
        assert attempt(client, url, email=f"essai{n}@example.com").status_code != 429
    assert_refused_in_french(attempt(client, url, email="essai9@example.com"))
    assert attempt(client, url, email="essai9@example.com", ip="192.0.2.99").status_code != 429


def test_the_limits_are_counted_per_form(client):
    for _ in range(5):
        attempt(client, "/connexion")
    assert attempt(client, "/connexion").status_code == 429
    assert attempt(client, "/mot-de-passe/oublie").status_code == 302


def test_once_limited_even_the_right_password_is_refused(app, client):
    with app.app_context():
        make_user(EMAIL)
    for _ in range(5):
        attempt(client, "/connexion")
    response = attempt(client, "/connexion", password=PASSWORD)
    assert response.status_code == 429
    assert client.get("/compte").status_code == 302


@LIMITED
def test_reading_the_pages_is_not_limited(client, url):
    for _ in range(5):
        attempt(client, url)
    assert attempt(client, url).status_code == 429
    for _ in range(30):
        assert client.get(url, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200


def test_the_limits_can_be_lowered_by_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_LIMIT_PER_ADDRESS", "2 per 10 minutes")
    attempt(client, "/connexion")
    attempt(client, "/connexion")
    assert attempt(client, "/connexion").status_code == 429


@pytest.fixture
def redis_down(app, tmp_path):
    """An app whose rate-limit store is a Redis where nothing listens (the limiter is shared by
    every app, so the test app's store is put back afterwards)."""
    broken = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0"})
    broken.test_client_class = PortalClient
    yield broken
    limiter.init_app(app)


def test_with_redis_down_logins_still_work_and_are_limited_in_the_process(redis_down):
    with redis_down.app_context():
        make_user(EMAIL)
    client = redis_down.test_client()
    assert attempt(client, "/connexion", password=PASSWORD).status_code == 302
    answers = [attempt(client, "/connexion").status_code for _ in range(6)]
    assert 500 not in answers and answers[-1] == 429
