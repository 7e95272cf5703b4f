"""requests.models.load_order and load_lists: an order page reads the order's pickup point and
proformas with the order, sends no statement for the collections the order has none of yet,
reads every other list it shows in one statement, and still shows every one it has, within
and after a workflow lock (which locks the order's row alone)."""
import pytest
from flask import current_app
from sqlalchemy import inspect

from portal import workflow
from portal.extensions import db
from portal.messaging.models import OrderMessage
from portal.requests.models import OFTEN_EMPTY, PAGE_LISTS, Order, StatusChange, load_lists, load_order
from tests.conftest import sql_statements
from tests.factories import login, make_invoice, make_order, make_proforma, make_user

TABLES = {"proofs": "payment_proofs", "invoices": "invoices",
          "refunds": "refunds", "arrival_photos": "arrival_photos",
          "messages": "order_messages"}


def reads_of(statements: list[str], table: str) -> int:
    """Statements loading rows of `table` (not those probing it in a subquery)."""
    return sum(statement.startswith(f"SELECT {table}.id") for statement in statements)


def list_reads(statements: list[str]) -> list[str]:
    """load_lists' statements (one row per child of the order, its list told by `kind`)."""
    return [statement for statement in statements if statement.startswith("SELECT kinds.kind")]


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
    assert reads_of(sent, "order_items") == reads_of(sent, "status_changes") == 0
    [lists] = list_reads(sent)  # what it has, items and history, in one statement
    assert "order_items" in lists and "status_changes" in lists
    assert not any(table in lists for table in TABLES.values())


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
    assert reads_of(sent, "order_messages") == 0
    [lists] = list_reads(sent)
    assert "order_messages" in lists and "refunds" not in lists
    assert "PF-2026-" in page and "Votre devis est prêt, bonne journée." in page


@pytest.mark.parametrize("page", ["/commandes/{id}", "/equipe/commandes/{id}"])
def test_every_list_of_a_paid_order_comes_in_one_statement_in_its_own_order(app, client, page):
    with app.app_context():
        member = make_user("awa@example.com")
        make_user("staff@example.com", role="staff")
        order = make_order(member, "arrived", items=3)
        make_invoice(order, total=30000, paid=15000)
        for index, (before, after) in enumerate([("submitted", "quoted"),
                                                 ("quoted", "deposit_review"),
                                                 ("deposit_review", "confirmed")]):
            db.session.add(StatusChange(order_id=order.id, from_status=before, to_status=after,
                                        note=f"Étape {index + 1}"))
        for body in ("Premier message", "Deuxième message"):
            db.session.add(OrderMessage(order_id=order.id, kind="message", from_member=True,
                                        body=body))
        db.session.commit()
        order_id = order.id
    login(client, "staff@example.com" if "equipe" in page else "awa@example.com")
    with sql_statements(app) as sent:
        html = client.get(page.format(id=order_id)).get_data(as_text=True)
    assert len(list_reads(sent)) == 1
    assert not any(reads_of(sent, table) for table in
                   ("order_items", "status_changes", "invoices", "order_messages"))
    assert html.index("Article 1") < html.index("Article 2") < html.index("Article 3")
    assert html.index("Premier message") < html.index("Deuxième message")
    assert html.index("Étape 1") < html.index("Étape 2") < html.index("Étape 3")
    assert "FAC-2026-" in html


def test_load_lists_reads_what_lazy_loading_would(app_ctx):
    member = make_user("awa@example.com")
    order = make_order(member, "arrived", items=4)
    make_invoice(order)
    db.session.add(OrderMessage(order_id=order.id, kind="message", from_member=True,
                                body="Bonjour"))
    db.session.commit()
    order_id = order.id
    db.session.expunge_all()
    lazy = db.session.get(Order, order_id)
    expected = {name: [child.id for child in getattr(lazy, name)] for name in PAGE_LISTS}
    db.session.expunge_all()

    order = db.session.get(Order, order_id)
    load_lists(order)
    assert not set(PAGE_LISTS) & inspect(order).unloaded
    with sql_statements(current_app) as sent:
        loaded = {name: [child.id for child in getattr(order, name)] for name in PAGE_LISTS}
        load_lists(order)  # nothing left to load
    assert sent == []
    assert loaded == expected
    assert len(loaded["items"]) == 4 and loaded["invoices"] and loaded["messages"]
    assert all(item.order is order for item in order.items)


@pytest.mark.parametrize("flushed", [True, False])
def test_load_lists_keeps_a_child_added_before_it(app_ctx, flushed):
    member = make_user("awa@example.com")
    order_id = make_order(member, "submitted", items=2).id
    db.session.expunge_all()
    order = db.session.get(Order, order_id)
    message = OrderMessage(order=order, kind="message", from_member=True, body="Ajouté")
    db.session.add(message)
    if flushed:
        load_lists(order)  # the session flushes the message, the statement reads it
    else:
        with db.session.no_autoflush:
            load_lists(order)  # not in the database yet: kept from the session
    assert order.messages == [message] and len(order.items) == 2
    db.session.rollback()


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
