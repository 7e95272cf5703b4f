"""requests.models.load_order: an order page reads the order's pickup point and proformas with
the order, sends no statement for the collections the order has none of yet, and still shows
every one it has, within and after a workflow lock (which locks the order's row alone)."""
import pytest

from portal import workflow
from portal.extensions import db
from portal.messaging.models import OrderMessage
from portal.requests.models import OFTEN_EMPTY, Order, load_order
from tests.conftest import sql_statements
from tests.factories import login, make_order, make_proforma, make_user

TABLES = {"proofs": "payment_proofs", "invoices": "invoices",
          "refunds": "refunds", "arrival_photos": "arrival_photos",
          "messages": "order_messages"}


def reads_of(statements: list[str], table: str) -> int:
    """Statements loading rows of `table` (not those probing it in a subquery)."""
    return sum(statement.startswith(f"SELECT {table}.id") for statement in statements)


@pytest.mark.parametrize("page", ["/commandes/{id}", "/equipe/commandes/{id}"])
def test_a_new_order_s_page_asks_nothing_of_its_empty_collections(app, client, page):
    with app.app_context():
        member = make_user("awa@example.com")
        make_user("staff@example.com", role="staff")
        order_id = make_order(member, "submitted").id
    login(client, "staff@example.com" if "equipe" in page else "awa@example.com")
    url = page.format(id=order_id)
    with sql_statements(app) as sent:
        assert client.get(url).status_code == 200
    assert sorted(TABLES) == sorted(OFTEN_EMPTY)
    assert all(reads_of(sent, table) == 0 for table in TABLES.values()), sent
    assert reads_of(sent, "proformas") == reads_of(sent, "pickup_points") == 0  # joined
    assert reads_of(sent, "order_items") == 1  # what it has is read as before


def test_what_an_order_has_is_read_and_shown(app, client):
    with app.app_context():
        member = make_user("awa@example.com")
        order = make_order(member, "quoted")
        make_proforma(order, total=25000)
        db.session.add(OrderMessage(order_id=order.id, kind="message", from_member=False,
                                    body="Votre devis est prêt, bonne journée."))
        db.session.commit()
        order_id = order.id
    login(client, "awa@example.com")
    with sql_statements(app) as sent:
        page = client.get(f"/commandes/{order_id}").get_data(as_text=True)
    assert reads_of(sent, "proformas") == 0  # with the order
    assert reads_of(sent, "order_messages") == 1
    assert reads_of(sent, "refunds") == 0
    assert "PF-2026-" in page and "Votre devis est prêt, bonne journée." in page


def test_a_collection_known_empty_is_read_again_after_the_lock(app_ctx):
    member = make_user("awa@example.com")
    order_id = make_order(member, "quoted").id
    db.session.expire_all()
    order = load_order(order_id)
    assert order.proformas == []  # known, no statement
    make_proforma(db.session.get(Order, order_id))  # commits: the session is expired
    order = load_order(order_id)
    assert [proforma.version for proforma in order.proformas] == [1]
    assert order.messages == []
    db.session.add(OrderMessage(order_id=order.id, kind="message", from_member=True,
                                body="Bonjour"))
    workflow.lock(order)  # flushes, reloads the order: its collections are read again
    assert [message.body for message in order.messages] == ["Bonjour"]
    assert [proforma.version for proforma in order.proformas] == [1]


def test_no_such_order(app_ctx):
    assert load_order(987654) is None
