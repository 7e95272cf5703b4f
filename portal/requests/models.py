"""The order aggregate (Order, its items and status history) and the partner shops."""
from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import (
    Mapped,
    joinedload,
    mapped_column,
    query_expression,
    relationship,
    with_expression,
)
from sqlalchemy.orm.attributes import set_committed_value

from portal.clock import utcnow
from portal.extensions import db

MAX_ITEMS = 50


class PartnerShop(db.Model):
    __tablename__ = "partner_shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2048))
    country: Mapped[str] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(String(500))
    logo_key: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    is_visible: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'quoted', 'deposit_review', 'confirmed', "
            "'purchased', 'in_transit', 'arrived', 'balance_review', 'ready', 'completed', "
            "'cancelled')", name="status_known"),
        CheckConstraint("delivery_mode IS NULL OR delivery_mode IN ('pickup', 'home')",
                        name="delivery_mode_known"),
        CheckConstraint("status = 'draft' OR reference IS NOT NULL", name="submitted_has_reference"),
        CheckConstraint("cart_owner_id IS NULL OR status = 'draft'", name="cart_is_draft"),
        Index("ix_orders_user_status", "user_id", "status"),
        # the staff home's queue counts and oldest waits, read from the index alone
        Index("ix_orders_status_changed", "status", "status_changed_at"),
        # the staff list's pages in its sorts, read in order without sorting every order
        Index("ix_orders_submitted", "submitted_at", "id"),
        Index("ix_orders_status_submitted", "status", "submitted_at", "id"),
        Index("ix_orders_waiting", "status_changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Set (to user_id) only while the order is the member's cart: one cart per member.
    cart_owner_id: Mapped[int | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(default=1)
    delivery_mode: Mapped[str | None] = mapped_column(String(10))
    pickup_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("pickup_points.id", ondelete="SET NULL"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    delivery_address: Mapped[str | None] = mapped_column(Text)  # snapshot, as submitted
    address_changes: Mapped[int] = mapped_column(default=0)
    terms_version_id: Mapped[int | None] = mapped_column(ForeignKey("terms_versions.id"))
    terms_accepted_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    cancel_note: Mapped[str | None] = mapped_column(String(500))
    # Purchase, shipment and arrival, as staff record them.
    merchant_order_number: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(2048))
    weight_grams: Mapped[int | None]
    # Handing the goods over: the code the member shows, and who collected when.
    pickup_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    pickup_reminded_at: Mapped[datetime | None]
    handed_over_at: Mapped[datetime | None]
    handed_over_to: Mapped[str | None] = mapped_column(String(120))
    handed_over_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Filled only by queries that ask for it (`with_item_count()`): lists show counts without
    # loading every item.
    counted_items: Mapped[int | None] = query_expression()
    # Filled only by the member's dashboard query: the agency's messages not read yet.
    counted_unread: Mapped[int | None] = query_expression()

    user = relationship("User", foreign_keys=[user_id])
    handed_over_by = relationship("User", foreign_keys=[handed_over_by_id])
    pickup_point = relationship("PickupPoint")
    terms_version = relationship("TermsVersion")
    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id")
    history: Mapped[list["StatusChange"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="StatusChange.id")
    proformas: Mapped[list["Proforma"]] = relationship(  # noqa: F821 (portal.proforma.models)
        back_populates="order", order_by="Proforma.version")
    messages: Mapped[list["OrderMessage"]] = relationship(  # noqa: F821 (portal.messaging.models)
        back_populates="order", cascade="all, delete-orphan", order_by="OrderMessage.id")
    invoices: Mapped[list["Invoice"]] = relationship(  # noqa: F821 (portal.proforma.models)
        back_populates="order", order_by="Invoice.id")
    proofs: Mapped[list["PaymentProof"]] = relationship(  # noqa: F821 (portal.payments.models)
        back_populates="order", order_by="PaymentProof.id")
    refunds: Mapped[list["Refund"]] = relationship(  # noqa: F821 (portal.payments.models)
        back_populates="order", order_by="Refund.id")
    arrival_photos: Mapped[list["ArrivalPhoto"]] = relationship(  # noqa: F821
        back_populates="order", cascade="all, delete-orphan", order_by="ArrivalPhoto.id")

    __mapper_args__ = {"version_id_col": version}

    def can_view(self, user) -> bool:
        return user.is_authenticated and (user.is_staff or user.id == self.user_id)

    @property
    def current_proforma(self):
        """The proforma in force: the latest version issued (None before any)."""
        return self.proformas[-1] if self.proformas else None

    @property
    def current_invoice(self):
        """The invoice in force: the latest one not corrected by a credit note."""
        return next((i for i in reversed(self.invoices)
                     if i.kind == "invoice" and i.status == "issued"), None)

    @property
    def item_count(self) -> int:
        """Lines of the order (as counted in the cart), not the sum of quantities: counted by
        the database when the query asked for it (`with_item_count`), else from the items."""
        if self.counted_items is not None:
            return self.counted_items
        return len(self.items)


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 99", name="quantity_range"),
        CheckConstraint("seen_price IS NULL OR seen_price >= 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    quantity: Mapped[int] = mapped_column(default=1)
    details: Mapped[str | None] = mapped_column(Text)
    seen_price: Mapped[int | None]  # minor units of seen_currency
    seen_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="items")


NOTE_MAX = 1000  # characters of a history note (a longer one is cut; the e-mail has it all)


class StatusChange(db.Model):
    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="history")
    actor = relationship("User")


def with_item_count():
    """The loader option that has the database count each order's items (`item_count`) in
    the query that loads the orders: no item is loaded, no second query."""
    return with_expression(Order.counted_items, select(func.count(OrderItem.id))
                           .where(OrderItem.order_id == Order.id).scalar_subquery())


# Collections an order has none of until late in its life (proofs come with the payments,
# invoices and photos with the arrival) or often never (refunds, messages). An order page reads
# each one; an empty one costs a statement for nothing.
OFTEN_EMPTY = ("proofs", "invoices", "refunds", "arrival_photos", "messages")


@cache
def _order_statement():
    """Built once: the order by id, joined with its pickup point and its proformas (one or two
    rows; every page of an order shows the one in force), and whether it has any of each
    OFTEN_EMPTY collection (one index probe each, in the same statement)."""
    present = [getattr(Order, name).any() for name in OFTEN_EMPTY]
    return (select(Order, *present).where(Order.id == bindparam("order_id"))
            .options(joinedload(Order.pickup_point), joinedload(Order.proformas)))


def load_order(order_id: int) -> Order | None:
    """The order `order_id` (None when there is none) with its pickup point and proformas, its
    empty OFTEN_EMPTY collections already known to be empty: a page reading them sends no
    statement for those.

    `workflow.lock` reloads it with the same joins, locking the order's row only (FOR UPDATE
    OF orders); the reload expires the other collections, read again if used afterwards."""
    row = db.session.execute(_order_statement(), {"order_id": order_id}).unique().one_or_none()
    if row is None:
        return None
    order, *present = row
    unloaded = inspect(order).unloaded
    for name, has_any in zip(OFTEN_EMPTY, present, strict=True):
        if not has_any and name in unloaded:
            set_committed_value(order, name, [])
    return order


# Every list an order's page shows (its proformas come with the order from load_order).
PAGE_LISTS = ("items", "history", *OFTEN_EMPTY)


def load_lists(order: Order) -> None:
    """Load the PAGE_LISTS `order` has not loaded yet in one statement, instead of one
    statement per list as the page reads them (four to six on a paid order)."""
    names = tuple(name for name in PAGE_LISTS if name in inspect(order).unloaded)
    if not names:
        return
    found = {name: [] for name in names}
    for kind, *children in db.session.execute(_lists_statement(names), {"order_id": order.id}):
        if children[kind] is not None:  # a list with no child still gives its row
            found[names[kind]].append(children[kind])
    for name, children in found.items():
        set_committed_value(order, name, children)


@lru_cache(maxsize=64)
def _lists_statement(names: tuple[str, ...]):
    """Built once for each set of lists: the children of the order `order_id`, one row per
    child, `kind` the position of its list in `names`. Each list's table is joined to the rows
    of its own kind only (read once through its order_id index), so lists never multiply
    each other's rows; the rows come in each list's own order."""
    kinds = union_all(*(select(literal_column(str(index), Integer).label("kind"))
                        for index in range(len(names)))).subquery("kinds")
    relations = [getattr(Order, name).property for name in names]
    statement = select(kinds.c.kind, *(relation.mapper for relation in relations))
    statement = statement.select_from(kinds)
    order_by = [kinds.c.kind]
    for index, relation in enumerate(relations):
        child = relation.mapper.class_
        statement = statement.outerjoin(child, and_(
            kinds.c.kind == literal_column(str(index), Integer),
            child.order_id == bindparam("order_id")))
        order_by += relation.order_by or [child.id]
    return statement.order_by(*order_by)
