"""The back-office queues (counts from the tallies and the oldest wait, in one query, carts left out)
and the staff order search behind the list and the CSV export."""
import re
from datetime import date, datetime, timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging.models import OrderMessage, OutboxMessage
from portal.staff import queues
from portal.staff.queues import OrderFilters
from tests.conftest import sql_statements
from tests.factories import login, make_order, make_user
from tests.requests.helpers import words


def waiting(order, **delta):
    """The order entered its status `delta` ago."""
    order.status_changed_at = utcnow() - timedelta(**delta)
    db.session.commit()
    return order


def references(filters: OrderFilters, page: int = 1) -> list[str]:
    return [order.reference for order in queues.order_page(filters, page).items]


@pytest.fixture
def awa(app_ctx):
    return make_user("awa@example.com", full_name="Awa Koné")


@pytest.fixture
def binta(app_ctx):
    return make_user("binta.diop@example.sn", full_name="Binta Diop", phone="+221771234567")


# --- Queues -------------------------------------------------------------------------------

def test_each_queue_counts_its_orders_and_knows_the_oldest_wait(awa):
    waiting(make_order(awa, "submitted"), days=3)
    waiting(make_order(awa, "submitted"), hours=2)
    waiting(make_order(awa, "deposit_review"), hours=5)
    waiting(make_order(awa, "balance_review"), days=2)
    waiting(make_order(awa, "confirmed"), days=1)
    waiting(make_order(awa, "purchased"), days=10)
    waiting(make_order(awa, "in_transit"), days=4)
    waiting(make_order(awa, "arrived"), hours=1)
    for status in ("quoted", "completed", "cancelled", "draft"):  # in no queue
        waiting(make_order(awa, status), days=30)
    now = utcnow()

    states = {state.queue.key: state for state in queues.home_figures().queues}

    assert list(states) == ["a-chiffrer", "preuves", "a-acheter", "en-transit",
                            "solde-attendu", "retrait"]
    assert {key: state.count for key, state in states.items()} == {
        "a-chiffrer": 2, "preuves": 2, "a-acheter": 1, "en-transit": 2, "solde-attendu": 1,
        "retrait": 0}
    waited = {key: round((now - state.oldest) / timedelta(hours=1))
              for key, state in states.items() if state.oldest}
    assert waited == {"a-chiffrer": 72, "preuves": 48, "a-acheter": 24, "en-transit": 240,
                      "solde-attendu": 1}
    assert states["retrait"].oldest is None


def test_carts_are_never_counted(awa):
    make_order(awa, "draft")
    assert sum(state.count for state in queues.home_figures().queues) == 0


def test_the_queues_come_from_one_query(app, awa):
    for status in ("submitted", "deposit_review", "balance_review", "confirmed", "ready"):
        make_order(awa, status)
    with sql_statements(app) as statements:
        queues.home_figures()
    assert len(statements) == 1
    assert "FROM tallies" in statements[0]
    assert "count(orders" not in statements[0].lower()  # orders are not counted row by row


def test_the_home_counts_everything_in_one_query(app, awa):
    """Queues, members, messages and the outbox: one statement for the whole home page."""
    make_user("binta@example.sn", confirmed=False)
    make_user("moussa@agence.example", role="staff")
    order = make_order(awa, "submitted")
    message = {"kind": "message", "body": "Bonjour", "channel": "whatsapp"}
    db.session.add_all([
        OrderMessage(order_id=order.id, from_member=True, **message),  # unread by staff
        OrderMessage(order_id=order.id, from_member=True, read_at=utcnow(), **message),
        OrderMessage(order_id=order.id, from_member=False, **message),  # the agency's own
        OrderMessage(order_id=None, from_member=True, **message),  # not matched to an order
        OrderMessage(order_id=None, from_member=True, **message),
        *(OutboxMessage(kind="test", recipient="awa@example.com", subject="s", body_text="t",
                        status=status) for status in ("pending", "sending", "sending",
                                                      "failed", "sent", "sent"))])
    db.session.commit()

    with sql_statements(app) as statements:
        figures = queues.home_figures()

    assert len(statements) == 1
    assert "count(orders" not in statements[0].lower()  # orders come from the tallies
    assert {state.queue.key: state.count for state in figures.queues}["a-chiffrer"] == 1
    assert (figures.members, figures.unconfirmed) == (2, 1)  # staff are not members
    assert (figures.unread_messages, figures.unassigned_messages) == (1, 2)
    assert (figures.outbox_failed, figures.outbox_waiting) == (1, 3)


def test_the_home_page_shows_the_counts(app, awa, client):
    make_user("moussa@agence.example", role="staff")
    make_order(awa, "submitted")
    db.session.add(OutboxMessage(kind="test", recipient="awa@example.com", subject="s",
                                 body_text="t", status="failed"))
    db.session.commit()
    login(client, "moussa@agence.example")
    page = words(client.get("/equipe/"))
    assert "Messages non délivrés 1 0 en attente d'envoi" in page
    assert "Membres 1 dont 0 en attente de confirmation" in page


@pytest.mark.parametrize("key, statuses", [
    ("a-chiffrer", ("submitted",)),
    ("preuves", ("deposit_review", "balance_review")),
    ("a-acheter", ("confirmed",)),
    ("en-transit", ("purchased", "in_transit")),
    ("solde-attendu", ("arrived",)),
    ("retrait", ("ready",)),
    ("completed", ("completed",)),
])
def test_a_queue_or_a_status_filter_lists_its_orders(awa, key, statuses):
    made = {status: make_order(awa, status).reference
            for status in ("draft", "submitted", "quoted", "deposit_review", "confirmed",
                           "purchased", "in_transit", "arrived", "balance_review", "ready",
                           "completed", "cancelled")}
    assert sorted(references(OrderFilters(status=key))) == sorted(made[s] for s in statuses)


@pytest.mark.parametrize("key", ["", "draft", "nonsense"])
def test_no_filter_or_an_unknown_one_lists_every_order_but_carts(awa, key):
    make_order(awa, "draft")
    made = [make_order(awa, status).reference for status in ("submitted", "cancelled")]
    assert sorted(references(OrderFilters(status=key))) == sorted(made)


# --- Other filters ------------------------------------------------------------------------

def test_the_newest_orders_come_first_unless_asked_otherwise(awa):
    first, second, third = (make_order(awa) for _ in range(3))
    for order, days in ((first, 3), (second, 1), (third, 2)):
        order.submitted_at = utcnow() - timedelta(days=days)
    waiting(first, hours=1)
    waiting(second, days=5)
    waiting(third, hours=3)
    assert references(OrderFilters()) == [second.reference, third.reference, first.reference]
    assert references(OrderFilters(sort="anciennes")) == [first.reference, third.reference,
                                                          second.reference]
    assert references(OrderFilters(sort="attente")) == [second.reference, third.reference,
                                                        first.reference]


def test_the_dates_filter_on_the_day_of_submission_both_days_included(awa):
    made = {}
    for day in (1, 2, 3, 4):
        order = make_order(awa)
        order.submitted_at = datetime(2026, 3, day, 23, 30)
        made[day] = order.reference
    db.session.commit()
    assert sorted(references(OrderFilters(submitted_from=date(2026, 3, 2),
                                          submitted_to=date(2026, 3, 3)))) == [made[2], made[3]]
    assert sorted(references(OrderFilters(submitted_from=date(2026, 3, 4)))) == [made[4]]
    assert sorted(references(OrderFilters(submitted_to=date(2026, 3, 1)))) == [made[1]]
    assert references(OrderFilters(submitted_to=date.max)) != []  # no overflow


def test_the_member_filter_keeps_one_members_orders(awa, binta):
    mine = make_order(awa).reference
    hers = make_order(binta).reference
    assert references(OrderFilters(member_id=binta.id)) == [hers]
    assert references(OrderFilters(member_id=awa.id)) == [mine]
    assert references(OrderFilters(member_id=2**31 - 1)) == []


# --- Free search --------------------------------------------------------------------------

@pytest.fixture
def two_orders(awa, binta):
    mine = make_order(awa, items=2, reference="DEM-2026-00042")
    mine.items[0].name = "Robe en lin"
    mine.items[1].name = "Robe de soirée"
    hers = make_order(binta, items=1, reference="DEM-2026-00107")
    hers.items[0].name = "Casque audio 100% sans fil"
    db.session.commit()
    return mine.reference, hers.reference


@pytest.mark.parametrize("text, found", [
    ("dem-2026-00042", ["DEM-2026-00042"]),  # reference, any case
    ("00107", ["DEM-2026-00107"]),
    ("binta", ["DEM-2026-00107"]),  # member's name
    ("Koné", ["DEM-2026-00042"]),
    ("koné", ["DEM-2026-00042"]),
    ("kone", ["DEM-2026-00042"]),  # accents and case aside, as staff type on a phone
    ("KONÉ", ["DEM-2026-00042"]),
    ("soiree", ["DEM-2026-00042"]),
    ("SOIRÉE", ["DEM-2026-00042"]),
    ("kôné", ["DEM-2026-00042"]),
    ("example.sn", ["DEM-2026-00107"]),  # e-mail
    ("AWA@EXAMPLE", ["DEM-2026-00042"]),
    ("robe", ["DEM-2026-00042"]),  # item name: two items match, the order once
    ("casque AUDIO", ["DEM-2026-00107"]),
    ("100%", ["DEM-2026-00107"]),  # % is a character, not a wildcard
    ("100% sans", ["DEM-2026-00107"]),
    ("0%", ["DEM-2026-00107"]),
    ("%", ["DEM-2026-00107"]),
    ("_", []),  # _ is a character too
    ("DEM_2026", []),
    ("/", []),  # and so is the escape character
    ("/%", []),
    ("  lin  ", ["DEM-2026-00042"]),
    ("introuvable", []),
])
def test_the_search_looks_in_references_members_and_items(two_orders, text, found):
    assert references(OrderFilters(text=text)) == found


@pytest.mark.parametrize("text", ["oeufs de paques", "ŒUFS DE PÂQUES", "Œufs", "chocolat noel",
                                  "Noël"])
def test_the_search_undoes_ligatures_and_accents(awa, text):
    order = make_order(awa, reference="DEM-2026-00311")
    order.items[0].name = "Œufs de Pâques en chocolat de Noël"
    db.session.commit()
    expected = [] if text == "chocolat noel" else ["DEM-2026-00311"]
    assert references(OrderFilters(text=text)) == expected


def test_searches_of_one_shape_share_one_statement(two_orders, binta):
    """Only what is searched for changes between two searches of the same kind: the
    statement is built once, the text and member are bound parameters."""
    queues._page_query.cache_clear()
    for text in ("robe", "casque", "100%", "binta"):
        page = queues.order_page(OrderFilters(text=text, member_id=binta.id, status="preuves"), 1)
        assert page.total == 0
    assert queues._page_query.cache_info().misses == 1
    assert references(OrderFilters(text="casque", member_id=binta.id)) == ["DEM-2026-00107"]
    assert queues._page_query.cache_info().misses == 2  # another shape: every status


def test_the_search_and_the_filters_add_up(two_orders, binta):
    assert references(OrderFilters(text="DEM", member_id=binta.id)) == ["DEM-2026-00107"]
    assert references(OrderFilters(text="robe", status="preuves")) == []


# --- Pages and export ---------------------------------------------------------------------

def test_pages_hold_25_orders_and_count_them_all(awa):
    for _ in range(27):
        make_order(awa)
    first = queues.order_page(OrderFilters(), 1)
    assert (first.total, len(first.items), first.pages) == (27, 25, 2)
    assert len(queues.order_page(OrderFilters(), 2).items) == 2
    far = queues.order_page(OrderFilters(), 10_000)
    assert (far.items, far.total) == ([], 27)  # past the end: counted all the same


@pytest.mark.parametrize("sort", queues.SORTS)
@pytest.mark.parametrize("filters", [{}, {"status": "submitted"}, {"status": "a-chiffrer"},
                                     {"status": "en-transit"}, {"text": "awa"},
                                     {"submitted_from": date(2026, 1, 1)}])
def test_the_pages_of_every_sort_hold_each_order_once_in_order(awa, sort, filters):
    """The page is chosen on (id, submission, wait) before its orders are read: shared
    dates and waits included, the pages follow the sort and never overlap; a queue of two
    statuses (en-transit: each status's first orders, merged) too."""
    made = []
    for number in range(60):
        order = make_order(awa, status=("submitted", "purchased", "in_transit")[number % 3])
        order.submitted_at = datetime(2026, 3, 1 + number % 4, 10, 0)  # many share a date
        order.status_changed_at = datetime(2026, 4, 1 + number % 5, 9, 0)
        made.append(order)
    db.session.commit()
    wanted = OrderFilters(sort=sort, **filters)
    kept = [order for order in made if not filters.get("status")
            or order.status in queues.statuses_for(filters["status"])]
    column, descending = queues._SORT_KEYS[sort][0]
    kept.sort(key=lambda order: (getattr(order, column), order.id), reverse=descending)
    listed = [reference for page in (1, 2, 3) for reference in references(wanted, page)]
    assert listed == [order.reference for order in kept]
    assert queues.order_page(wanted, 1).total == len(kept)
    assert references(wanted, 4) == []


def test_a_queue_of_two_statuses_reads_each_status_in_its_own_index(app, awa):
    """Each status's first orders, in the list's order, then merged: never the newest orders
    of every status until 25 belong to the queue."""
    for number in range(6):
        make_order(awa, status=("purchased", "in_transit", "submitted")[number % 3])
    with sql_statements(app) as statements:
        page = queues.order_page(OrderFilters(status="en-transit"), 1)
    assert (page.total, len(page.items)) == (4, 4)
    assert {order.status for order in page.items} == {"purchased", "in_transit"}
    [statement] = statements
    assert "UNION ALL" in statement and "FROM tallies" in statement
    with sql_statements(app) as statements:
        queues.order_page(OrderFilters(status="a-chiffrer"), 1)  # one status: its index
        queues.order_page(OrderFilters(), 1)  # every status: the list's own index
    assert not any("UNION" in statement for statement in statements)


def test_a_list_by_status_alone_takes_its_total_from_the_tallies(app, awa):
    """Nothing to count or sort: the tallies give the total, an index the page."""
    for status in ("submitted", "submitted", "quoted", "completed"):
        make_order(awa, status=status)
    with sql_statements(app) as statements:
        page = queues.order_page(OrderFilters(status="a-chiffrer"), 1)
        everything = queues.order_page(OrderFilters(), 1)
    assert (page.total, len(page.items)) == (2, 2)
    assert (everything.total, len(everything.items)) == (4, 4)
    assert all("FROM tallies" in sql and "OVER" not in sql for sql in statements)
    with sql_statements(app) as statements:
        assert queues.order_page(OrderFilters(status="a-chiffrer", text="awa"), 1).total == 2
    assert "OVER" in statements[0] and "tallies" not in statements[0]


@pytest.mark.parametrize("filters", [
    {"submitted_from": date(2026, 3, 1)},
    {"submitted_from": date(2026, 3, 1), "submitted_to": date(2026, 3, 31)},
    {"member": True},
    {"member": True, "submitted_to": date(2026, 3, 31), "status": "a-chiffrer"},
])
def test_dates_or_a_member_are_counted_apart_from_the_page(app, awa, binta, filters):
    """The page stops at its 25th order; the total comes from a count of its own (no
    `count(*) OVER ()`, which read every matching order before the first one was listed)."""
    for number in range(28):
        make_order(awa).submitted_at = datetime(2026, 3, 2 + number % 20, 10, 0)
    make_order(awa, "quoted").submitted_at = datetime(2026, 3, 5, 10, 0)  # not a-chiffrer
    make_order(awa).submitted_at = datetime(2026, 2, 27, 10, 0)  # before the range
    make_order(awa, "draft").submitted_at = datetime(2026, 3, 5, 10, 0)  # a cart
    make_order(binta).submitted_at = datetime(2026, 3, 5, 10, 0)  # another member
    db.session.commit()
    if filters.pop("member", False):
        filters["member_id"] = awa.id
    wanted = OrderFilters(**filters)
    expected = (28 + (filters.get("status") is None)
                + ("member_id" not in filters) + ("submitted_from" not in filters))

    with sql_statements(app) as statements:
        first = queues.order_page(wanted, 1)
    assert (first.total, len(first.items), first.pages) == (expected, 25, 2)
    [listing] = [sql for sql in statements if "agency_settings" not in sql]  # (time zone)
    assert "OVER" not in listing
    second = queues.order_page(wanted, 2)
    assert second.total == expected
    assert {order.id for order in second.items}.isdisjoint(order.id for order in first.items)
    assert len(second.items) == expected - 25
    far = queues.order_page(wanted, 50)
    assert (far.items, far.total) == ([], expected)


def test_a_date_range_matching_nothing_counts_none(awa):
    make_order(awa).submitted_at = datetime(2026, 3, 2, 10, 0)
    db.session.commit()
    empty = queues.order_page(OrderFilters(submitted_from=date(2027, 1, 1)), 1)
    assert (empty.items, empty.total, empty.pages) == ([], 0, 0)


def test_dates_reach_the_database_as_values_for_its_plan(app, awa):
    """A date range may select a few orders or all of them: the planner sees the dates
    (a plan made without them read every order of a long range through its index)."""
    make_order(awa).submitted_at = datetime(2026, 3, 2, 10, 0)
    db.session.commit()
    with sql_statements(app) as statements:
        found = references(OrderFilters(text="awa", submitted_from=date(2026, 3, 1),
                                        submitted_to=date(2026, 3, 31)))
    assert len(found) == 1
    assert len(re.findall(r"submitted_at [<>]=? '2026-0[234]-\d\d \d\d:\d\d:00", statements[-1])) == 6


def test_a_search_matching_nothing_answers_in_one_query(app, awa):
    make_order(awa)
    with sql_statements(app) as statements:
        empty = queues.order_page(OrderFilters(text="introuvable"), 1)
    assert (empty.items, empty.total, empty.pages) == ([], 0, 0)
    assert len(statements) == 1


def test_the_export_lists_every_matching_order_with_its_items(awa, binta):
    for _ in range(30):
        make_order(awa, items=2)
    make_order(binta, items=3)
    exported = queues.orders_for_export(OrderFilters(member_id=awa.id))
    assert len(exported) == 30
    assert {order.item_count for order in exported} == {2}
    assert {order.user.email for order in exported} == {"awa@example.com"}
