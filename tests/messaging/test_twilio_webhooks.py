"""What Twilio sends us, signed with twilio's own RequestValidator: WhatsApp messages members
write (matched to their most recent active order, or left unassigned), their media, and the
delivery states of our messages; anything not signed for our public URL is refused (403) and
changes nothing.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging import order_news, outbox, whatsapp
from portal.messaging.models import Notification, OrderMessage, OutboxMessage
from portal.requests.models import Order
from tests.factories import make_order
from tests.messaging.conftest import make_due
from tests.messaging.fake_twilio import (  # noqa: F401 (fake_twilio_fixture: the fixture)
    ACCOUNT_SID,
    AUTH_TOKEN,
    fake_twilio_fixture,
)
from tests.messaging.rows import detached
from tests.messaging.whatsapp_setup import (
    PHONE,
    TEMPLATE_SID,
    heard_from,
    inbound,
    people,
    rows,
    signature,
    status,
    templates,
    twilio_posts,
)

INBOUND, STATUS = "/twilio/whatsapp", "/twilio/statut"


@pytest.fixture
def awa(app, fake_twilio):
    with app.app_context():
        return people()


def messages(app) -> list[OrderMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OrderMessage).order_by(OrderMessage.id)))
        db.session.expunge_all()
        return found


def outbox_rows(app, channel: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        return rows(channel)


# --- Messages members write -------------------------------------------------------------------

@pytest.fixture
def orders(app, awa):
    """Awa's orders besides the submitted one: an older active one, a newer active one (the
    one her messages go to), a newer completed one and a draft."""
    with app.app_context():
        member = db.session.get(User, awa.member)
        now = utcnow()
        first = db.session.get(Order, awa.order)
        first.submitted_at = now - timedelta(days=20)
        newer = make_order(member, "purchased", reference="DEM-2026-00050")
        newer.submitted_at = now - timedelta(days=3)
        done = make_order(member, "completed", reference="DEM-2026-00051")
        done.submitted_at = now - timedelta(days=1)
        draft = make_order(member, "draft")
        db.session.commit()
        return {"first": first.id, "newer": newer.id, "done": done.id, "draft": draft.id}


def test_a_signed_message_is_stored_on_the_members_most_recent_active_order(app, client,
                                                                          awa, orders):
    response = twilio_posts(client, INBOUND, inbound(body="Bonjour, ma commande est arrivée ?"))

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Response></Response>" in response.get_data(as_text=True)
    [message] = messages(app)
    assert message.order_id == orders["newer"]
    assert message.author_id == awa.member
    assert message.body == "Bonjour, ma commande est arrivée ?"
    assert (message.channel, message.from_member, message.kind) == ("whatsapp", True, "message")
    assert (message.provider_sid, message.sender) == ("SM" + "1" * 32, f"whatsapp:{PHONE}")
    assert message.media is None and message.read_at is None
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(
            Notification.user_id == awa.staff)).all()
        assert "DEM-2026-00050" in notice.text and "Awa Koné" in notice.text
        assert whatsapp.window_open(db.session.get(User, awa.member)), \
            "her message opens the 24-hour window"


def test_a_message_from_an_unknown_number_waits_unassigned(app, client, awa):
    response = twilio_posts(client, INBOUND, inbound(sender="+2250799999999", body="Allô ?"))

    assert response.status_code == 200
    [message] = messages(app)
    assert (message.order_id, message.author_id) == (None, None)
    assert (message.sender, message.body) == ("whatsapp:+2250799999999", "Allô ?")
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(
            Notification.user_id == awa.staff)).all()
        assert "+2250799999999" in notice.text


def test_a_message_from_a_member_without_an_active_order_waits_unassigned_under_her_name(
        app, client, awa):
    with app.app_context():
        db.session.get(Order, awa.order).status = "completed"
        db.session.commit()
    assert twilio_posts(client, INBOUND, inbound()).status_code == 200
    [message] = messages(app)
    assert (message.order_id, message.author_id) == (None, awa.member)


def test_the_same_message_delivered_twice_is_stored_once(app, client, awa):
    form = inbound(body="Une seule fois")
    assert twilio_posts(client, INBOUND, form).status_code == 200
    assert twilio_posts(client, INBOUND, form).status_code == 200

    [message] = messages(app)
    assert message.body == "Une seule fois"


def test_the_media_a_member_sends_are_listed_on_her_message(app, client, awa):
    base = "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages/MM01/Media/"
    form = inbound(body="Voici le reçu", NumMedia="2",
                   MediaUrl0=base + "ME0", MediaContentType0="image/jpeg",
                   MediaUrl1=base + "ME1", MediaContentType1="application/pdf")

    assert twilio_posts(client, INBOUND, form).status_code == 200

    [message] = messages(app)
    assert message.media == [{"url": base + "ME0", "content_type": "image/jpeg"},
                             {"url": base + "ME1", "content_type": "application/pdf"}]
    assert message.order_id == awa.order


@pytest.mark.parametrize("header", [None, "", "not-a-signature",
                                    "bm90IGEgcmVhbCBzaWduYXR1cmUgYXQgYWxsIQ=="])
def test_a_message_without_a_valid_signature_is_refused_and_not_stored(app, client, awa,
                                                                       header):
    response = twilio_posts(client, INBOUND, inbound(), header=header)

    assert response.status_code == 403
    assert messages(app) == []


def test_a_message_signed_with_another_token_is_refused(app, client, awa):
    form = inbound()
    forged = signature(INBOUND, form, token="not-our-auth-token")
    assert twilio_posts(client, INBOUND, form, header=forged).status_code == 403
    assert messages(app) == []


def test_a_tampered_parameter_breaks_the_signature(app, client, awa):
    response = twilio_posts(client, INBOUND, inbound(body="b"), signed=inbound(body="a"))

    assert response.status_code == 403
    assert messages(app) == []


def test_an_added_parameter_breaks_the_signature(app, client, awa):
    form = inbound(body="a")
    response = twilio_posts(client, INBOUND, form | {"NumMedia": "1",
                                                     "MediaUrl0": "https://evil.example/x"},
                            signed=form)
    assert response.status_code == 403
    assert messages(app) == []


@pytest.mark.parametrize("base, path", [
    ("https://evil.example", INBOUND),     # another host
    ("http://localhost:8080", INBOUND),    # another port
    ("https://localhost", INBOUND),        # another scheme
    ("http://localhost", STATUS),          # another path (the status callback's)
    ("http://localhost", INBOUND + "/"),
])
def test_a_signature_made_for_another_url_is_refused(app, client, awa, base, path):
    form = inbound()
    forged = signature(path, form, base=base)
    assert twilio_posts(client, INBOUND, form, header=forged).status_code == 403
    assert messages(app) == []


def test_the_default_port_of_the_public_url_may_be_in_the_signed_url(app, client, awa):
    """Twilio signs with or without the default port; both are the same URL."""
    form = inbound()
    signed = signature(INBOUND, form, base="http://localhost:80")
    assert twilio_posts(client, INBOUND, form, header=signed).status_code == 200
    assert len(messages(app)) == 1


def test_without_an_auth_token_every_webhook_is_refused(app, client, awa, monkeypatch):
    form = inbound()
    signed = signature(INBOUND, form)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")

    assert twilio_posts(client, INBOUND, form, header=signed).status_code == 403
    assert messages(app) == []


def test_webhooks_take_only_post(client, awa):
    assert client.get(INBOUND).status_code in (403, 405)
    assert client.get(STATUS).status_code in (403, 405)


# --- Delivery states of our messages ----------------------------------------------------------

@pytest.fixture
def sent(app, awa, fake_twilio):
    """News of Awa's order sent on WhatsApp (she wrote an hour ago): the outbox row's id and
    Twilio's SID."""
    with app.app_context():
        heard_from(awa.member, awa.order, 1)
        order_news.status_changed(db.session.get(Order, awa.order), "purchased", "Achetée")
        db.session.commit()
        assert outbox.deliver_due() == 1
    [request] = fake_twilio.accepted
    [row] = outbox_rows(app, "whatsapp")
    assert row.provider_sid == request.sid and row.delivery_status == "queued"
    return row.id, request.sid


def whatsapp_row(app, row_id: int) -> OutboxMessage:
    return detached(app, OutboxMessage, row_id)


def callback(client, sid: str, state: str, **extra):
    return twilio_posts(client, STATUS, status(sid, state, **extra))


def test_each_new_state_is_recorded(app, client, sent):
    row_id, sid = sent
    for state in ("queued", "sent", "delivered", "read"):
        assert callback(client, sid, state).status_code == 204
        assert whatsapp_row(app, row_id).delivery_status == state
    row = whatsapp_row(app, row_id)
    assert (row.status, row.delivery_error, row.fallback_id) == ("sent", None, None)


@pytest.mark.parametrize("late", ["queued", "sent", "delivered"])
def test_a_replayed_or_older_state_changes_nothing(app, client, sent, late):
    row_id, sid = sent
    callback(client, sid, "sent")
    callback(client, sid, "delivered")

    assert callback(client, sid, late).status_code == 204
    assert whatsapp_row(app, row_id).delivery_status == "delivered"


def test_a_state_for_an_unknown_message_changes_nothing(app, client, sent):
    row_id, _sid = sent
    assert callback(client, "SM" + "9" * 32, "failed", ErrorCode="63024").status_code == 204
    row = whatsapp_row(app, row_id)
    assert (row.status, row.delivery_status) == ("sent", "queued")
    assert outbox_rows(app, "email") == []


@pytest.mark.parametrize("state", ["failed", "undelivered"])
def test_a_message_whatsapp_cannot_deliver_becomes_an_email_once(app, client, sent, state):
    row_id, sid = sent
    callback(client, sid, "sent")
    form = status(sid, state, ErrorCode="63024",
                  ErrorMessage="Invalid message recipient")

    assert twilio_posts(client, STATUS, form).status_code == 204
    assert twilio_posts(client, STATUS, form).status_code == 204  # replayed
    assert callback(client, sid, "undelivered" if state == "failed" else "failed",
                    ErrorCode="63024").status_code == 204

    row = whatsapp_row(app, row_id)
    assert (row.status, row.delivery_status, row.fallback_reason) == ("failed", state,
                                                                      "undelivered")
    assert "63024" in row.delivery_error and "63024" in row.last_error
    [mail] = outbox_rows(app, "email")
    assert row.fallback_id == mail.id
    assert (mail.recipient, mail.kind, mail.fallback_reason) == ("awa@example.com",
                                                                 "status_changed", "undelivered")
    assert "Votre commande DEM-2026-00042 est maintenant : Achetée." in mail.body_text
    with app.app_context():
        assert outbox.deliver_due() == 1
    assert outbox_rows(app, "email")[0].status == "sent"


def test_a_retryable_failure_sends_the_message_again_later(app, client, sent, fake_twilio):
    row_id, sid = sent
    callback(client, sid, "sent")

    assert callback(client, sid, "failed", ErrorCode="30008",
                    ErrorMessage="Unknown error").status_code == 204

    row = whatsapp_row(app, row_id)
    assert (row.status, row.provider_sid, row.attempts) == ("pending", None, 1)
    with app.app_context():
        assert row.next_attempt_at > utcnow() + timedelta(seconds=30), "after the back-off"
    assert "30008" in row.delivery_error
    assert outbox_rows(app, "email") == [], "no e-mail yet"
    with app.app_context():
        assert outbox.deliver_due() == 0
    assert len(fake_twilio.messages) == 1

    make_due(app, row_id)
    with app.app_context():
        assert outbox.deliver_due() == 1

    first, again = fake_twilio.messages
    assert again.form == first.form
    row = whatsapp_row(app, row_id)
    assert (row.status, row.attempts, row.provider_sid, row.delivery_status) == (
        "sent", 2, again.sid, "queued")
    assert again.sid != sid
    assert callback(client, sid, "delivered").status_code == 204  # the old SID: ignored
    assert whatsapp_row(app, row_id).delivery_status == "queued"
    assert callback(client, again.sid, "delivered").status_code == 204
    assert whatsapp_row(app, row_id).delivery_status == "delivered"
    assert outbox_rows(app, "email") == []


def test_a_retryable_failure_after_the_last_attempt_becomes_an_email(app, client, sent,
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 1)
    row_id, sid = sent
    callback(client, sid, "failed", ErrorCode="30008")

    row = whatsapp_row(app, row_id)
    assert (row.status, row.fallback_reason) == ("failed", "undelivered")
    [mail] = outbox_rows(app, "email")
    assert row.fallback_id == mail.id


@pytest.mark.parametrize("forge", ["missing", "wrong", "tampered", "other_url"])
def test_a_status_callback_without_a_valid_signature_changes_nothing(app, client, sent, forge):
    row_id, sid = sent
    form = status(sid, "failed", ErrorCode="63024")
    if forge == "missing":
        response = twilio_posts(client, STATUS, form, header=None)
    elif forge == "wrong":
        response = twilio_posts(client, STATUS, form, header="c2lnbmF0dXJlIGZhdXNzZQ==")
    elif forge == "tampered":
        response = twilio_posts(client, STATUS, form,
                                signed=status(sid, "delivered"))
    else:
        response = twilio_posts(client, STATUS, form, header=signature(INBOUND, form))

    assert response.status_code == 403
    row = whatsapp_row(app, row_id)
    assert (row.status, row.delivery_status, row.fallback_id) == ("sent", "queued", None)
    assert outbox_rows(app, "email") == []


def test_with_sending_at_once_the_replacement_email_leaves_after_the_callback(
        app, client, sent, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", True)
    row_id, sid = sent
    callback(client, sid, "undelivered", ErrorCode="63016")

    [mail] = outbox_rows(app, "email")
    assert (mail.status, mail.fallback_reason) == ("sent", "undelivered")


# --- A message received opens the window ------------------------------------------------------

def test_after_a_member_writes_the_news_go_as_free_text_not_as_the_template(
        app, client, awa, fake_twilio):
    with app.app_context():
        templates(status_changed=TEMPLATE_SID)
    assert twilio_posts(client, INBOUND, inbound()).status_code == 200

    with app.app_context():
        order_news.status_changed(db.session.get(Order, awa.order), "purchased", "Achetée")
        db.session.commit()
        assert outbox.deliver_due() == 1
    [request] = fake_twilio.messages
    assert "Body" in request.form and "ContentSid" not in request.form


# --- Media members send: fetched from Twilio only --------------------------------------------

def test_media_are_fetched_from_twilio_with_the_account_credentials(app, fake_twilio):
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    url = fake_twilio.serve_media("ME0123", photo, "image/jpeg")

    with app.app_context():
        assert whatsapp.download_media(url) == photo

    [request] = [r for r in fake_twilio.requests if r.method == "GET"]
    assert request.path == "/media/ME0123"
    assert request.credentials == (ACCOUNT_SID, AUTH_TOKEN)


@pytest.mark.parametrize("url", ["https://evil.example/media/ME0123",
                                 "http://api.twilio.com/2010-04-01/Accounts/AC/Media/ME1",
                                 "file:///etc/passwd"])
def test_media_elsewhere_than_twilio_are_never_fetched(app, fake_twilio, url):
    with app.app_context(), pytest.raises(ValueError):
        whatsapp.download_media(url)
    assert fake_twilio.requests == []


def test_a_media_larger_than_the_upload_limit_is_refused(app, fake_twilio, monkeypatch):
    url = fake_twilio.serve_media("big", b"x" * 5000, "image/jpeg")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    with app.app_context(), pytest.raises(ValueError, match="too large"):
        whatsapp.download_media(url)


def test_a_missing_media_raises(app, fake_twilio):
    import requests

    with app.app_context(), pytest.raises(requests.HTTPError):
        whatsapp.download_media(f"{fake_twilio.url}/media/nothing")



def test_a_member_who_typed_her_number_the_local_way_is_recognised(app, client, fake_twilio):
    """The number given at sign-up ("07 01 02 03 04", Côte d'Ivoire) is stored in E.164, the
    form Twilio sends: her WhatsApp message goes to her order."""
    from tests.messaging.conftest import SIGNUP

    assert client.post_form("/inscription", SIGNUP).status_code == 302
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == SIGNUP["email"]))
        assert member.phone == PHONE
        order = make_order(member, "submitted")
        order_id, member_id = order.id, member.id

    assert twilio_posts(app.test_client(), INBOUND, inbound()).status_code == 200
    [message] = messages(app)
    assert (message.order_id, message.author_id) == (order_id, member_id)



def test_a_failure_reported_after_delivery_changes_nothing(app, client, sent):
    """Twilio never fails a message it has delivered: a late (or forged) "failed" is ignored."""
    row_id, sid = sent
    callback(client, sid, "delivered")
    assert callback(client, sid, "failed", ErrorCode="63024").status_code == 204
    row = whatsapp_row(app, row_id)
    assert (row.delivery_status, row.status, row.fallback_id) == ("delivered", "sent", None)
    assert outbox_rows(app, "email") == []
