"""Fixtures of the staff payment tests: Awa (member) and Moussa (staff) made through the
builders, and Moussa logged in. Import them into a test module to use them."""
from types import SimpleNamespace

import pytest

from tests.factories import login
from tests.payments import builders

MEMBER, STAFF = "awa@example.com", "moussa@agence.example"


@pytest.fixture
def people(app):
    with app.app_context():
        builders.agency()
        member, staff = builders.member(MEMBER), builders.staff_member(STAFF)
        return SimpleNamespace(member=member.id, staff=staff.id)


@pytest.fixture
def staff_client(app, people):
    client = app.test_client()
    assert login(client, STAFF).status_code == 302
    return client
