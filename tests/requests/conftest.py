"""Fixtures of the order tests: a logged-in member with an address book, another member, and
the agency's shop window (published terms and a pickup point)."""
from types import SimpleNamespace

import pytest

from tests.factories import login, make_address, make_pickup_point, make_terms, make_user

EMAIL = "awa@example.com"
OTHER_EMAIL = "binta@example.com"


@pytest.fixture
def member(app, client):
    """Awa, logged in on `client`, with one (default) address."""
    with app.app_context():
        user = make_user(EMAIL)
        address = make_address(user, "Maison", line1="Rue des Jardins 12", city="Abidjan")
        found = SimpleNamespace(id=user.id, email=EMAIL, address_id=address.id)
    assert login(client, EMAIL).status_code == 302
    return found


@pytest.fixture
def stranger(app, other_client):
    """Binta, another member, logged in on `other_client`, with her own address."""
    with app.app_context():
        user = make_user(OTHER_EMAIL, full_name="Binta Diop", phone="+221771234567")
        address = make_address(user, "Chez Binta", line1="Avenue Secrète 7", city="Dakar",
                               country="SN")
        found = SimpleNamespace(id=user.id, email=OTHER_EMAIL, address_id=address.id)
    assert login(other_client, OTHER_EMAIL).status_code == 302
    return found


@pytest.fixture
def shop_window(app):
    """Published terms (version 1) and one active pickup point."""
    with app.app_context():
        terms = make_terms("Conditions version 1.")
        point = make_pickup_point("Agence Plateau")
        return SimpleNamespace(terms_id=terms.id, point_id=point.id)
