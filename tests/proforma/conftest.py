"""Fixtures of the quoting tests: an agency with settings and payment methods, a member with a
submitted request of three items, and a staff member logged in on their own client."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal import clock
from portal.extensions import db
from portal.staff.models import SETTINGS_DEFAULTS, AgencySettings, PaymentMethod
from tests.factories import login, make_order, make_user
from tests.messaging.conftest import mail_server, smtp  # noqa: F401 (fixtures)

MEMBER = "helene@example.com"
STAFF = "moussa@agence.example"
STRANGER = "binta@example.com"
ITEMS = [("Crème hydratante Éclat", 2), ("Sac à dos 20 L", 1), ("Montre connectée", 1)]


def set_agency(**values) -> AgencySettings:
    settings = db.session.get(AgencySettings, 1) or AgencySettings(id=1, **SETTINGS_DEFAULTS)
    defaults = {"company_name": "Société Générale d'Achats", "currency": "EUR",
                "locale": "fr_FR", "timezone": "Africa/Abidjan", "service_fee_bp": 1000,
                "service_fee_minimum": 500, "deposit_bp": 5000, "proforma_validity_days": 7,
                "company_address": "Avenue Chardy, Abidjan", "rccm": "CI-ABJ-2026-B-1234",
                "legal_mentions": "SARL au capital de 1 000 000 F CFA."}
    for name, value in (defaults | values).items():
        setattr(settings, name, value)
    db.session.add(settings)
    db.session.commit()
    return settings


@pytest.fixture
def agency(app):
    with app.app_context():
        set_agency()
        bank = PaymentMethod(name="Virement bancaire", position=1,
                             instructions="IBAN CI93 CI00 0101 0000 1234 5678 9012\nBanque Atlantique")
        wave = PaymentMethod(name="Wave", position=2, instructions="Wave : +225 07 00 00 00 01")
        hidden = PaymentMethod(name="Ancien compte", position=3, instructions="-",
                               is_active=False)
        db.session.add_all([bank, wave, hidden])
        db.session.commit()
        return SimpleNamespace(bank=bank.id, wave=wave.id, hidden=hidden.id)


@pytest.fixture
def request_order(app, agency):
    """Hélène's submitted request of three items (and Hélène, not logged in)."""
    with app.app_context():
        member = make_user(MEMBER, full_name="Hélène Kouassi-N'Guessan",
                           company_name="Kouassi & Fils", company_registration="CI-ABJ-99")
        order = make_order(member, "submitted", items=0, reference="DEM-2026-00042")
        from portal.requests.models import OrderItem
        for name, quantity in ITEMS:
            order.items.append(OrderItem(name=name, quantity=quantity,
                                         url=f"https://shop.example.com/{len(order.items)}",
                                         details="Taille M" if quantity == 2 else None))
        db.session.commit()
        return SimpleNamespace(id=order.id, member_id=member.id,
                               item_ids=[item.id for item in order.items])


@pytest.fixture
def staff_client(app):
    with app.app_context():
        make_user(STAFF, role="staff", full_name="Moussa Traoré")
    client = app.test_client()
    assert login(client, STAFF).status_code == 302
    return client


@pytest.fixture
def member_client(app, request_order):
    client = app.test_client()
    assert login(client, MEMBER).status_code == 302
    return client


@pytest.fixture
def stranger_client(app):
    with app.app_context():
        make_user(STRANGER, full_name="Binta Diop")
    client = app.test_client()
    assert login(client, STRANGER).status_code == 302
    return client


@pytest.fixture
def quoted(app, staff_client, request_order, agency):
    """Hélène's request priced and issued by staff (version 1): 185,49 €, deposit 92,75 €."""
    response = staff_client.post_form(f"/equipe/commandes/{request_order.id}/proforma",
                                      quote_fields(request_order, agency))
    assert response.status_code == 302
    return request_order


def in_days(days: int) -> str:
    return (clock.utcnow().date() + timedelta(days=days)).isoformat()


def quote_fields(order, agency, prices=("12,50", "30", "99,99"), **overrides) -> dict:
    """The editor's form filled like a person would: one price per line (None: unavailable)."""
    data = {"base_version": "0", "service_fee": "", "shipping": "15", "deposit_mode": "percent",
            "deposit_percent": "50", "deposit_amount": "", "valid_until": in_days(7),
            "payment_methods": [str(agency.bank), str(agency.wave)],
            "message": "Livraison estimée sous 3 semaines."}
    for index, (item_id, price) in enumerate(zip(order.item_ids, prices, strict=True)):
        data[f"lines-{index}-item_id"] = str(item_id)
        if price is None:
            data[f"lines-{index}-unavailable"] = "y"
            data[f"lines-{index}-reason"] = "Rupture de stock chez le marchand"
        else:
            data[f"lines-{index}-unit_price"] = price
    for index in range(3):
        data[f"other_fees-{index}-label"] = ""
        data[f"other_fees-{index}-amount"] = ""
    return data | overrides
