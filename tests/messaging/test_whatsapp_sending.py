"""WhatsApp messages leaving through the real `twilio` library to a recording Twilio on
loopback: free text inside the 24-hour window, the approved template outside it, e-mail when
neither may go, nothing at all without credentials; and staff writing in an order thread.
"""
import json

import pytest

from portal.extensions import db
from portal.members.models import User
from portal.messaging import order_news, outbox, threads
from portal.requests.models import Order
from tests.messaging.fake_twilio import (  # noqa: F401 (fake_twilio_fixture: the fixture)
    ACCOUNT_SID,
    AUTH_TOKEN,
    MESSAGES_PATH,
    WHATSAPP_FROM,
    fake_twilio_fixture,
)
from tests.messaging.whatsapp_setup import (
    PUBLIC,
    TEMPLATE_SID,
    heard_from,
    people,
    rows,
    templates,
    time_passes,
    variables_of,
)

ORDER_LINK = PUBLIC + "/commandes/{}"


@pytest.fixture
def awa(app_ctx):
    return people()


def news_of_purchase(awa) -> None:
    """The workflow tells Awa her order was bought (kind status_changed), and commits."""
    order_news.status_changed(db.session.get(Order, awa.order), "purchased", "Achetée")
    db.session.commit()


@pytest.mark.parametrize("hours_ago", [0.1, 23.5])
def test_inside_the_window_the_news_goes_as_free_text(awa, fake_twilio, hours_ago):
    heard_from(awa.member, awa.order, hours_ago)
    templates(status_changed=TEMPLATE_SID)  # a template exists but is not needed
    news_of_purchase(awa)

    [row] = rows("whatsapp")
    assert (row.status, row.recipient, row.content_sid) == ("pending", "whatsapp:+2250701020304",
                                                            None)
    assert fake_twilio.messages == [], "nothing leaves before the outbox delivers it"

    assert outbox.deliver_due() == 1

    [sent] = fake_twilio.messages
    assert (sent.method, sent.path, sent.answered) == ("POST", MESSAGES_PATH, 201)
    assert sent.credentials == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.form["To"] == "whatsapp:+2250701020304"
    assert sent.form["From"] == WHATSAPP_FROM == "whatsapp:+14155238886"
    assert sent.form["StatusCallback"] == PUBLIC + "/twilio/statut"
    body = sent.form["Body"]
    assert body == row.body_text
    assert body.startswith("Bonjour Awa Koné, votre commande DEM-2026-00042 est maintenant : "
                           "Achetée.")
    assert ORDER_LINK.format(awa.order) in body
    assert "ContentSid" not in sent.form and "ContentVariables" not in sent.form

    [row] = rows("whatsapp")
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.provider_sid == sent.sid and row.provider_sid.startswith("SM")
    assert row.delivery_status == "queued"
    assert rows("email") == [], "WhatsApp is Awa's channel: no e-mail besides"

    assert outbox.deliver_due() == 0
    assert len(fake_twilio.messages) == 1, "sent once"


@pytest.mark.parametrize("hours_ago", [24.5, None])
def test_outside_the_window_the_approved_template_goes_with_its_variables(awa, fake_twilio,
                                                                         hours_ago):
    if hours_ago is not None:
        heard_from(awa.member, awa.order, hours_ago)
    templates(status_changed=TEMPLATE_SID, pickup_ready="HX" + "0" * 32)
    news_of_purchase(awa)

    [row] = rows("whatsapp")
    assert row.content_sid == TEMPLATE_SID
    assert outbox.deliver_due() == 1

    [sent] = fake_twilio.messages
    assert sent.form["To"] == "whatsapp:+2250701020304"
    assert sent.form["From"] == WHATSAPP_FROM
    assert sent.form["StatusCallback"] == PUBLIC + "/twilio/statut"
    assert sent.form["ContentSid"] == TEMPLATE_SID
    assert "Body" not in sent.form
    assert variables_of(sent) == {"1": "Awa", "2": "DEM-2026-00042", "3": "Achetée",
                                  "4": ORDER_LINK.format(awa.order)}
    [row] = rows("whatsapp")
    assert (row.status, row.provider_sid, row.delivery_status) == ("sent", sent.sid, "queued")
    assert rows("email") == []


@pytest.mark.parametrize("hours_ago", [24.5, None])
def test_outside_the_window_without_a_template_the_news_goes_by_email(awa, fake_twilio,
                                                                      hours_ago):
    if hours_ago is not None:
        heard_from(awa.member, awa.order, hours_ago)
    templates(pickup_ready="HX" + "0" * 32)  # a template, but for another kind
    news_of_purchase(awa)

    assert rows("whatsapp") == []
    [mail] = rows("email")
    assert (mail.recipient, mail.kind, mail.fallback_reason) == ("awa@example.com",
                                                                 "status_changed", "window_closed")
    assert "Votre commande DEM-2026-00042 est maintenant : Achetée." in mail.body_text

    assert outbox.deliver_due() == 1
    assert fake_twilio.requests == [], "no WhatsApp request at all"
    assert rows("email")[0].status == "sent"


def test_without_twilio_credentials_nothing_leaves_and_the_row_says_development(
        app, awa, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    heard_from(awa.member, awa.order, 1)
    news_of_purchase(awa)

    assert outbox.deliver_due() == 1
    assert fake_twilio.requests == []
    [row] = rows("whatsapp")
    assert (row.status, row.delivery_status, row.provider_sid) == ("sent", "development", None)
    assert rows("email") == []


def test_a_row_whose_window_closes_before_it_leaves_goes_as_the_template(awa, fake_twilio):
    heard_from(awa.member, awa.order, 23.9)
    news_of_purchase(awa)
    [row] = rows("whatsapp")
    assert row.content_sid is None, "queued as free text, inside the window"
    time_passes(hours=2)  # the worker only gets to it once the window has closed
    templates(status_changed=TEMPLATE_SID)

    assert outbox.deliver_due() == 1

    [sent] = fake_twilio.messages
    assert sent.form["ContentSid"] == TEMPLATE_SID and "Body" not in sent.form
    assert variables_of(sent) == {"1": "Awa", "2": "DEM-2026-00042", "3": "Achetée",
                                  "4": ORDER_LINK.format(awa.order)}, \
        "the template gets the same variables as when it is chosen at once"


def test_a_row_whose_window_closes_before_it_leaves_without_a_template_becomes_email(
        awa, fake_twilio):
    heard_from(awa.member, awa.order, 23.9)
    news_of_purchase(awa)
    time_passes(hours=2)

    assert outbox.deliver_due() == 0
    assert fake_twilio.requests == []
    [row] = rows("whatsapp")
    assert (row.status, row.fallback_reason) == ("failed", "window_closed")
    [mail] = rows("email")
    assert row.fallback_id == mail.id
    assert (mail.fallback_reason, mail.recipient, mail.status) == ("window_closed",
                                                                   "awa@example.com", "pending")
    assert "Votre commande DEM-2026-00042 est maintenant : Achetée." in mail.body_text
    assert outbox.deliver_due() == 1
    assert rows("email")[0].status == "sent"


# --- Staff writing in the order thread --------------------------------------------------------

def staff_writes(awa, text: str, channel: str = "whatsapp"):
    order = db.session.get(Order, awa.order)
    message = threads.staff_writes(order, db.session.get(User, awa.staff), text, channel)
    db.session.commit()
    return message


def test_staff_writing_inside_the_window_sends_their_text_on_whatsapp(awa, fake_twilio):
    heard_from(awa.member, awa.order, 3)
    message = staff_writes(awa, "Bonjour")
    assert message.outbox.channel == "whatsapp"
    outbox_id = message.outbox_id

    assert outbox.deliver_due() == 1

    [sent] = fake_twilio.messages
    assert sent.form["To"] == "whatsapp:+2250701020304"
    assert sent.form["Body"].splitlines()[0] == "Bonjour"
    assert "DEM-2026-00042" in sent.form["Body"]
    assert sent.form["StatusCallback"] == PUBLIC + "/twilio/statut"
    [row] = rows("whatsapp")
    assert row.id == outbox_id and row.kind == "staff_message"
    assert (row.provider_sid, row.delivery_status) == (sent.sid, "queued")


def test_staff_writing_outside_the_window_without_a_template_sends_an_email(awa, fake_twilio):
    heard_from(awa.member, awa.order, 30)
    message = staff_writes(awa, "Bonjour")

    mail = message.outbox
    assert mail.channel == "email" and mail.fallback_reason == "window_closed"
    assert mail.recipient == "awa@example.com"
    assert "\n\nBonjour\n\n" in mail.body_text and ORDER_LINK.format(awa.order) in mail.body_text
    assert "DEM-2026-00042" in mail.subject
    assert rows("whatsapp") == []
    assert outbox.deliver_due() == 1
    assert fake_twilio.requests == []


def test_staff_writing_outside_the_window_with_a_template_uses_it(awa, fake_twilio):
    templates(staff_message=TEMPLATE_SID)
    message = staff_writes(awa, "Votre colis est arrivé, passez quand vous voulez.")
    assert message.outbox.content_sid == TEMPLATE_SID

    assert outbox.deliver_due() == 1
    [sent] = fake_twilio.messages
    assert sent.form["ContentSid"] == TEMPLATE_SID and "Body" not in sent.form
    variables = json.loads(sent.form["ContentVariables"])
    assert variables["3"] == "Votre colis est arrivé, passez quand vous voulez."
    assert sorted(variables) == ["1", "2", "3", "4"]


def test_staff_writing_on_whatsapp_to_a_member_without_a_phone_sends_an_email(
        app_ctx, fake_twilio):
    awa = people(phone=None)
    message = staff_writes(awa, "Bonjour")
    assert (message.outbox.channel, message.outbox.fallback_reason) == ("email", "no_phone")
    assert outbox.deliver_due() == 1
    assert fake_twilio.requests == []
