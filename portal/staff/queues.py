"""Back-office queues and the staff order search: queries only (no writes, no commits).

A queue is a group of statuses in which an order waits for the agency (or for the member's
balance). The home page shows, for each queue, how many orders wait and since when the oldest
one waits (its `status_changed_at`). The order list filters on a queue or on one status, on the
submission dates, on a member and on free text; the CSV export uses the same query.
Carts (`draft`) are never listed to staff.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, Select, bindparam, func, or_, select, union, union_all
from sqlalchemy.orm import aliased, contains_eager, selectinload

from portal import tallies
from portal.extensions import db, folded_like
from portal.forms import search_text
from portal.members.models import User
from portal.messaging import threads
from portal.messaging.models import OutboxMessage, OutboxStatus
from portal.proforma.models import Proforma
from portal.requests.models import Order, OrderItem, with_item_count
from portal.workflow import Status

PER_PAGE = 25
MAX_SEARCH = 100  # characters of free text a search uses


@dataclass(frozen=True)
class Queue:
    key: str  # the value of ?statut= (French slugs, never equal to a status code)
    label: str
    statuses: tuple[Status, ...]


QUEUES: tuple[Queue, ...] = (
    Queue("a-chiffrer", _l("À chiffrer"), (Status.SUBMITTED,)),
    Queue("preuves", _l("Preuves à vérifier"), (Status.DEPOSIT_REVIEW, Status.BALANCE_REVIEW)),
    Queue("a-acheter", _l("À acheter"), (Status.CONFIRMED,)),
    Queue("en-transit", _l("En transit"), (Status.PURCHASED, Status.IN_TRANSIT)),
    Queue("solde-attendu", _l("Arrivées — solde attendu"), (Status.ARRIVED,)),
    Queue("retrait", _l("Prêtes pour le retrait"), (Status.READY,)),
)
QUEUE_BY_KEY = {queue.key: queue for queue in QUEUES}
# Every status staff may list (a cart is the member's own business until it is submitted).
LISTED = tuple(status for status in Status if status != Status.DRAFT)
SORTS = ("recentes", "anciennes", "attente")  # newest submitted, oldest submitted, longest wait


@dataclass(frozen=True)
class QueueState:
    queue: Queue
    count: int
    oldest: datetime | None  # when the order waiting longest entered its status


@dataclass(frozen=True)
class HomeFigures:
    """Everything the back-office home counts."""
    queues: list[QueueState]
    members: int
    unconfirmed: int  # members who have not confirmed their e-mail address yet
    unread_messages: int  # from members, on orders no staff member has opened since
    unassigned_messages: int  # received on WhatsApp, not matched to an order
    outbox_failed: int
    outbox_waiting: int  # messages waiting to leave, or leaving


def home_figures() -> HomeFigures:
    """The queues — each with its count (the tallies the database keeps) and its oldest wait
    (the first entry of ix_orders_status_changed for each status) — and the home's other
    counts, all in one query."""
    row = db.session.execute(_home_query()).one()._asdict()
    return HomeFigures(_states_from(row), row["members"], row["unconfirmed"],
                       row["unread_messages"], row["unassigned_messages"],
                       row["outbox_failed"], row["outbox_waiting"])


def _states_from(row: dict) -> list[QueueState]:
    states = []
    for queue in QUEUES:
        codes = [status.value for status in queue.statuses]
        oldest = [row[f"oldest_{code}"] for code in codes if row[f"oldest_{code}"] is not None]
        states.append(QueueState(queue, sum(row[f"count_{code}"] for code in codes),
                                 min(oldest, default=None)))
    return states


@cache
def _home_query() -> Select:
    """Built once: the statement never changes, and building its 22 subqueries is work.
    Besides the tallies, it counts only small sets, each through its index: unread messages,
    unassigned ones, undelivered outbox messages."""
    def outbox_in(*statuses: OutboxStatus):
        return (select(func.count(OutboxMessage.id))
                .where(OutboxMessage.status.in_([status.value for status in statuses]))
                .scalar_subquery())

    queued = [status.value for queue in QUEUES for status in queue.statuses]
    return select(
        *(tallies.value_of(tallies.orders_in(status)).label(f"count_{status}")
          for status in queued),
        *(select(func.min(Order.status_changed_at)).where(Order.status == status)
          .scalar_subquery().label(f"oldest_{status}") for status in queued),
        tallies.value_of(tallies.MEMBERS).label("members"),
        tallies.value_of(tallies.UNCONFIRMED_MEMBERS).label("unconfirmed"),
        threads.unread_for_staff_count().scalar_subquery().label("unread_messages"),
        threads.unassigned_count().scalar_subquery().label("unassigned_messages"),
        outbox_in(OutboxStatus.FAILED).label("outbox_failed"),
        outbox_in(OutboxStatus.PENDING, OutboxStatus.SENDING).label("outbox_waiting"))


def statuses_for(key: str) -> tuple[str, ...]:
    """The status codes a ?statut= value stands for (every listed one for "" or unknown)."""
    if key in QUEUE_BY_KEY:
        return tuple(status.value for status in QUEUE_BY_KEY[key].statuses)
    if key in {status.value for status in LISTED}:
        return (key,)
    return tuple(status.value for status in LISTED)


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""  # a queue key or a status code; "" for every submitted order
    submitted_from: date | None = None  # both days included, in the portal's time zone
    submitted_to: date | None = None
    member_id: int | None = None
    text: str = ""  # reference, member name or e-mail, item name
    sort: str = "recentes"


def _day_start(day: date) -> datetime | None:
    """Midnight of `day` where the agency is, as naive UTC (None when out of range)."""
    try:
        return to_utc(datetime.combine(day, time()))
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL of a search; the values searched for are bound parameters, so
    each shape's statement is built once (building the search's union is most of its cost)."""
    statuses: tuple[str, ...]
    since: bool  # submitted on or after a day
    until: bool  # submitted before a day
    member: bool
    text: bool
    sort: str

    @property
    def by_status_alone(self) -> bool:
        """No text, date or member: the tallies know the total, an index the order."""
        return not (self.text or self.since or self.until or self.member)


def _shape_and_values(filters: OrderFilters) -> tuple[_Shape, dict]:
    values = {"since": _day_start(filters.submitted_from) if filters.submitted_from else None,
              "until": None, "member_id": filters.member_id, "pattern": None}
    if filters.submitted_to and filters.submitted_to < date.max:
        values["until"] = _day_start(filters.submitted_to + timedelta(days=1))
    text = search_text(filters.text, MAX_SEARCH)
    if text:
        values["pattern"] = "%" + _LIKE_SPECIAL.sub(r"/\g<0>", text) + "%"
    values = {name: value for name, value in values.items() if value is not None}
    sort = filters.sort if filters.sort in SORTS else SORTS[0]
    return _Shape(statuses_for(filters.status), "since" in values, "until" in values,
                  "member_id" in values, "pattern" in values, sort), values


_LIKE_SPECIAL = re.compile(r"[/%_]")  # escaped with "/" in a LIKE pattern


@lru_cache(maxsize=512)
def _keys(shape: _Shape):
    """The matching orders as (id, submitted_at, status_changed_at): what a page is chosen by,
    read from the indexes before any order or member row is fetched."""
    if not shape.text:
        return select(*_key_columns(Order)).where(*_conditions(Order, shape)).subquery()
    return _matching(shape).subquery()


def _key_columns(order) -> tuple:
    return order.id, order.submitted_at, order.status_changed_at


def _conditions(order, shape: _Shape) -> list:
    """The filters of `shape` on `order` (an alias in the search's branches), text aside."""
    conditions = [order.status.in_(shape.statuses)]
    if shape.since:
        conditions.append(order.submitted_at >= bindparam("since", literal_execute=True))
    if shape.until:
        conditions.append(order.submitted_at < bindparam("until", literal_execute=True))
    if shape.member:
        conditions.append(order.user_id == bindparam("member_id"))
    return conditions


def _matching(shape: _Shape):
    """Orders whose reference, member (name, e-mail) or an item's name contains the text
    (the bound `pattern`), accents and case aside, within the other filters.

    Each way of matching finds its orders from its own index (trigram indexes on the folded
    columns on PostgreSQL, migration 0009; members' orders by ix_orders_user_status) within
    the statuses asked for, and the three sets are joined: the orders of a busy status are
    never read one by one, and each branch gives the columns a page is sorted by, so only the
    page's orders are fetched."""
    order = aliased(Order)  # not the outer query's orders
    conditions = _conditions(order, shape)

    def contains(column):
        return folded_like(column, bindparam("pattern"), "/")

    members = select(User.id).where(or_(contains(User.full_name), contains(User.email)))
    return union(
        select(*_key_columns(order)).where(*conditions, order.user_id.in_(members)),
        select(*_key_columns(order)).where(*conditions, contains(order.reference)),
        select(*_key_columns(order)).join(OrderItem, OrderItem.order_id == order.id)
        .where(*conditions, contains(OrderItem.name)))


# The sorts of the list: (column of the keys, descending?), the id last so pages never overlap.
_SORT_KEYS = {
    "recentes": (("submitted_at", True), ("id", True)),
    "anciennes": (("submitted_at", False), ("id", False)),
    "attente": (("status_changed_at", False), ("id", False)),
}


def _sorted_by(columns, sort: str) -> list:
    return [columns[name].desc() if descending else columns[name].asc()
            for name, descending in _SORT_KEYS[sort]]


def _orders_of(keys, shape: _Shape) -> Select:
    """The orders (with their member) of `keys`, in the order of the list."""
    return (select(Order).join(keys, keys.c.id == Order.id)
            .join(User, Order.user_id == User.id).options(contains_eager(Order.user))
            .order_by(*_sorted_by(keys.c, shape.sort)))


@lru_cache(maxsize=512)
def _filtered(shape: _Shape) -> Select:
    """Every matching order, with its member: the CSV export."""
    return _orders_of(_keys(shape), shape)


@lru_cache(maxsize=512)
def _page_query(shape: _Shape) -> Select:
    """A page of matching orders, with item counts and the number of matching orders: the
    page's keys are chosen and counted first, then only their 25 orders and members read.

    A list filtered by status alone takes its total from the tallies and its page from an
    index in the order of its sort (migration 0008): nothing is counted or sorted, whatever
    the number of orders; a queue of several statuses reads each status's own index
    (`_first_of_each`)."""
    keys = _first_of_each(shape) if _per_status(shape) else _keys(shape)
    page = (select(*keys.c, _total(keys, shape).label("total"))
            .order_by(*_sorted_by(keys.c, shape.sort))
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)).subquery())
    return _orders_of(page, shape).options(with_item_count()).add_columns(page.c.total)


def _total(keys, shape: _Shape):
    """How many orders match, beside each row of the page.

    By status alone, the tallies know. A search counts its matches as it finds them
    (`count(*) OVER ()`): searching twice would cost more. Dates or a member are counted
    apart, from an index alone (ix_orders_status_submitted, ix_orders_user_status), so the
    page stops at its 25th order instead of first reading every matching order in the list's
    order: a year of orders took 39 ms at 100 000 orders, and now 6."""
    if shape.by_status_alone:
        return tallies.sum_of([tallies.orders_in(status) for status in shape.statuses])
    if shape.text:
        return func.count().over()
    return select(func.count()).select_from(keys).correlate(None).scalar_subquery()


def _per_status(shape: _Shape) -> bool:
    """A queue of a few statuses, nothing else: an index of one status at a time is in the
    list's order, the list's own index is not (all statuses, it is: carts aside, nearly every
    row it reads is listed)."""
    return shape.by_status_alone and 1 < len(shape.statuses) < len(LISTED)


def _first_of_each(shape: _Shape):
    """The keys of each status's first `offset + limit` orders in the list's order, each read
    from that status's index (ix_orders_status_submitted, ix_orders_status_changed): the page
    is among them. Read as one, "en transit" skipped 7 500 newer orders of other statuses
    through ix_orders_submitted for its first 25 (4.5 ms at 100 000 orders)."""
    columns = Order.__table__.c
    enough = bindparam("offset", type_=Integer) + bindparam("limit", type_=Integer)
    firsts = [select(*_key_columns(Order)).where(Order.status == status)
              .order_by(*_sorted_by(columns, shape.sort)).limit(enough).subquery()
              for status in shape.statuses]
    return union_all(*(select(*first.c) for first in firsts)).subquery()


class CountedPagination(Pagination):
    """Flask-SQLAlchemy's page whose total comes with its rows (`count(*) OVER ()`): the
    matching orders are searched once, not once for the page and again for the count."""

    def _query_items(self) -> list:
        shape, values = self._query_args["shape"], self._query_args["values"]
        rows = db.session.execute(_page_query(shape), values | {
            "limit": self.per_page, "offset": self._query_offset}).all()
        self._total = rows[0][-1] if rows else None
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        if self._query_offset == 0:  # not a row from the start: nothing matches
            return 0
        shape, values = self._query_args["shape"], self._query_args["values"]
        # a page past the end
        return db.session.scalar(select(func.count()).select_from(_keys(shape)), values)


def order_page(filters: OrderFilters, page: int, per_page: int = PER_PAGE):
    """A page of matching orders (with `.total`), their members and item counts loaded."""
    shape, values = _shape_and_values(filters)
    return CountedPagination(shape=shape, values=values, page=page, per_page=per_page,
                             error_out=False, max_per_page=per_page)


def orders_for_export(filters: OrderFilters) -> list[Order]:
    """Every matching order, with members, item counts and proforma totals loaded."""
    shape, values = _shape_and_values(filters)
    query = _filtered(shape).options(
        with_item_count(), selectinload(Order.proformas).load_only(
            Proforma.version, Proforma.total, Proforma.currency))
    return list(db.session.scalars(query, values).unique())
