"""The proforma request: what it needs (items, terms, an address of the member's own, a delivery
mode and a pickup point for pickup), what it records (reference, terms version and time, the
address as it was), and who is told."""
import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import Address
from portal.requests.models import Order
from tests.factories import login, make_address, make_pickup_point, make_terms, make_user
from tests.members.helpers import text_of
from tests.requests.conftest import EMAIL
from tests.requests.helpers import (
    FORM_ERROR,
    add_item,
    cart_items,
    notifications_of,
    orders_of,
    page_text,
)

YEAR = utcnow().year
STAFF_MAILBOX = "equipe@agence.example"


def request_form(member, shop_window, **fields) -> dict:
    return {"address_id": str(member.address_id), "delivery_mode": "pickup",
            "pickup_point_id": str(shop_window.point_id), "accept_terms": "y"} | fields


def send(client, member, shop_window, follow_redirects: bool = False, **fields):
    return client.post_form("/panier/envoyer", request_form(member, shop_window, **fields),
                            follow_redirects=follow_redirects)


@pytest.fixture
def filled_cart(client, member, shop_window):
    add_item(client, name="Robe en lin", quantity="2")
    add_item(client, name="Sandales", url="https://www.shein.com/sandales-p-42.html",
             quantity="1", details="Pointure 39")


def words_of(html_text: str) -> str:
    """An HTML e-mail as its reader sees it: without tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def the_order(app) -> dict:
    [order] = [o for o in orders_of(app) if o["status"] != "draft"]
    return order


def test_a_request_gets_a_reference_and_waits_for_a_proforma(app, client, member, shop_window,
                                                            filled_cart):
    before = utcnow()
    response = send(client, member, shop_window)
    order = the_order(app)
    assert response.headers["Location"] == f"/commandes/{order['id']}"
    assert order["reference"] == f"DEM-{YEAR}-00001"
    assert order["status"] == "submitted"
    assert order["cart_owner_id"] is None
    assert order["items"] == [("Robe en lin", 2), ("Sandales", 1)]
    assert order["terms_version_id"] == shop_window.terms_id
    assert before - timedelta(seconds=1) <= order["terms_accepted_at"] <= utcnow()
    assert before - timedelta(seconds=1) <= order["submitted_at"] <= utcnow()
    assert (order["delivery_mode"], order["pickup_point_id"]) == ("pickup", shop_window.point_id)
    assert order["address_id"] == member.address_id
    assert order["delivery_address"] == "Awa Koné\nRue des Jardins 12\nAbidjan\nCôte d’Ivoire"
    assert order["history"] == [("draft", "submitted", EMAIL, None)]
    page = page_text(client.get(response.headers["Location"]))
    assert f"Votre demande DEM-{YEAR}-00001 est envoyée." in page
    assert "Demande envoyée — en attente de proforma" in page


def test_the_next_request_gets_the_next_number_and_the_cart_starts_empty(app, client, member,
                                                                        shop_window,
                                                                        filled_cart):
    send(client, member, shop_window)
    assert cart_items(app) == []
    assert "Votre panier est vide." in page_text(client.get("/panier"))
    add_item(client, name="Chapeau de paille")
    send(client, member, shop_window)
    orders = orders_of(app)
    assert [(o["reference"], o["status"], o["items"]) for o in orders] == [
        (f"DEM-{YEAR}-00001", "submitted", [("Robe en lin", 2), ("Sandales", 1)]),
        (f"DEM-{YEAR}-00002", "submitted", [("Chapeau de paille", 2)]),
    ]


def test_home_delivery_needs_no_pickup_point(app, client, member, shop_window, filled_cart):
    response = send(client, member, shop_window, delivery_mode="home", pickup_point_id="0")
    assert response.status_code == 302
    order = the_order(app)
    assert (order["delivery_mode"], order["pickup_point_id"]) == ("home", None)
    assert "Livraison à domicile" in page_text(client.get(response.headers["Location"]))


def test_home_delivery_ignores_a_pickup_point_sent_with_it(app, client, member, shop_window,
                                                          filled_cart):
    send(client, member, shop_window, delivery_mode="home",
         pickup_point_id=str(shop_window.point_id))
    assert the_order(app)["pickup_point_id"] is None


@pytest.mark.parametrize("fields, message", [
    ({"accept_terms": ""}, "Vous devez accepter les conditions générales."),
    ({"address_id": ""}, "Choix non valide"),
    ({"address_id": "abc"}, "Choix non valide"),
    ({"address_id": "999999"}, "N'est pas un choix valide."),
    ({"address_id": "99999999999999999999"}, "N'est pas un choix valide."),
    ({"delivery_mode": ""}, "Ce champ est obligatoire."),
    ({"delivery_mode": "drone"}, "N'est pas un choix valide."),
    ({"pickup_point_id": "0"}, "Choisissez un point de retrait."),
    ({"pickup_point_id": ""}, "Choisissez un point de retrait."),
    ({"pickup_point_id": "999999"}, "Choisissez un point de retrait."),
    ({"pickup_point_id": "abc"}, "Choisissez un point de retrait."),
    ({"delivery_mode": "home", "pickup_point_id": "99999999999999999999"}, None),
])
def test_a_request_missing_something_is_refused_and_the_cart_stays(app, client, member,
                                                                   shop_window, filled_cart,
                                                                   fields, message):
    response = send(client, member, shop_window, **fields)
    if message is None:  # nothing is missing: the pickup point is ignored for home delivery
        assert response.status_code == 302
        assert the_order(app)["pickup_point_id"] is None
        return
    page = text_of(response)
    assert response.status_code == 200
    assert message in page
    assert [o["status"] for o in orders_of(app)] == ["draft"]
    assert len(cart_items(app)) == 2


def test_a_pickup_point_that_is_no_longer_offered_is_refused(app, client, member, shop_window,
                                                             filled_cart):
    with app.app_context():
        closed = make_pickup_point("Ancienne agence", active=False).id
    page = page_text(client.get("/panier/envoyer"))
    assert "Agence Plateau" in page and "Ancienne agence" not in page
    response = send(client, member, shop_window, pickup_point_id=str(closed))
    assert "Choisissez un point de retrait." in text_of(response)
    assert [o["status"] for o in orders_of(app)] == ["draft"]


def test_another_members_address_is_refused(app, client, member, stranger, shop_window,
                                            filled_cart):
    response = send(client, member, shop_window, address_id=str(stranger.address_id))
    page = text_of(response)
    assert response.status_code == 200
    assert "N'est pas un choix valide." in page
    assert "Avenue Secrète" not in page
    assert [o["status"] for o in orders_of(app)] == ["draft"]


def test_the_request_page_offers_only_the_members_own_addresses(client, member, stranger,
                                                                shop_window, filled_cart):
    page = page_text(client.get("/panier/envoyer"))
    assert "Maison — Rue des Jardins 12, Abidjan" in page
    assert "Avenue Secrète" not in page and "Chez Binta" not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_empty_cart_cannot_be_sent(app, client, member, shop_window, method):
    if method == "get":
        response = client.get("/panier/envoyer", follow_redirects=True)
    else:
        response = send(client, member, shop_window, follow_redirects=True)
    assert response.request.path == "/panier"
    assert "Ajoutez au moins un article avant d'envoyer la demande." in page_text(response)
    assert [o for o in orders_of(app) if o["status"] != "draft"] == []


def test_a_cart_emptied_by_removing_its_items_cannot_be_sent(app, client, member, shop_window):
    add_item(client)
    client.post_form(f"/panier/articles/{cart_items(app)[0]['id']}/supprimer")
    response = send(client, member, shop_window)
    assert response.headers["Location"] == "/panier"
    assert [o["status"] for o in orders_of(app)] == ["draft"]


def test_without_published_terms_the_page_says_so_and_nothing_is_sent(app, client, member):
    with app.app_context():
        point = make_pickup_point().id
    add_item(client)
    page = page_text(client.get("/panier/envoyer"))
    assert "Les conditions générales n'ont pas encore été publiées" in page
    assert "Envoyer ma demande" not in page
    response = client.post_form("/panier/envoyer", {
        "address_id": str(member.address_id), "delivery_mode": "pickup",
        "pickup_point_id": str(point), "accept_terms": "y"})
    assert response.status_code == 200
    assert "Vous devez accepter les conditions générales." in text_of(response)
    [order] = orders_of(app)
    assert (order["status"], order["reference"], order["terms_version_id"]) == ("draft", None,
                                                                               None)
    # the number was not used: the first request sent later is still number 1
    with app.app_context():
        make_terms()
    send(client, member, SimpleNamespace(point_id=point))
    assert the_order(app)["reference"] == f"DEM-{YEAR}-00001"


def test_the_request_page_links_to_the_current_terms(client, member, shop_window, filled_cart):
    page = client.get("/panier/envoyer").get_data(as_text=True)
    assert 'href="/conditions-generales"' in page
    assert "version 1" in page


def test_new_terms_apply_to_new_requests_only(app, client, member, shop_window, filled_cart):
    send(client, member, shop_window)
    with app.app_context():
        version_2 = make_terms("Conditions version 2.").id
    assert "version 2" in page_text(client.get("/conditions-generales")).lower()
    add_item(client, name="Chapeau")
    send(client, member, shop_window)
    first, second = orders_of(app)
    assert first["terms_version_id"] == shop_window.terms_id
    assert second["terms_version_id"] == version_2


def test_the_address_is_kept_as_it_was_when_the_request_was_sent(app, client, member,
                                                                 shop_window, filled_cart):
    send(client, member, shop_window)
    sent = the_order(app)
    client.post_form(f"/compte/adresses/{member.address_id}", {
        "label": "Maison", "recipient": "Awa Koné", "line1": "Boulevard Latrille 5",
        "city": "Yamoussoukro", "country": "CI"})
    with app.app_context():
        assert db.session.get(Address, member.address_id).line1 == "Boulevard Latrille 5"
    assert the_order(app)["delivery_address"] == sent["delivery_address"]
    page = page_text(client.get(f"/commandes/{sent['id']}"))
    assert "Rue des Jardins 12" in page and "Boulevard Latrille" not in page


def test_deleting_the_address_afterwards_keeps_the_orders_copy(app, client, member, shop_window,
                                                               filled_cart):
    send(client, member, shop_window)
    client.post_form(f"/compte/adresses/{member.address_id}/supprimer")
    assert "Rue des Jardins 12" in the_order(app)["delivery_address"]
    assert "Rue des Jardins 12" in page_text(client.get(f"/commandes/{the_order(app)['id']}"))


def test_the_member_gets_an_acknowledgement_listing_the_items(app, client, member, shop_window,
                                                              filled_cart, outbox):
    send(client, member, shop_window)
    reference = the_order(app)["reference"]
    [mail] = outbox.to(EMAIL, "request_received")
    assert mail.subject == f"Votre demande {reference} est bien reçue"
    assert mail.status == "sent"
    for text in ("Bonjour Awa Koné", reference, "Robe en lin × 2",
                 "https://www.zara.com/fr/robe-lin-p0123.html", "Sandales × 1", "Pointure 39",
                 "https://www.shein.com/sandales-p-42.html"):
        assert text in mail.body_text and text in words_of(mail.body_html)
    assert outbox.link(EMAIL, "request_received").endswith(f"/commandes/{the_order(app)['id']}")
    assert notifications_of(app, EMAIL) == [
        f"Commande {reference} : Demande envoyée — en attente de proforma"]


def test_the_acknowledgement_escapes_what_the_member_typed(app, client, member, shop_window,
                                                           outbox):
    add_item(client, name="<b>Robe</b>", details="<script>alert(1)</script>")
    send(client, member, shop_window)
    [mail] = outbox.to(EMAIL, "request_received")
    assert "<b>Robe</b>" not in mail.body_html and "<script>" not in mail.body_html
    assert "&lt;b&gt;Robe&lt;/b&gt;" in mail.body_html
    assert "<b>Robe</b>" in mail.body_text


def test_staff_and_admins_are_told_of_a_new_request(app, client, member, shop_window,
                                                    filled_cart, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_NOTIFICATION_EMAIL", STAFF_MAILBOX)
    with app.app_context():
        make_user("moussa@agence.example", role="staff", full_name="Moussa Traoré")
        make_user("admin@agence.example", role="admin", full_name="Aminata Sow")
        make_user("parti@agence.example", role="staff", is_active_account=False)
        make_user("binta@example.com", full_name="Binta Diop")
    send(client, member, shop_window)
    reference = the_order(app)["reference"]
    told = f"Nouvelle demande {reference} de Awa Koné"
    assert notifications_of(app, "moussa@agence.example") == [told]
    assert notifications_of(app, "admin@agence.example") == [told]
    assert notifications_of(app, "parti@agence.example") == []
    assert notifications_of(app, "binta@example.com") == []
    [mail] = outbox.to(STAFF_MAILBOX, "staff_new_request")
    assert mail.subject == told
    assert "Robe en lin × 2" in mail.body_text and "Sandales × 1" in mail.body_text
    assert outbox.link(STAFF_MAILBOX, "staff_new_request").endswith(
        f"/commandes/{the_order(app)['id']}")
    assert outbox.to("moussa@agence.example") == []


def test_without_a_staff_address_no_staff_mail_is_sent(app, client, member, shop_window,
                                                       filled_cart, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_NOTIFICATION_EMAIL", "")
    send(client, member, shop_window)
    assert [m.kind for m in outbox.all()] == ["request_received"]


def test_a_refused_request_sends_nothing(app, client, member, shop_window, filled_cart, outbox,
                                         monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_NOTIFICATION_EMAIL", STAFF_MAILBOX)
    send(client, member, shop_window, accept_terms="")
    assert outbox.all() == []
    assert notifications_of(app, EMAIL) == []


def test_the_add_an_address_link_brings_the_member_back_to_the_request(app, client, member,
                                                                       shop_window, filled_cart):
    page = client.get("/panier/envoyer").get_data(as_text=True)
    link = re.search(r'href="(/compte/adresses/nouvelle\?next=[^"]+)"', page).group(1)
    assert link == "/compte/adresses/nouvelle?next=/panier/envoyer"
    assert client.get(link).status_code == 200
    response = client.post_form(link, {"label": "Bureau", "recipient": "Awa Koné",
                                       "line1": "Immeuble Alpha 2000", "city": "Abidjan",
                                       "country": "CI"})
    assert response.headers["Location"] == "/panier/envoyer"
    page = page_text(client.get("/panier/envoyer"))
    assert "Bureau — Immeuble Alpha 2000, Abidjan" in page
    with app.app_context():
        office = db.session.scalar(select(Address.id).where(Address.label == "Bureau"))
    send(client, member, shop_window, address_id=str(office))
    assert "Immeuble Alpha 2000" in the_order(app)["delivery_address"]


def test_a_member_without_an_address_is_asked_to_add_one(app, client, shop_window):
    with app.app_context():
        make_user("sans.adresse@example.com")
    login(client, "sans.adresse@example.com")
    add_item(client)
    page = page_text(client.get("/panier/envoyer"))
    assert "Ajoutez d'abord une adresse à votre carnet d'adresses." in page
    response = client.post_form("/panier/envoyer", {
        "address_id": "1", "delivery_mode": "home", "accept_terms": "y"})
    assert response.status_code == 200
    assert FORM_ERROR in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Order.status)) == "draft"


def test_an_anonymous_visitor_is_sent_to_login_then_back_to_the_request(app, client):
    response = client.get("/panier/envoyer")
    assert response.headers["Location"] == "/connexion?next=%2Fpanier%2Fenvoyer"
    assert client.post_form("/panier/envoyer").headers["Location"].startswith("/connexion")


def test_sending_the_same_form_twice_makes_one_request(app, client, member, shop_window,
                                                       filled_cart, outbox):
    send(client, member, shop_window)
    response = send(client, member, shop_window, follow_redirects=True)
    assert response.request.path == "/panier"
    assert "Ajoutez au moins un article avant d'envoyer la demande." in page_text(response)
    assert [o["reference"] for o in orders_of(app) if o["status"] != "draft"] == [
        f"DEM-{YEAR}-00001"]
    assert len(outbox.to(EMAIL, "request_received")) == 1


def test_addresses_and_pickup_points_come_back_escaped_on_the_request_page(app, client, member,
                                                                            shop_window,
                                                                            filled_cart):
    with app.app_context():
        user = db.session.get(Address, member.address_id).user
        make_address(user, "<b>Bureau</b>", default=False, line1="<i>Immeuble</i>")
        make_pickup_point("<script>alert('point')</script>")
    page = client.get("/panier/envoyer").get_data(as_text=True)
    assert "<b>Bureau" not in page and "<i>Immeuble" not in page and "<script>alert(" not in page
    assert "&lt;b&gt;Bureau&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(" in page


def test_deleting_an_address_keeps_the_orders_copy_and_unlinks_it(app):
    """Foreign keys hold on SQLite too: the order's link is cleared, its snapshot stays."""
    from portal.members import accounts
    from portal.members.models import User
    from tests.factories import make_order

    with app.app_context():
        user = make_user("ama@example.com")
        order = make_order(user)
        snapshot = order.delivery_address
        accounts.delete_address(user, user.addresses[0])
        db.session.commit()
        db.session.expire_all()
        order = db.session.get(Order, order.id)
        assert order.address_id is None
        assert order.delivery_address == snapshot
        assert db.session.get(User, user.id).addresses == []
