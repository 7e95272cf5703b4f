"""The frame of a signed-in page — the account, the agency settings behind every date shown and
the bell's unread count — comes from the one statement that loads the session's account
(portal/page_frame.py), and stays right when the page itself changes them.
"""
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.members.models import User
from portal.messaging.notifications import mark_all_read, notify
from portal.staff.models import AgencySettings
from tests.conftest import sql_statements
from tests.factories import login, make_order, make_user
from tests.messaging.test_notifications import unread_badge
from tests.proforma.conftest import set_agency

SUBMITTED = datetime(2026, 3, 2, 8, 15)  # UTC; 17:15 in Tokyo


def member_with_news(app, unread: int, timezone: str | None = "Asia/Tokyo") -> None:
    with app.app_context():
        if timezone:
            set_agency(timezone=timezone)
        awa = make_user("awa@example.com")
        order = make_order(awa)
        order.submitted_at = SUBMITTED
        notify(awa, "Déjà lue")
        mark_all_read(awa)
        for number in range(unread):
            notify(awa, f"Nouvelle {number}")
        db.session.commit()


def dashboard(app, client) -> tuple[str, list[str]]:
    client.get("/commandes")  # a first request, unmeasured
    with sql_statements(app) as sent:
        page = client.get("/commandes").get_data(as_text=True)
    return page, sent


def test_one_statement_loads_the_account_the_settings_and_the_unread_count(app, client):
    member_with_news(app, unread=2)
    login(client)
    page, sent = dashboard(app, client)

    assert unread_badge(page) == 2
    assert "17:15" in page  # the agency's time zone, from the settings row
    [frame] = [statement for statement in sent if "agency_settings" in statement]
    assert "FROM users" in frame and "notifications" in frame
    assert sent.index(frame) == 0  # the account is what the page loads first
    assert not [statement for statement in sent[1:] if "notifications" in statement]


def test_a_page_that_marks_notifications_read_shows_the_bell_emptied(app, client):
    member_with_news(app, unread=3)
    login(client)
    assert unread_badge(client.get("/compte").get_data(as_text=True)) == 3

    listing = client.get("/notifications").get_data(as_text=True)  # marks them read, commits

    assert "Nouvelle 2" in listing
    assert unread_badge(listing) == 0
    assert unread_badge(client.get("/compte").get_data(as_text=True)) == 0


def test_a_new_notification_shows_on_the_next_page(app, client):
    member_with_news(app, unread=0)
    login(client)
    assert unread_badge(client.get("/compte").get_data(as_text=True)) == 0
    with app.app_context():
        notify(db.session.scalar(select(User).where(User.email == "awa@example.com")),
               "Votre devis est prêt")
        db.session.commit()
    assert unread_badge(client.get("/compte").get_data(as_text=True)) == 1


def test_without_stored_settings_pages_use_the_defaults(app, client):
    member_with_news(app, unread=1, timezone=None)
    login(client)
    page, _sent = dashboard(app, client)
    with app.app_context():
        assert db.session.get(AgencySettings, 1) is None
    assert unread_badge(page) == 1
    assert "08:15" in page  # UTC: the default time zone
