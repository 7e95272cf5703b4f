"""Dates are shown in the agency's time zone (its settings), else PORTAL_TIMEZONE."""
from datetime import datetime

from portal.extensions import db
from portal.requests.models import StatusChange
from tests.factories import login, make_order, make_user
from tests.proforma.conftest import set_agency
from tests.requests.helpers import words


def order_seen_at(app, client, when: datetime) -> str:
    with app.app_context():
        member = make_user("awa@example.com")
        order = make_order(member, "submitted")
        db.session.add(StatusChange(order_id=order.id, from_status="draft",
                                    to_status="submitted", at=when))
        db.session.commit()
        order_id = order.id
    login(client, "awa@example.com")
    return words(client.get(f"/commandes/{order_id}"))


def test_dates_follow_the_agency_time_zone(app, client):
    with app.app_context():
        set_agency(timezone="Indian/Reunion")  # UTC+4
    page = order_seen_at(app, client, datetime(2026, 11, 20, 22, 30))
    assert "21/11/2026 02:30" in page


def test_without_settings_the_default_time_zone_applies(app, client):
    page = order_seen_at(app, client, datetime(2026, 11, 20, 22, 30))
    assert "20/11/2026 22:30" in page
