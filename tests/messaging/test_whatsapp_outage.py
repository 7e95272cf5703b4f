"""Twilio in trouble: answering 500, too slow, unreachable, or refusing the number. The message
waits with back-off and goes out exactly once when Twilio is back; after the last attempt (or at
once when Twilio refuses it) the member gets the e-mail instead, through a real SMTP server on
loopback.
"""
import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import order_news, outbox
from portal.requests.models import Order
from tests.conftest import free_port
from tests.messaging.fake_twilio import fake_twilio_fixture  # noqa: F401 (fixture)
from tests.messaging.whatsapp_setup import due_now, heard_from, people, rows

MAX_ATTEMPTS, RETRY_SECONDS = 3, 60


@pytest.fixture
def awa(app, app_ctx, fake_twilio, monkeypatch):
    """Awa wrote on WhatsApp an hour ago; news of her order is queued for WhatsApp."""
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", RETRY_SECONDS)
    awa = people()
    heard_from(awa.member, awa.order, 1)
    order_news.status_changed(db.session.get(Order, awa.order), "purchased", "Achetée")
    db.session.commit()
    return awa


def the_row():
    [row] = rows("whatsapp")
    return row


def seconds_to_wait(row) -> float:
    return (row.next_attempt_at - utcnow()).total_seconds()


def test_while_twilio_answers_500_the_message_waits_then_goes_out_once(awa, fake_twilio, smtp):
    fake_twilio.fail(2)

    assert outbox.deliver_due() == 0
    row = the_row()
    assert (row.status, row.attempts, row.provider_sid) == ("pending", 1, None)
    assert "TwilioRestException" in row.last_error and "500" in row.last_error
    assert RETRY_SECONDS - 5 < seconds_to_wait(row) <= RETRY_SECONDS

    assert outbox.deliver_due() == 0
    assert len(fake_twilio.messages) == 1, "not due yet: the back-off is respected"

    due_now()
    assert outbox.deliver_due() == 0
    row = the_row()
    assert (row.status, row.attempts) == ("pending", 2)
    assert 2 * RETRY_SECONDS - 5 < seconds_to_wait(row) <= 2 * RETRY_SECONDS, "the delay doubles"

    due_now()
    assert outbox.deliver_due() == 1  # Twilio is back
    due_now()
    assert outbox.deliver_due() == 0

    assert [r.answered for r in fake_twilio.messages] == [500, 500, 201]
    [accepted] = fake_twilio.accepted
    row = the_row()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert (row.provider_sid, row.delivery_status) == (accepted.sid, "queued")
    assert rows("email") == [] and smtp.messages == []


@pytest.mark.parametrize("status", [502, 503, 429])
def test_other_passing_troubles_are_retried_too(awa, fake_twilio, status):
    fake_twilio.fail(1, status=status)

    assert outbox.deliver_due() == 0
    assert the_row().status == "pending"
    due_now()
    assert outbox.deliver_due() == 1
    assert [r.answered for r in fake_twilio.messages] == [status, 201]
    assert rows("email") == []


def test_a_twilio_too_slow_to_answer_times_out_and_the_message_goes_later(app, awa,
                                                                          fake_twilio):
    assert app.config["TWILIO_TIMEOUT"] == 1
    fake_twilio.stall(1, seconds=10)

    assert outbox.deliver_due() == 0
    row = the_row()
    assert (row.status, row.attempts, row.provider_sid) == ("pending", 1, None)
    assert "Timeout" in row.last_error

    due_now()
    assert outbox.deliver_due() == 1
    due_now()
    assert outbox.deliver_due() == 0
    assert [r.answered for r in fake_twilio.messages] == [None, 201]
    assert the_row().provider_sid == fake_twilio.accepted[0].sid
    assert rows("email") == []


def test_an_unreachable_twilio_is_retried(app, awa, fake_twilio, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(app.config, "TWILIO_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
        assert outbox.deliver_due() == 0
    row = the_row()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection" in row.last_error

    due_now()
    assert outbox.deliver_due() == 1
    assert len(fake_twilio.accepted) == 1 and len(fake_twilio.messages) == 1


def test_after_the_last_attempt_the_member_gets_the_email_instead(awa, fake_twilio, smtp):
    fake_twilio.fail(2)
    fake_twilio.stall(1, seconds=10)

    for _attempt in range(MAX_ATTEMPTS):
        assert outbox.deliver_due() == 0
        due_now()

    assert [r.answered for r in fake_twilio.messages] == [500, 500, None]
    row = the_row()
    assert (row.status, row.attempts, row.fallback_reason) == ("failed", MAX_ATTEMPTS,
                                                               "provider_down")
    assert "Timeout" in row.last_error
    [mail_row] = rows("email")
    assert row.fallback_id == mail_row.id
    assert (mail_row.fallback_reason, mail_row.status) == ("provider_down", "pending")

    assert outbox.deliver_due() == 1  # the e-mail
    due_now()
    assert outbox.deliver_due() == 0
    assert len(fake_twilio.messages) == MAX_ATTEMPTS, "WhatsApp is not tried again"

    [message] = smtp.messages
    assert message["To"] == "awa@example.com"
    assert "DEM-2026-00042" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Bonjour Awa Koné," in text
    assert "Votre commande DEM-2026-00042 est maintenant : Achetée." in text
    assert f"http://localhost/commandes/{awa.order}" in text
    assert "Achetée" in message.get_body(("html",)).get_content()
    assert rows("email")[0].status == "sent"


def test_a_number_twilio_refuses_is_not_retried_and_the_email_goes_at_once(awa, fake_twilio,
                                                                           smtp):
    fake_twilio.refuse(code=21211)

    assert outbox.deliver_due() == 0

    [refused] = fake_twilio.messages
    assert refused.answered == 400
    row = the_row()
    assert (row.status, row.attempts, row.fallback_reason) == ("failed", 1, "refused")
    assert "21211" in row.last_error
    [mail_row] = rows("email")
    assert (row.fallback_id, mail_row.fallback_reason) == (mail_row.id, "refused")

    assert outbox.deliver_due() == 1
    due_now()
    assert outbox.deliver_due() == 0
    assert len(fake_twilio.messages) == 1, "never retried"
    [message] = smtp.messages
    assert message["To"] == "awa@example.com"
    assert "Votre commande DEM-2026-00042 est maintenant : Achetée." in (
        message.get_body(("plain",)).get_content())


def test_the_email_instead_also_waits_while_the_mail_server_is_down(awa, fake_twilio,
                                                                    smtp_down):
    fake_twilio.refuse(code=63024, message="Invalid message recipient")

    assert outbox.deliver_due() == 0  # WhatsApp refused: the e-mail is queued
    assert outbox.deliver_due() == 0  # ...and the mail server is down
    [mail_row] = rows("email")
    assert (mail_row.status, mail_row.attempts) == ("pending", 1)

    smtp_down.start()
    due_now()
    assert outbox.deliver_due() == 1
    [message] = smtp_down.messages
    assert message["To"] == "awa@example.com"
    assert len(fake_twilio.messages) == 1


def test_sending_at_once_the_email_replacing_a_refused_message_leaves_at_once_too(
        app, app_ctx, fake_twilio, smtp, monkeypatch):
    """Development (no worker): the WhatsApp row goes right after the request's commit; when
    Twilio refuses it, the e-mail replacing it goes right away as well."""
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", True)
    awa = people()
    heard_from(awa.member, awa.order, 1)
    fake_twilio.refuse()
    order_news.status_changed(db.session.get(Order, awa.order), "purchased", "Achetée")
    db.session.commit()

    outbox.send_queued_after_commit()  # what the portal does after each request

    assert [(r.channel, r.status, r.fallback_reason) for r in rows()] == [
        ("whatsapp", "failed", "refused"), ("email", "sent", "refused")]
    [message] = smtp.messages
    assert message["To"] == "awa@example.com"
