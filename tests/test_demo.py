"""`flask demo` (run by `make run`): an admin, a staff member and a member who can log in."""
import pytest
from sqlalchemy import func, select

from portal.cli import DEMO_ACCOUNTS
from portal.extensions import db
from portal.members.models import User
from tests.factories import login


def test_demo_accounts_are_created_once_and_printed(app, runner):
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    for email, _name, _role, password in DEMO_ACCOUNTS:
        assert email in first.output and password in first.output
    assert "nothing added" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == len(DEMO_ACCOUNTS)


@pytest.mark.parametrize("email, name, role, password", DEMO_ACCOUNTS)
def test_each_demo_account_can_log_in(app, runner, client, email, name, role, password):
    runner.invoke(args=["demo"])
    response = login(client, email, password)
    assert response.status_code == 302
    expected = "/equipe/" if role != "member" else "/commandes"
    assert response.headers["Location"].endswith(expected)


def test_demo_data_is_refused_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_the_demo_agency_has_settings_payment_methods_and_requests_to_price(app, runner):
    from portal.proforma.models import Proforma
    from portal.requests.models import Order
    from portal.staff.models import AgencySettings, active_payment_methods

    runner.invoke(args=["demo"])
    with app.app_context():
        settings = AgencySettings.get()
        assert (settings.currency, settings.timezone) == ("XOF", "Africa/Abidjan")
        assert len(active_payment_methods()) == 4
        statuses = db.session.scalars(select(Order.status).order_by(Order.id)).all()
        assert statuses == ["submitted", "quoted"]
        [proforma] = db.session.scalars(select(Proforma)).all()
        assert proforma.pdf_key and proforma.total == proforma.subtotal + proforma.fees_total
