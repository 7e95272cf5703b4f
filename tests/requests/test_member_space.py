"""The member's space: a dashboard of active orders (what needs the member first), the history
with its search, the order page, cancelling and changing the address, and nobody else's orders."""
import html
import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import Address, User
from portal.requests.models import Order
from portal.workflow import Status
from tests.conftest import sql_statements
from tests.factories import PASSWORD, login, make_address, make_order, make_user
from tests.members.helpers import text_of
from tests.proforma.conftest import set_agency
from tests.requests.conftest import EMAIL
from tests.requests.helpers import (
    FORM_ERROR,
    add_item,
    notifications_of,
    order_of,
    page_text,
)
from tests.test_workflow import FRENCH_LABELS

YEAR = utcnow().year
ORDERED = [s.value for s in Status if s is not Status.DRAFT]
# The labels members see (PRODUCT.md's table, kept once in tests/test_workflow.py).
LABELS = {code: label for code, label in FRENCH_LABELS.items() if code != "draft"}
CANCELLABLE = {"submitted", "quoted"}
ADDRESS_CHANGEABLE = {"submitted", "quoted", "deposit_review"}


@pytest.fixture
def order_in(app, member):
    """Make one of Awa's orders in a given status; returns its id."""
    def make(status: str, reference: str | None = None, items: int = 1, minutes_ago: int = 0,
             email: str = EMAIL) -> int:
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.email == email))
            order = make_order(user, status=status, items=items, reference=reference)
            order.status_changed_at = utcnow() - timedelta(minutes=minutes_ago)
            db.session.commit()
            return order.id
    return make


@pytest.fixture
def sent_order(app, client, member, shop_window):
    """A request Awa sent through the portal (so it has a real timeline); returns its id."""
    add_item(client, name="Robe en lin", quantity="2", details="Taille M")
    add_item(client, name="Sandales", url="https://www.shein.com/sandales-p-42.html",
             quantity="1", details="")
    response = client.post_form("/panier/envoyer", {
        "address_id": str(member.address_id), "delivery_mode": "pickup",
        "pickup_point_id": str(shop_window.point_id), "accept_terms": "y"})
    return int(response.headers["Location"].rsplit("/", 1)[1])


def cards(response) -> dict[str, str]:
    """The order cards of a list page, in order: reference -> the card's text."""
    page = response.get_data(as_text=True)
    found = re.findall(r'data-testid="order-([^"]+)">(.*?)</a>', page, re.DOTALL)
    return {reference: re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
            for reference, body in found}


def set_status(app, order_id: int, status: str) -> None:
    """Test set-up only: put an order in `status` as if earlier steps had happened."""
    with app.app_context():
        db.session.get(Order, order_id).status = status
        db.session.commit()


# --- Dashboard ----------------------------------------------------------------------------

def test_the_dashboard_lists_active_orders_with_those_waiting_for_the_member_first(app, client,
                                                                                  order_in):
    order_in("submitted", "DEM-2026-00001", minutes_ago=50)
    order_in("quoted", "DEM-2026-00002", minutes_ago=40)
    order_in("confirmed", "DEM-2026-00003", items=3, minutes_ago=30)
    order_in("arrived", "DEM-2026-00004", minutes_ago=20)
    order_in("in_transit", "DEM-2026-00005", minutes_ago=10)
    order_in("completed", "DEM-2026-00006")
    order_in("cancelled", "DEM-2026-00007")
    shown = cards(client.get("/commandes"))
    assert list(shown) == ["DEM-2026-00004", "DEM-2026-00002",
                           "DEM-2026-00005", "DEM-2026-00003", "DEM-2026-00001"]
    assert [ref for ref, text in shown.items() if "À vous d'agir" in text] == [
        "DEM-2026-00004", "DEM-2026-00002"]
    assert "Arrivée — solde à régler" in shown["DEM-2026-00004"]
    assert "Proforma envoyée — en attente d'acompte" in shown["DEM-2026-00002"]
    assert "En cours d'acheminement" in shown["DEM-2026-00005"]
    assert "Confirmée — commande passée" in shown["DEM-2026-00003"]
    assert "Demande envoyée — en attente de proforma" in shown["DEM-2026-00001"]
    assert "3 articles" in shown["DEM-2026-00003"]
    assert "1 article" in shown["DEM-2026-00001"]


def test_the_orders_needing_the_member_are_highlighted(client, order_in):
    order_in("quoted", "DEM-2026-00002")
    order_in("submitted", "DEM-2026-00001")
    page = client.get("/commandes").get_data(as_text=True)
    quoted = re.search(r'<a class="([^"]*)"[^>]*data-testid="order-DEM-2026-00002"', page)
    waiting = re.search(r'<a class="([^"]*)"[^>]*data-testid="order-DEM-2026-00001"', page)
    assert "list-group-item-warning" in quoted.group(1)
    assert "list-group-item-warning" not in waiting.group(1)


def test_a_new_member_has_an_empty_dashboard(client, member):
    page = page_text(client.get("/commandes"))
    assert "Vous n'avez pas de commande en cours." in page


def test_the_dashboard_shows_the_number_of_items_in_the_cart(client, member):
    add_item(client)
    add_item(client, name="Sandales")
    assert "Mon panier (2)" in page_text(client.get("/commandes"))


def test_the_dashboard_shows_only_the_members_own_orders(app, client, order_in, stranger):
    order_in("submitted", "DEM-2026-00001")
    order_in("quoted", "DEM-2026-00002", email=stranger.email)
    assert list(cards(client.get("/commandes"))) == ["DEM-2026-00001"]


def dashboard_statements(app, client) -> list[str]:
    client.get("/commandes")  # a first request, unmeasured
    with sql_statements(app) as sent:
        assert client.get("/commandes").status_code == 200
    return sent


def test_the_dashboard_is_read_in_one_statement_after_the_account(app, client, order_in):
    """The account (with the page frame and the agency's settings), then orders, cart, item
    counts and unread messages together: with nothing yet, and with orders and a cart."""
    with app.app_context():
        set_agency()
    empty = dashboard_statements(app, client)
    order_in("submitted", "DEM-2026-00001", items=2)
    order_in("quoted", "DEM-2026-00002")
    add_item(client)
    add_item(client, name="Sandales")
    busy = dashboard_statements(app, client)
    assert len(empty) == len(busy) == 2
    page = page_text(client.get("/commandes"))
    assert "Mon panier (2)" in page and "2 articles" in page


# --- History ------------------------------------------------------------------------------

@pytest.fixture
def finished(order_in, stranger):
    order_in("completed", "DEM-2026-00012", minutes_ago=3)
    order_in("cancelled", "DEM-2026-00123", minutes_ago=2)
    order_in("completed", "DEM-2025-00012", minutes_ago=1)
    order_in("submitted", "DEM-2026-00500")
    order_in("completed", "DEM-2026-00999", email=stranger.email)


def test_the_history_lists_finished_and_cancelled_orders_only(client, finished):
    shown = cards(client.get("/commandes/historique"))
    assert list(shown) == ["DEM-2025-00012", "DEM-2026-00123", "DEM-2026-00012"]
    assert "Annulée" in shown["DEM-2026-00123"]
    assert "Retirée / livrée" in shown["DEM-2026-00012"]
    assert "À vous d" not in " ".join(shown.values())


@pytest.mark.parametrize("search, found", [
    ("DEM-2026-00012", ["DEM-2026-00012"]),
    ("00012", ["DEM-2025-00012", "DEM-2026-00012"]),
    ("dem-2026-001", ["DEM-2026-00123"]),
    ("  00123  ", ["DEM-2026-00123"]),
    ("2025", ["DEM-2025-00012"]),
    ("00500", []),
    ("00999", []),
    ("%", []),
    ("_", []),
    ("DEM_2026", []),
    ("2026-%12", []),
    ("\\", []),
    ("x" * 200, []),
])
def test_the_history_is_searched_by_reference(client, finished, search, found):
    response = client.get("/commandes/historique", query_string={"ref": search})
    assert response.status_code == 200
    assert list(cards(response)) == found
    if not found:
        assert "Aucune commande ne correspond à cette référence." in page_text(response)


def test_the_history_search_comes_back_escaped_in_the_search_box(client, member):
    response = client.get("/commandes/historique", query_string={"ref": '"><script>x'})
    page = response.get_data(as_text=True)
    assert "<script>x" not in page
    assert 'value="&#34;&gt;&lt;script&gt;x"' in page


def test_the_history_is_paginated(app, client, order_in):
    for number in range(25):
        order_in("completed", f"DEM-2026-{number + 1:05d}", minutes_ago=number)
    first = client.get("/commandes/historique")
    assert len(cards(first)) == 20
    assert list(cards(first))[0] == "DEM-2026-00001"
    assert "Page 1 sur 2" in page_text(first)
    assert 'href="/commandes/historique?page=2"' in first.get_data(as_text=True)
    second = client.get("/commandes/historique?page=2")
    assert list(cards(second)) == [f"DEM-2026-{n:05d}" for n in range(21, 26)]
    searched = client.get("/commandes/historique?ref=DEM-2026&page=2")
    assert len(cards(searched)) == 5
    assert 'href="/commandes/historique?ref=DEM-2026&amp;page=1"' in searched.get_data(
        as_text=True)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999", "3"])
def test_an_odd_page_number_is_not_an_error(client, order_in, page):
    order_in("completed", "DEM-2026-00001")
    response = client.get(f"/commandes/historique?page={page}")
    assert response.status_code == 200


# --- Order page ---------------------------------------------------------------------------

def test_the_order_page_shows_timeline_items_delivery_documents_and_payments(app, client,
                                                                           sent_order):
    order = order_of(app, sent_order)
    response = client.get(f"/commandes/{sent_order}")
    page = page_text(response)
    assert f"Commande {order['reference']}" in page
    for heading in ("Articles", "Documents", "Paiements", "Livraison", "Suivi"):
        assert f">{heading}</h2>" in response.get_data(as_text=True)
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', text_of(response), re.DOTALL)
    assert "Demande envoyée — en attente de proforma" in timeline.group(1)
    assert re.search(rf"\d\d/\d\d/{YEAR} \d\d:\d\d", timeline.group(1))  # when it happened
    assert "Robe en lin" in page and "× 2" in page and "Taille M" in page
    assert 'href="https://www.shein.com/sandales-p-42.html"' in page
    assert "Retrait en point de retrait" in page and "Agence Plateau" in page
    assert "Avenue Chardy, Abidjan" in page and "9 h–18 h" in page
    assert "Rue des Jardins 12" in page
    assert "La proforma et la facture apparaîtront ici" in page


@pytest.mark.parametrize("status", ORDERED)
def test_the_member_sees_only_the_actions_the_workflow_allows(client, order_in, status):
    order_id = order_in(status)
    page = text_of(client.get(f"/commandes/{order_id}"))
    assert (f'href="/commandes/{order_id}/annuler"' in page) == (status in CANCELLABLE)
    assert (f'href="/commandes/{order_id}/adresse"' in page) == (status in ADDRESS_CHANGEABLE)
    assert LABELS[status] in page


def test_the_cart_is_not_an_order_page(app, client, member):
    add_item(client)
    with app.app_context():
        cart_id = db.session.scalar(db.select(Order.id))
    assert client.get(f"/commandes/{cart_id}").headers["Location"] == "/panier"


def test_an_unknown_order_is_not_found(client, member):
    assert client.get("/commandes/999999").status_code == 404
    assert client.get("/commandes/99999999999999").status_code == 404


# --- Cancelling ---------------------------------------------------------------------------

def test_cancelling_needs_the_confirmation_box(app, client, sent_order, outbox):
    before = order_of(app, sent_order)
    page = page_text(client.get(f"/commandes/{sent_order}/annuler"))
    assert f"Annuler la commande {before['reference']}" in page
    response = client.post_form(f"/commandes/{sent_order}/annuler", {"note": "Trop cher"})
    assert response.status_code == 200
    page = text_of(response)
    assert FORM_ERROR in page and "Cochez la case pour confirmer l'annulation." in page
    assert order_of(app, sent_order) == before
    assert outbox.to(EMAIL, "status_changed") == []


def test_cancelling_with_a_reason_records_it_and_tells_the_member(app, client, sent_order,
                                                                   outbox):
    reference = order_of(app, sent_order)["reference"]
    response = client.post_form(f"/commandes/{sent_order}/annuler",
                                {"note": "J'ai trouvé moins cher.", "confirm": "y"})
    assert response.headers["Location"] == f"/commandes/{sent_order}"
    order = order_of(app, sent_order)
    assert order["status"] == "cancelled"
    assert order["cancel_note"] == "J'ai trouvé moins cher."
    assert order["cancel_reason"] == "customer_request"
    assert order["history"][-1] == ("submitted", "cancelled", EMAIL, "J'ai trouvé moins cher.")
    page = page_text(client.get(f"/commandes/{sent_order}"))
    assert f"La commande {reference} est annulée." in page
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.DOTALL).group(1)
    assert "Demande envoyée" in timeline and "Annulée" in timeline
    assert "J'ai trouvé moins cher." in timeline
    assert f'href="/commandes/{sent_order}/annuler"' not in page
    [mail] = outbox.to(EMAIL, "status_changed")
    assert mail.subject == f"Commande {reference} : Annulée"
    assert "J'ai trouvé moins cher." in mail.body_text
    assert notifications_of(app, EMAIL)[-1] == f"Commande {reference} : Annulée"
    assert list(cards(client.get("/commandes"))) == []
    assert list(cards(client.get("/commandes/historique"))) == [reference]


def test_the_reason_is_optional(app, client, sent_order):
    client.post_form(f"/commandes/{sent_order}/annuler", {"note": "", "confirm": "y"})
    order = order_of(app, sent_order)
    assert (order["status"], order["cancel_note"]) == ("cancelled", None)
    assert order["history"][-1] == ("submitted", "cancelled", EMAIL, None)


def test_a_too_long_reason_is_refused(app, client, sent_order):
    before = order_of(app, sent_order)
    response = client.post_form(f"/commandes/{sent_order}/annuler",
                                {"note": "x" * 501, "confirm": "y"})
    assert "500 caractères au maximum." in text_of(response)
    assert order_of(app, sent_order) == before


def test_a_quoted_order_can_be_cancelled(app, client, order_in):
    order_id = order_in("quoted")
    client.post_form(f"/commandes/{order_id}/annuler", {"confirm": "y"})
    assert order_of(app, order_id)["status"] == "cancelled"


@pytest.mark.parametrize("status", sorted(set(ORDERED) - CANCELLABLE))
def test_an_order_past_the_quote_cannot_be_cancelled_by_the_member(app, client, order_in, outbox,
                                                                   status):
    order_id = order_in(status)
    before = order_of(app, order_id)
    response = client.post_form(f"/commandes/{order_id}/annuler", {"confirm": "y"},
                                follow_redirects=True)
    page = page_text(response)
    if status in ("completed", "cancelled"):
        label = LABELS[status]
        assert f"Impossible de passer une commande « {label} » à « Annulée »." in page
    else:
        assert "Vous ne pouvez pas faire cette action sur cette commande." in page
    assert "est annulée" not in page
    assert order_of(app, order_id) == before
    assert outbox.all() == []


# --- Changing the address -----------------------------------------------------------------

@pytest.fixture
def office(app, member):
    with app.app_context():
        user = db.session.get(User, member.id)
        return make_address(user, "Bureau", default=False, line1="Immeuble Alpha 2000",
                            city="Abidjan").id


def test_the_address_can_be_changed_once(app, client, sent_order, office):
    page = page_text(client.get(f"/commandes/{sent_order}/adresse"))
    assert "Maison — Rue des Jardins 12" in page and "Bureau — Immeuble Alpha 2000" in page
    response = client.post_form(f"/commandes/{sent_order}/adresse", {"address_id": str(office)})
    assert response.headers["Location"] == f"/commandes/{sent_order}"
    order = order_of(app, sent_order)
    assert order["address_id"] == office
    assert order["address_changes"] == 1
    assert order["delivery_address"] == "Awa Koné\nImmeuble Alpha 2000\nAbidjan\nCôte d’Ivoire"
    page = client.get(f"/commandes/{sent_order}").get_data(as_text=True)
    assert "L&#39;adresse de la commande est modifiée." in page
    assert "Immeuble Alpha 2000" in page
    assert f'href="/commandes/{sent_order}/adresse"' not in page
    response = client.post_form(f"/commandes/{sent_order}/adresse",
                                {"address_id": str(member_address(app))},
                                follow_redirects=True)
    assert "L'adresse de cette commande ne peut plus être modifiée." in page_text(response)
    assert order_of(app, sent_order) == order


def member_address(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Address.id).where(Address.label == "Maison"))


@pytest.mark.parametrize("status", sorted(ADDRESS_CHANGEABLE))
def test_the_address_can_change_before_the_deposit_is_confirmed(app, client, order_in, office,
                                                                status):
    order_id = order_in(status)
    client.post_form(f"/commandes/{order_id}/adresse", {"address_id": str(office)})
    order = order_of(app, order_id)
    assert (order["address_id"], order["address_changes"]) == (office, 1)
    assert order["status"] == status


@pytest.mark.parametrize("status", sorted(set(ORDERED) - ADDRESS_CHANGEABLE))
def test_the_address_cannot_change_once_the_deposit_is_confirmed(app, client, order_in, office,
                                                                 status):
    order_id = order_in(status)
    before = order_of(app, order_id)
    response = client.post_form(f"/commandes/{order_id}/adresse", {"address_id": str(office)},
                                follow_redirects=True)
    assert "L'adresse de cette commande ne peut plus être modifiée." in page_text(response)
    assert order_of(app, order_id) == before


def test_the_new_address_must_be_one_of_the_members_own(app, client, sent_order, stranger):
    before = order_of(app, sent_order)
    response = client.post_form(f"/commandes/{sent_order}/adresse",
                                {"address_id": str(stranger.address_id)})
    page = text_of(response)
    assert response.status_code == 200
    assert "N'est pas un choix valide." in page and "Avenue Secrète" not in page
    assert order_of(app, sent_order) == before


def test_the_address_page_links_to_a_new_address_and_back(client, sent_order):
    page = client.get(f"/commandes/{sent_order}/adresse").get_data(as_text=True)
    assert f'href="/compte/adresses/nouvelle?next=/commandes/{sent_order}/adresse"' in page


# --- Who sees what ------------------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", "/commandes/{id}"),
    ("get", "/commandes/{id}/annuler"),
    ("post", "/commandes/{id}/annuler"),
    ("get", "/commandes/{id}/adresse"),
    ("post", "/commandes/{id}/adresse"),
])
def test_another_member_gets_not_found_and_nothing_changes(app, other_client, sent_order,
                                                           stranger, outbox, method, url):
    before = order_of(app, sent_order)
    sent_mails = len(outbox.all())
    path = url.format(id=sent_order)
    if method == "get":
        response = other_client.get(path)
    else:
        response = other_client.post_form(path, {"confirm": "y", "note": "Piraté",
                                                 "address_id": str(stranger.address_id)})
    assert response.status_code == 404
    page = text_of(response)
    assert before["reference"] not in page and "Robe en lin" not in page
    assert order_of(app, sent_order) == before
    assert len(outbox.all()) == sent_mails
    assert cards(other_client.get("/commandes")) == {}


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_can_open_any_order_page(app, sent_order, role):
    with app.app_context():
        make_user(f"{role}@agence.example", role=role, full_name="Moussa Traoré")
    staff = app.test_client()
    login(staff, f"{role}@agence.example")
    response = staff.get(f"/commandes/{sent_order}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert order_of(app, sent_order)["reference"] in page and "Robe en lin" in page
    assert f'href="/commandes/{sent_order}/annuler"' not in page
    assert f'href="/commandes/{sent_order}/adresse"' not in page


@pytest.mark.parametrize("path", ["/commandes", "/commandes/historique", "/commandes/{id}",
                                  "/commandes/{id}/annuler", "/commandes/{id}/adresse"])
def test_anonymous_visitors_are_sent_to_login_and_brought_back(app, client, sent_order, path):
    path = path.format(id=sent_order)
    client.post_form("/deconnexion")
    response = client.get(path)
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/connexion?next=")
    response = client.post_form(login_url, {"email": EMAIL, "password": PASSWORD})
    assert response.headers["Location"] == path
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/commandes/{id}/annuler", "/commandes/{id}/adresse"])
def test_anonymous_posts_change_nothing(app, client, sent_order, path):
    before = order_of(app, sent_order)
    client.post_form("/deconnexion")
    response = client.post_form(path.format(id=sent_order), {"confirm": "y", "address_id": "1"})
    assert response.headers["Location"].startswith("/connexion?next=")
    assert order_of(app, sent_order) == before
