"""Brute force: login, sign-up, forgotten password and re-send are limited per address and per IP,
the refusal page is in French, and reading the pages is never limited."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
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
ROOT = Path(__file__).resolve().parents[2]
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


# Run in a process of its own: the limiter is shared by every app of a process, and once it
# has seen its store fail it keeps counting in memory for a while.
REDIS_DOWN = """
import sys
from portal import create_app
from portal.extensions import db
from tests.conftest import PortalClient
from tests.factories import PASSWORD, make_user
app = create_app({"TESTING": True, "SECRET_KEY": "redis-down-test-secret-key-0123456789",
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1],
                  "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:" + sys.argv[2] + "/0"})
app.test_client_class = PortalClient
with app.app_context():
    db.create_all()
    make_user("awa@example.com")
client = app.test_client()
tries = [("awa@example.com", PASSWORD)] + [("awa@example.com", "Un-mot-de-passe-faux")] * 6
print(" ".join(str(client.post_form("/connexion", {"email": email, "password": password},
                                    environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code)
               for email, password in tries))
"""


def test_with_redis_down_logins_still_work_and_are_limited_in_the_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", REDIS_DOWN, str(tmp_path / "portal.sqlite"), str(free_port())],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    answers = result.stdout.split()
    assert answers[0] == "302" and "500" not in answers and answers[-1] == "429", answers
