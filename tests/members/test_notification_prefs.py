"""A member chooses on their profile whether news of their orders may reach them by e-mail and
on WhatsApp. In-app notifications always come, and documents always go by e-mail; a member who
turns a channel off gets nothing by it, and a new account starts with both channels on."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import User
from portal.messaging import order_news
from portal.messaging.models import Notification, OutboxMessage
from portal.workflow import Status, advance
from tests.factories import login, make_order, make_user
from tests.members.helpers import text_of, user_by_email
from tests.members.test_profile import EMAIL, PROFILE
from tests.members.test_signup import GOOD

PROFILE_URL = "/compte/profil"


@pytest.fixture
def member(app, client):
    with app.app_context():
        make_user(EMAIL)
    login(client)


def choices_of(app, email: str = EMAIL) -> tuple[bool, bool]:
    user = user_by_email(app, email)
    return user.notify_email, user.notify_whatsapp


def boxes(email: bool, whatsapp: bool) -> dict:
    """The profile form as a browser sends it: an unticked box is not sent at all."""
    data = PROFILE | {"locale": "fr"}
    if email:
        data["notify_email"] = "y"
    if whatsapp:
        data["notify_whatsapp"] = "y"
    return data


def messages_to(member_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == member_id)
                                   .order_by(OutboxMessage.id)))


def notices_of(member_id: int) -> list[str]:
    return list(db.session.scalars(select(Notification.text)
                                   .where(Notification.user_id == member_id)))


# --- The profile page ---------------------------------------------------------------------

def test_the_profile_shows_both_boxes_ticked_with_what_they_mean(client, member):
    response = client.get(PROFILE_URL)
    html = text_of(response)
    for name, label in [("notify_email", "Recevoir les notifications par e-mail"),
                        ("notify_whatsapp", "Recevoir les notifications sur WhatsApp")]:
        assert f'<label class="form-check-label" for="{name}">{label}</label>' in html
        assert f'checked class="form-check-input" id="{name}"' in html
    assert "Les notifications de votre espace sur le portail arrivent toujours." in html
    assert "Les documents (proformas, reçus, factures en PDF) vous sont toujours envoyés par " \
           "e-mail" in html
    assert "WhatsApp demande un numéro de téléphone." in html


@pytest.mark.parametrize("email, whatsapp", [(False, True), (True, False), (False, False),
                                             (True, True)])
def test_the_choices_are_saved_and_shown_again(app, client, member, email, whatsapp):
    response = client.post_form(PROFILE_URL, boxes(email, whatsapp))
    assert response.status_code == 302
    assert choices_of(app) == (email, whatsapp)
    html = text_of(client.get(PROFILE_URL))
    assert ('checked class="form-check-input" id="notify_email"' in html) is email
    assert ('checked class="form-check-input" id="notify_whatsapp"' in html) is whatsapp


def test_a_refused_profile_changes_no_choice(app, client, member):
    response = client.post_form(PROFILE_URL, boxes(False, False) | {"phone": "12"})
    assert response.status_code == 200
    assert "Numéro de téléphone invalide" in text_of(response)
    assert choices_of(app) == (True, True)


def test_a_post_without_its_csrf_token_changes_no_choice(app, client, member):
    assert client.post(PROFILE_URL, data=boxes(False, False)).status_code == 400
    assert choices_of(app) == (True, True)


def test_a_new_account_accepts_both_channels(app, client):
    assert client.post_form("/inscription", GOOD).status_code == 302
    assert choices_of(app, "fatou.ndiaye@example.com") == (True, True)


# --- The choices matter -------------------------------------------------------------------

@pytest.mark.parametrize("notify_email, e_mails", [(False, 0), (True, 1)])
def test_a_status_change_reaches_the_member_by_e_mail_only_if_they_accept_it(
        app, notify_email, e_mails):
    with app.app_context():
        member = make_user(EMAIL, phone=None, preferred_channel="email",
                           notify_email=notify_email)
        order = make_order(member, "confirmed")
        order_news.status_changed(order, "confirmed", "Acompte reçu")
        db.session.commit()
        rows = messages_to(member.id)
        assert [(row.channel, row.kind, row.recipient) for row in rows] == \
            [("email", "status_changed", EMAIL)] * e_mails
        assert notices_of(member.id) == [f"Commande {order.reference} : Acompte reçu"]


def test_a_member_who_turns_both_channels_off_only_reads_the_news_in_the_portal(app, client,
                                                                               member):
    client.post_form(PROFILE_URL, boxes(False, False))
    with app.app_context():
        awa = db.session.scalar(select(User).where(User.email == EMAIL))
        staff = make_user("moussa@agence.example", role="staff", full_name="Moussa Traoré")
        order = make_order(awa, "confirmed")
        advance(order, Status.PURCHASED, staff)
        db.session.commit()
        assert messages_to(awa.id) == []
        assert notices_of(awa.id) == [f"Commande {order.reference} : {Status.PURCHASED.label}"]


def test_whatsapp_turned_off_sends_the_news_by_e_mail_instead(app, client, member):
    client.post_form(PROFILE_URL, boxes(True, False) | {"preferred_channel": "whatsapp"})
    with app.app_context():
        awa = db.session.scalar(select(User).where(User.email == EMAIL))
        order = make_order(awa, "confirmed")
        order_news.status_changed(order, "purchased", "Achetée")
        db.session.commit()
        assert [(row.channel, row.recipient) for row in messages_to(awa.id)] == \
            [("email", EMAIL)]
