"""The staff view of an order: the member's request, staff actions, internal notes, history,
and cancellation with a reason."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OrderMessage
from portal.requests.models import Order
from tests.factories import login, make_order, make_user
from tests.requests.helpers import words

STAFF = "moussa@agence.example"
MEMBER = "awa@example.com"


@pytest.fixture
def staff_client(app):
    with app.app_context():
        make_user(STAFF, role="staff", full_name="Moussa Traoré")
    client = app.test_client()
    login(client, STAFF)
    return client


@pytest.fixture
def order_id(app):
    with app.app_context():
        member = make_user(MEMBER, company_name="Koné SARL", company_registration="CI-ABJ-7")
        return make_order(member, "submitted", items=2, reference="DEM-2026-00007").id


def test_staff_see_the_member_items_delivery_and_history(app, staff_client, order_id):
    page = words(staff_client.get(f"/equipe/commandes/{order_id}"))
    for text in ("Commande DEM-2026-00007", "Demande envoyée — en attente de proforma",
                 "Awa Koné", MEMBER, "Koné SARL — CI-ABJ-7", "Article 1", "Article 2",
                 "Établir la proforma", "Annuler la commande", "Historique"):
        assert text in page, text


def test_a_note_is_added_to_the_order(app, staff_client, order_id):
    response = staff_client.post_form(f"/equipe/commandes/{order_id}/notes",
                                      {"body": "Appeler le membre <b>demain</b>"})
    assert response.status_code == 302
    page = staff_client.get(f"/equipe/commandes/{order_id}").get_data(as_text=True)
    assert "Appeler le membre &lt;b&gt;demain&lt;/b&gt;" in page and "Note interne" in page


@pytest.mark.parametrize("body", ["", "x" * 2001, "nul\x00"])
def test_a_bad_note_is_refused(app, staff_client, order_id, body):
    response = staff_client.post_form(f"/equipe/commandes/{order_id}/notes", {"body": body})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(OrderMessage)).all() == []


def test_staff_cancel_with_a_reason_and_the_member_is_told(app, staff_client, order_id, outbox):
    response = staff_client.post_form(f"/equipe/commandes/{order_id}/annuler",
                                      {"reason": "out_of_stock", "note": "Plus en stock."})
    assert response.status_code == 302
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.cancel_reason) == ("cancelled", "out_of_stock")
        assert order.history[-1].actor.email == STAFF
    assert outbox.to(MEMBER, "status_changed")
    page = words(staff_client.get(f"/equipe/commandes/{order_id}"))
    assert "Motif d'annulation : Article en rupture de stock" in page
    assert "Annuler la commande" not in page


@pytest.mark.parametrize("reason", ["", "because", "x" * 100])
def test_a_cancellation_needs_a_known_reason(app, staff_client, order_id, reason):
    response = staff_client.post_form(f"/equipe/commandes/{order_id}/annuler",
                                      {"reason": reason})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Order, order_id).status == "submitted"


def test_a_cart_is_not_shown_to_staff(app, staff_client):
    with app.app_context():
        cart_id = make_order(make_user("cart@example.com"), "draft").id
    assert staff_client.get(f"/equipe/commandes/{cart_id}").status_code == 404


@pytest.mark.parametrize("path,method", [("", "get"), ("/notes", "post"), ("/annuler", "post")])
def test_members_and_anonymous_never_reach_the_staff_order_page(app, client, order_id,
                                                                path, method):
    url = f"/equipe/commandes/{order_id}{path}"
    anonymous = client.get(url) if method == "get" else client.post_form(url, {"body": "x"})
    assert anonymous.status_code == 302
    login(client, MEMBER)
    member = client.get(url) if method == "get" else client.post_form(
        url, {"body": "x", "reason": "other"})
    assert member.status_code == 403
    with app.app_context():
        assert db.session.get(Order, order_id).status == "submitted"
        assert db.session.scalars(select(OrderMessage)).all() == []
