"""The order thread through the pages people use: the member writes from the order page, staff
are told and see an unread count until they open the order; staff answer in the portal, by
e-mail or by WhatsApp, the member is told and sees an unread count until they open it;
internal notes never reach the member; hostile input changes nothing.
"""
import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification, OrderMessage, OutboxMessage
from portal.requests.models import Order
from tests.conftest import sql_statements
from tests.factories import make_order
from tests.messaging.rows import detached_all
from tests.messaging.whatsapp_setup import heard_from
from tests.proforma.conftest import (
    MEMBER,
    STAFF,
    STRANGER,
    agency,
    member_client,
    request_order,
    staff_client,
    stranger_client,
)

# The quoting fixtures: an agency, Hélène's submitted request DEM-2026-00042, and logged-in
# clients for staff (Moussa), Hélène and a stranger (Binta).
FIXTURES = (agency, request_order, staff_client, member_client, stranger_client)
REFERENCE = "DEM-2026-00042"
MEMBER_POST = "/commandes/{}/messages"
STAFF_POST = "/equipe/commandes/{}/messages"
NOTE_POST = "/equipe/commandes/{}/notes"


def text_of(response) -> str:
    """The page as a reader sees it (entities decoded, spaces collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _TestIdText(HTMLParser):
    """Collects the text of the first element carrying data-testid=`name`."""

    def __init__(self, name: str):
        super().__init__(convert_charrefs=True)
        self.name, self.depth, self.found, self.parts = name, 0, False, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in VOID
        elif not self.found and dict(attrs).get("data-testid") == self.name:
            self.found, self.depth = True, 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def by_testid(response, name: str) -> str:
    """The text of the first element with data-testid=`name` (spaces collapsed), or ''."""
    parser = _TestIdText(name)
    parser.feed(response.get_data(as_text=True))
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def thread_rows(app, order_id: int | None = None) -> list[OrderMessage]:
    with app.app_context():
        query = select(OrderMessage).order_by(OrderMessage.id)
        if order_id is not None:
            query = query.where(OrderMessage.order_id == order_id)
        return detached_all(query)


def notifications_of(app, email: str) -> list[Notification]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        found = list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                        .order_by(Notification.id)))
        db.session.expunge_all()
        return found


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- The member writes ------------------------------------------------------------------------

def test_the_member_writes_staff_are_told_and_see_it_unread_until_they_open_the_order(
        app, member_client, staff_client, request_order):
    response = member_client.post_form(MEMBER_POST.format(request_order.id),
                                       {"body": "Bonjour, le sac existe-t-il en vert ?"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/commandes/{request_order.id}#messages")
    assert "Votre message est envoyé à l'agence." in text_of(
        member_client.get(response.headers["Location"]))

    [message] = thread_rows(app, request_order.id)
    assert (message.kind, message.channel, message.from_member, message.read_at) == (
        "message", "portal", True, None)
    [notice] = notifications_of(app, STAFF)
    assert notice.text == f"Message de Hélène Kouassi-N'Guessan sur {REFERENCE}"
    assert notice.link.endswith(f"/equipe/commandes/{request_order.id}#echanges")

    home = staff_client.get("/equipe/")
    assert by_testid(home, "unread-messages") == "1"
    inbox = staff_client.get("/equipe/messages")
    assert inbox.status_code == 200
    listed = by_testid(inbox, "unread-orders")
    assert listed.startswith(f"{REFERENCE} · Hélène Kouassi-N'Guessan 1 depuis le "), listed

    page = staff_client.get(f"/equipe/commandes/{request_order.id}")
    assert page.status_code == 200
    assert "Bonjour, le sac existe-t-il en vert ?" in text_of(page)
    assert by_testid(page, "order-messages").count("nouveau") == 1, \
        "the message is marked new the first time staff see it"

    [message] = thread_rows(app, request_order.id)
    assert message.read_at is not None
    assert "nouveau" not in by_testid(staff_client.get(f"/equipe/commandes/{request_order.id}"),
                                      "order-messages")
    assert by_testid(staff_client.get("/equipe/"), "unread-messages") == "0"
    inbox = staff_client.get("/equipe/messages")
    assert 'data-testid="unread-orders"' not in inbox.get_data(as_text=True)
    assert "Aucun message non lu." in text_of(inbox)


def test_the_member_reading_their_own_page_does_not_mark_their_message_read(
        app, member_client, staff_client, request_order):
    member_client.post_form(MEMBER_POST.format(request_order.id), {"body": "Une question"})
    member_client.get(f"/commandes/{request_order.id}")
    [message] = thread_rows(app, request_order.id)
    assert message.read_at is None
    assert by_testid(staff_client.get("/equipe/"), "unread-messages") == "1"


def writes_while_opening(app, client, url: str) -> list[str]:
    """The statements other than SELECT sent while `client` opens `url`."""
    with sql_statements(app) as sent:
        assert client.get(url).status_code == 200
    return [statement for statement in sent
            if not statement.lstrip().upper().startswith("SELECT")]


def test_opening_an_order_with_nothing_unread_writes_nothing(
        app, member_client, staff_client, request_order):
    url, staff_url = f"/commandes/{request_order.id}", f"/equipe/commandes/{request_order.id}"
    assert writes_while_opening(app, member_client, url) == []
    assert writes_while_opening(app, staff_client, staff_url) == []
    member_client.post_form(MEMBER_POST.format(request_order.id), {"body": "Une question"})
    assert writes_while_opening(app, member_client, url) == []  # their own message
    assert any(s.lstrip().upper().startswith("UPDATE")
               for s in writes_while_opening(app, staff_client, staff_url))
    assert writes_while_opening(app, staff_client, staff_url) == []  # read now


# --- Staff write ------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["portal", "email"])
def test_staff_answer_the_member_is_told_and_sees_it_unread_until_they_open_the_order(
        app, member_client, staff_client, request_order, outbox, channel):
    response = staff_client.post_form(STAFF_POST.format(request_order.id), {
        "body": "Oui, en vert au même prix.", "channel": channel})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/equipe/commandes/{request_order.id}#echanges")
    page = staff_client.get(response.headers["Location"])
    assert "Le message est envoyé au membre." in text_of(page)

    [message] = thread_rows(app, request_order.id)
    assert (message.from_member, message.channel, message.read_at) == (False, channel, None)
    mails = outbox.to(MEMBER, "staff_message")
    if channel == "email":
        [mail] = mails
        assert mail.channel == "email" and mail.fallback_reason is None
        assert message.outbox_id == mail.id
        assert "Oui, en vert au même prix." in mail.body_text
        assert mail.status == "sent"  # sent at once (written to the mail folder)
        assert "e-mail envoyé" in text_of(staff_client.get(
            f"/equipe/commandes/{request_order.id}"))
    else:
        assert mails == [] and message.outbox_id is None
        assert "dans le portail" in text_of(staff_client.get(
            f"/equipe/commandes/{request_order.id}"))

    [notice] = notifications_of(app, MEMBER)
    assert notice.text == f"Nouveau message de l'agence sur {REFERENCE}"
    assert notice.link.endswith(f"/commandes/{request_order.id}#messages")

    dashboard = member_client.get("/commandes")
    assert by_testid(dashboard, f"unread-{REFERENCE}") == "1 nouveau message"
    assert by_testid(dashboard, "unread-total") == "Vous avez 1 nouveau message de l'agence."

    order_page = member_client.get(f"/commandes/{request_order.id}")
    assert "Oui, en vert au même prix." in text_of(order_page)
    assert "L'agence" in text_of(order_page)
    assert "Moussa" not in text_of(order_page), "members see the agency as one voice"

    [message] = thread_rows(app, request_order.id)
    assert message.read_at is not None
    dashboard = member_client.get("/commandes")
    assert f'data-testid="unread-{REFERENCE}"' not in dashboard.get_data(as_text=True)
    assert 'data-testid="unread-total"' not in dashboard.get_data(as_text=True)


def test_staff_opening_the_order_does_not_mark_their_own_message_read(
        app, member_client, staff_client, request_order):
    staff_client.post_form(STAFF_POST.format(request_order.id), {"body": "Bonjour",
                                                                 "channel": "portal"})
    staff_client.get(f"/equipe/commandes/{request_order.id}")
    [message] = thread_rows(app, request_order.id)
    assert message.read_at is None
    assert by_testid(member_client.get("/commandes"), f"unread-{REFERENCE}") == "1 nouveau message"


def test_unread_counts_are_per_order_and_per_member(app, member_client, staff_client,
                                                    stranger_client, request_order):
    with app.app_context():
        member = db.session.get(User, request_order.member_id)
        second = make_order(member, "submitted", reference="DEM-2026-00043")
        second_id = second.id
    for order_id, body in [(request_order.id, "Un"), (request_order.id, "Deux"),
                           (second_id, "Trois")]:
        assert staff_client.post_form(STAFF_POST.format(order_id), {
            "body": body, "channel": "portal"}).status_code == 302

    dashboard = member_client.get("/commandes")
    assert by_testid(dashboard, f"unread-{REFERENCE}") == "2 nouveaux messages"
    assert by_testid(dashboard, "unread-DEM-2026-00043") == "1 nouveau message"
    assert by_testid(dashboard, "unread-total") == "Vous avez 3 nouveaux messages de l'agence."
    assert 'data-testid="unread-total"' not in stranger_client.get("/commandes").get_data(
        as_text=True)

    member_client.get(f"/commandes/{second_id}")
    dashboard = member_client.get("/commandes")
    assert by_testid(dashboard, f"unread-{REFERENCE}") == "2 nouveaux messages"
    assert 'data-testid="unread-DEM-2026-00043"' not in dashboard.get_data(as_text=True)
    assert by_testid(dashboard, "unread-total") == "Vous avez 2 nouveaux messages de l'agence."


def test_unread_messages_of_a_finished_order_still_count_on_the_dashboard(
        app, member_client, staff_client, request_order):
    assert staff_client.post_form(STAFF_POST.format(request_order.id), {
        "body": "Votre remboursement est parti.", "channel": "portal"}).status_code == 302
    with app.app_context():
        db.session.get(Order, request_order.id).status = "cancelled"  # set-up only
        db.session.commit()

    dashboard = member_client.get("/commandes")
    assert f'data-testid="order-{REFERENCE}"' not in dashboard.get_data(as_text=True)
    assert by_testid(dashboard, "unread-total") == "Vous avez 1 nouveau message de l'agence."


def test_an_internal_note_is_never_shown_to_the_member_nor_counted(
        app, member_client, staff_client, request_order):
    assert staff_client.post_form(NOTE_POST.format(request_order.id), {
        "body": "Client difficile : vérifier le paiement deux fois."}).status_code == 302
    assert "Client difficile" in text_of(staff_client.get(
        f"/equipe/commandes/{request_order.id}"))

    page = member_client.get(f"/commandes/{request_order.id}")
    assert page.status_code == 200
    assert "Client difficile" not in page.get_data(as_text=True)
    assert "Note interne" not in text_of(page)
    assert "Aucun message pour l'instant." in text_of(page)
    assert 'data-testid="unread-total"' not in member_client.get("/commandes").get_data(
        as_text=True)
    assert notifications_of(app, MEMBER) == []


def test_whatsapp_without_credentials_is_recorded_as_development_on_the_staff_page(
        app, member_client, staff_client, request_order):
    with app.app_context():
        heard_from(request_order.member_id, request_order.id, hours_ago=1)  # window open
    response = staff_client.post_form(STAFF_POST.format(request_order.id), {
        "body": "Votre colis arrive demain.", "channel": "whatsapp"}, follow_redirects=True)
    assert "Le message est envoyé au membre." in text_of(response)

    sent = [m for m in thread_rows(app, request_order.id) if not m.from_member]
    [message] = sent
    with app.app_context():
        row = db.session.get(OutboxMessage, message.outbox_id)
        assert (row.channel, row.status, row.delivery_status, row.fallback_reason) == (
            "whatsapp", "sent", "development", None)
    page = staff_client.get(f"/equipe/commandes/{request_order.id}")
    assert by_testid(page, "delivery") == "WhatsApp non envoyé (développement)"


def test_whatsapp_outside_the_window_falls_back_to_email_and_staff_are_told(
        app, member_client, staff_client, request_order, outbox):
    response = staff_client.post_form(STAFF_POST.format(request_order.id), {
        "body": "Votre colis arrive demain.", "channel": "whatsapp"}, follow_redirects=True)
    page = text_of(response)
    assert "WhatsApp impossible (hors de la fenêtre de 24 h de WhatsApp, sans modèle approuvé)" \
           " : le message part par e-mail." in page
    [mail] = outbox.to(MEMBER, "staff_message")
    assert (mail.channel, mail.fallback_reason) == ("email", "window_closed")
    assert "à la place de WhatsApp" in by_testid(response, "delivery")


# --- Hostile input ----------------------------------------------------------------------------

BAD_BODIES = [
    ("", "Ce champ est obligatoire."),
    ("   \n  ", "Ce champ est obligatoire."),
    ("x" * 2001, "2000 caractères au maximum."),
]


@pytest.mark.parametrize(("body", "error"), BAD_BODIES, ids=["empty", "blank", "2001 chars"])
def test_a_bad_member_message_is_refused_in_french_and_nothing_is_stored(
        app, member_client, staff_client, request_order, body, error):
    response = member_client.post_form(MEMBER_POST.format(request_order.id), {"body": body})
    assert response.status_code == 422
    assert error in text_of(response)
    assert thread_rows(app) == [] and notifications_of(app, STAFF) == []


@pytest.mark.parametrize(("body", "error"), BAD_BODIES, ids=["empty", "blank", "2001 chars"])
def test_a_bad_staff_message_is_refused_in_french_and_nothing_is_stored(
        app, staff_client, request_order, body, error):
    response = staff_client.post_form(STAFF_POST.format(request_order.id),
                                      {"body": body, "channel": "email"})
    assert response.status_code == 422
    assert error in text_of(response)
    assert thread_rows(app) == [] and count(app, OutboxMessage) == 0
    assert notifications_of(app, MEMBER) == []


def test_exactly_2000_characters_are_accepted(app, member_client, request_order):
    assert member_client.post_form(MEMBER_POST.format(request_order.id),
                                   {"body": "é" * 2000}).status_code == 302
    [message] = thread_rows(app)
    assert message.body == "é" * 2000


@pytest.mark.parametrize("channel", ["sms", "", "WHATSAPP", "portal'--"])
def test_an_unknown_channel_is_refused_in_french_and_nothing_is_stored(
        app, staff_client, request_order, channel):
    response = staff_client.post_form(STAFF_POST.format(request_order.id),
                                      {"body": "Bonjour", "channel": channel})
    assert response.status_code == 422
    assert "Choisissez un canal de la liste." in text_of(response)
    assert thread_rows(app) == [] and count(app, OutboxMessage) == 0


def test_markup_in_a_message_is_shown_as_text_on_both_sides(app, member_client, staff_client,
                                                            request_order):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    member_client.post_form(MEMBER_POST.format(request_order.id), {"body": hostile})
    staff_client.post_form(STAFF_POST.format(request_order.id),
                           {"body": hostile, "channel": "portal"})
    for page in (member_client.get(f"/commandes/{request_order.id}"),
                 staff_client.get(f"/equipe/commandes/{request_order.id}")):
        raw = page.get_data(as_text=True)
        assert '<script>alert("x")' not in raw and "<img src=x" not in raw
        assert "&lt;script&gt;alert(" in raw
    assert [m.body for m in thread_rows(app)] == [hostile, hostile]


def test_a_message_without_the_csrf_token_is_refused(app, member_client, staff_client,
                                                     request_order):
    assert member_client.post(MEMBER_POST.format(request_order.id),
                              data={"body": "Bonjour"}).status_code == 400
    assert staff_client.post(STAFF_POST.format(request_order.id),
                             data={"body": "Bonjour", "channel": "portal"}).status_code == 400
    assert thread_rows(app) == []


@pytest.mark.parametrize("order_id", ["other", "424242", "99999999999999999999"])
def test_a_member_cannot_write_on_an_order_that_is_not_theirs(
        app, member_client, stranger_client, request_order, order_id):
    with app.app_context():
        stranger = db.session.scalar(select(User).where(User.email == STRANGER))
        other = make_order(stranger, "submitted", reference="DEM-2026-00077").id
    target = other if order_id == "other" else order_id
    response = member_client.post_form(MEMBER_POST.format(target), {"body": "Intrusion"})
    assert response.status_code == 404
    assert thread_rows(app) == []


def test_staff_cannot_write_through_the_member_form(app, staff_client, request_order):
    response = staff_client.post_form(MEMBER_POST.format(request_order.id), {"body": "Test"})
    assert response.status_code == 404
    assert thread_rows(app) == []


def test_nobody_writes_on_a_cart(app, member_client, request_order):
    with app.app_context():
        member = db.session.get(User, request_order.member_id)
        cart = make_order(member, "draft").id
    assert member_client.post_form(MEMBER_POST.format(cart), {"body": "Bonjour"}
                                   ).status_code == 404
    assert thread_rows(app) == []


@pytest.mark.parametrize("order_id", ["424242", "99999999999999999999"])
def test_staff_writing_on_an_unknown_order_get_a_404(app, staff_client, order_id):
    assert staff_client.post_form(STAFF_POST.format(order_id), {
        "body": "Bonjour", "channel": "portal"}).status_code == 404
    assert thread_rows(app) == []


def test_a_member_cannot_use_the_staff_form(app, member_client, request_order):
    assert member_client.post_form(STAFF_POST.format(request_order.id), {
        "body": "Bonjour", "channel": "portal"}).status_code == 403
    assert thread_rows(app) == [] and notifications_of(app, MEMBER) == []


def test_a_whatsapp_reply_lands_on_the_order_the_agency_last_moved(app):
    """A member with two active orders answers the pickup message: the reply goes to the order
    that just became ready, not to her newest request."""
    from datetime import timedelta

    from portal.clock import utcnow
    from portal.messaging import threads
    from tests.factories import make_user
    from tests.messaging.whatsapp_setup import inbound

    with app.app_context():
        member = make_user("mariam@example.com", phone="+2250701020399")
        ready = make_order(member, "ready")
        newer = make_order(member, "submitted")
        ready.submitted_at = utcnow() - timedelta(days=20)
        ready.status_changed_at = utcnow()
        newer.status_changed_at = utcnow() - timedelta(days=2)
        db.session.commit()
        message = threads.record_inbound(inbound(sender="+2250701020399", body="Je passe demain"))
        db.session.commit()
        assert (message.order_id, message.author_id) == (ready.id, member.id)
