"""In-app notifications: a welcome on confirmation, a bell with the unread count, a list that
marks what it shows as read, each member seeing only their own.
"""
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.messaging.models import Notification
from portal.messaging.notifications import notify
from tests.conftest import path_of
from tests.factories import login, make_user
from tests.messaging.conftest import SIGNUP

UNREAD_BADGE = re.compile(r'data-testid="unread-count">(\d+)<')


def unread_badge(page: str) -> int:
    """The number on the bell (0 when the bell shows none)."""
    found = UNREAD_BADGE.search(page)
    return int(found.group(1)) if found else 0


def bell(client) -> int:
    return unread_badge(client.get("/compte").get_data(as_text=True))


def notes_for(app, email: str, count: int, prefix: str = "Note") -> None:
    """A member with `count` notifications, numbered from 1 (the oldest) to `count`."""
    with app.app_context():
        user = make_user(email)
        for number in range(1, count + 1):
            notify(user, f"{prefix} {number} pour {email}")
        db.session.commit()


def unread_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Notification.id)).where(Notification.read_at.is_(None)))


@pytest.fixture
def awa(app, client):
    notes_for(app, "awa@example.com", 3)
    login(client, "awa@example.com")
    return client


def test_confirming_an_account_brings_a_welcome_notification(app, client, outbox):
    client.post_form("/inscription", SIGNUP)
    client.get(path_of(outbox.link("fatou@example.com", "confirm")))
    with app.app_context():
        [note] = db.session.scalars(select(Notification)).all()
        assert note.user.email == "fatou@example.com"
        assert note.text == "Bienvenue ! Votre adresse e-mail est confirmée."
        assert note.read_at is None
    client.post_form("/connexion", {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert bell(client) == 1

    client.get(path_of(outbox.link("fatou@example.com", "confirm")))
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == 1, "welcomed once"


def test_the_bell_shows_the_unread_count(awa):
    page = awa.get("/compte").get_data(as_text=True)
    assert unread_badge(page) == 3
    assert 'href="/notifications"' in page
    assert "non lues" in page


def test_the_bell_shows_no_badge_when_everything_is_read(app, client):
    with app.app_context():
        make_user("awa@example.com")
    login(client, "awa@example.com")
    page = client.get("/compte").get_data(as_text=True)
    assert 'data-testid="bell"' in page
    assert 'data-testid="unread-count"' not in page


def test_the_list_shows_the_notifications_and_marks_them_read(app, awa):
    page = awa.get("/notifications").get_data(as_text=True)
    assert page.index("Note 3 pour") < page.index("Note 2 pour") < page.index("Note 1 pour")
    assert page.count(">Nouveau<") == 3
    assert unread_in_db(app) == 0
    assert bell(awa) == 0

    again = awa.get("/notifications").get_data(as_text=True)
    assert "Note 1 pour awa@example.com" in again
    assert ">Nouveau<" not in again


def test_a_notification_with_a_link_is_shown_as_a_link(app, client):
    with app.app_context():
        user = make_user("awa@example.com")
        notify(user, "Votre devis est prêt", link="/compte")
        db.session.commit()
    login(client, "awa@example.com")
    page = client.get("/notifications").get_data(as_text=True)
    assert '<a href="/compte">Votre devis est prêt</a>' in page


def test_tout_marquer_comme_lu_marks_every_page_read(app, client):
    notes_for(app, "awa@example.com", 25)
    login(client, "awa@example.com")
    assert "Tout marquer comme lu" in client.get("/notifications").get_data(as_text=True)
    assert unread_in_db(app) == 5, "only the first page was shown"

    response = client.post_form("/notifications/tout-lu", follow_redirects=True)
    assert "Toutes vos notifications sont marquées comme lues." in response.get_data(as_text=True)
    assert unread_in_db(app) == 0
    assert bell(client) == 0


def test_tout_marquer_comme_lu_needs_a_login(app, client):
    notes_for(app, "awa@example.com", 2)
    response = client.post_form("/notifications/tout-lu")
    assert "/connexion" in response.headers["Location"]
    assert unread_in_db(app) == 2


def test_a_member_never_sees_nor_touches_another_members_notifications(app, client):
    notes_for(app, "awa@example.com", 2)
    notes_for(app, "bakary@example.com", 1)
    login(client, "bakary@example.com")
    assert bell(client) == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert "Note 1 pour bakary@example.com" in page
    assert "awa@example.com" not in page
    client.post_form("/notifications/tout-lu")
    assert unread_in_db(app) == 2, "Awa's notifications are still unread"

    client.post_form("/deconnexion")
    login(client, "awa@example.com")
    assert bell(client) == 2
    assert "bakary@example.com" not in client.get("/notifications").get_data(as_text=True)


def test_the_list_is_paginated_newest_first(app, client):
    notes_for(app, "awa@example.com", 25)
    login(client, "awa@example.com")

    first = client.get("/notifications").get_data(as_text=True)
    assert first.count(">Nouveau<") == 20
    assert "Note 25 pour" in first and "Note 6 pour" in first and "Note 5 pour" not in first
    assert "Page 1 sur 2" in first
    assert 'href="/notifications?page=2"' in first
    assert bell(client) == 5, "the second page is still unread"

    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Page 2 sur 2" in second
    assert "Note 5 pour" in second and "Note 1 pour" in second and "Note 6 pour" not in second
    assert second.count(">Nouveau<") == 5
    assert bell(client) == 0

    beyond = client.get("/notifications?page=9")
    assert beyond.status_code == 200
    assert "Aucune notification pour le moment." in beyond.get_data(as_text=True)


def test_the_list_needs_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_an_empty_list_says_so(app, client):
    with app.app_context():
        make_user("awa@example.com")
    login(client, "awa@example.com")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Aucune notification pour le moment." in page
    assert "Tout marquer comme lu" not in page
