"""Mail through a real SMTP server on loopback (aiosmtpd): what a member actually receives, and
nothing lost while the server is down.
"""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import User
from tests.conftest import LINK, path_of
from tests.messaging.conftest import SIGNUP, make_due, only_row_id, outbox_row

ENGLISH_CATALOGUE = Path(__file__).resolve().parents[2] / "translations" / "en" / "LC_MESSAGES"


def confirmation_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(url for url in LINK.findall(text) if "/confirmer/" in url)


def log_in(client, email=SIGNUP["email"], password=SIGNUP["password"]):
    return client.post_form("/connexion", {"email": email, "password": password})


def test_the_confirmation_mail_arrives_and_its_link_opens_the_account(app, client, smtp):
    client.post_form("/inscription", SIGNUP)

    [message] = smtp.messages
    assert message["To"] == "fatou@example.com"
    assert message["X-Envelope-To"] == "fatou@example.com"
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    assert "no-reply@portail.local" in message["From"]
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Fatou Ndiaye," in text
    assert "Merci pour votre inscription" in text
    assert "Merci pour votre inscription" in html
    link = confirmation_link(message)
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/confirmer/")
    assert link in html

    refused = log_in(client)
    assert "/compte" not in refused.headers.get("Location", "")
    response = client.get(path_of(link), follow_redirects=True)
    assert "Votre adresse e-mail est confirmée" in response.get_data(as_text=True)
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/commandes")
    assert "Fatou Ndiaye" in client.get("/compte").get_data(as_text=True)


def test_the_mail_waits_while_the_server_is_down_and_arrives_once_it_is_back(
        app, client, runner, smtp_down, outbox):
    response = client.post_form("/inscription", SIGNUP)
    assert response.status_code == 302, "the member never sees the mail server's trouble"

    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "pending" and row.attempts == 1 and row.last_error

    smtp_down.start()
    assert "0 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output
    assert smtp_down.messages == [], "not due yet: the back-off is respected"

    make_due(app)
    assert "1 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output
    make_due(app)
    assert "0 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output

    [message] = smtp_down.messages
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    row = outbox_row(app, only_row_id(app))
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)

    client.get(path_of(confirmation_link(message)))
    assert log_in(client).headers["Location"].endswith("/commandes")


def test_a_member_gets_the_mail_in_french_by_default(app, client, smtp):
    client.post_form("/inscription", SIGNUP | {"locale": "fr"},
                     headers={"Accept-Language": "en-US,en;q=0.9"})
    [message] = smtp.messages
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    assert '<html lang="fr">' in message.get_body(("html",)).get_content()
    assert "Bonjour Fatou Ndiaye," in message.get_body(("plain",)).get_content()


@pytest.mark.skipif(not (ENGLISH_CATALOGUE / "messages.mo").exists(),
                    reason="the English catalogue is not compiled yet")
def test_a_member_who_chose_english_gets_the_mail_in_english(app, client, smtp):
    client.post_form("/inscription", SIGNUP | {"locale": "en"})
    [message] = smtp.messages
    assert message["Subject"] == "Confirm your email address"
    assert '<html lang="en">' in message.get_body(("html",)).get_content()
