"""The counts the database keeps in `tallies` (migration 0007's triggers) always equal the
counts of the rows: orders per status, members and unconfirmed members — whatever writes the
rows (the workflow, the ORM, plain SQL, deletions), on SQLite and PostgreSQL alike."""
import os
import random
import threading

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text, update

from portal import tallies
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.requests import ordering
from portal.requests.models import Order
from portal.workflow import Status
from tests.factories import make_order, make_user

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
EVERY_STATUS = [status.value for status in Status]


def counted() -> dict[str, int]:
    """What the tallies should say, counted from the tables."""
    by_status = dict(db.session.execute(
        select(Order.status, func.count()).group_by(Order.status)).all())
    members = select(func.count()).select_from(User).where(User.role == "member")
    values = {tallies.orders_in(status): by_status.get(status, 0) for status in EVERY_STATUS}
    values[tallies.MEMBERS] = db.session.scalar(members)
    values[tallies.UNCONFIRMED_MEMBERS] = db.session.scalar(
        members.where(User.confirmed_at.is_(None)))
    return values


def kept() -> dict[str, int]:
    """What the tallies say, read as the staff home reads them (`tallies.value_of`)."""
    db.session.expire_all()
    names = list(counted())
    values = db.session.execute(select(*(tallies.value_of(name) for name in names))).one()
    return dict(zip(names, values, strict=True))


def test_new_and_confirmed_members_are_tallied_staff_are_not(app_ctx):
    assert kept()[tallies.MEMBERS] == 0
    awa = make_user("awa@example.com", confirmed=False)
    make_user("binta@example.com")
    make_user("staff@example.com", role="staff", confirmed=False)
    assert kept() == counted()
    assert kept()[tallies.MEMBERS] == 2 and kept()[tallies.UNCONFIRMED_MEMBERS] == 1

    awa.confirmed_at = utcnow()
    db.session.commit()
    assert kept()[tallies.UNCONFIRMED_MEMBERS] == 0

    awa.role = "staff"  # a member made staff leaves the count; and back
    db.session.commit()
    assert kept()[tallies.MEMBERS] == 1
    awa.role, awa.confirmed_at = "member", None
    db.session.commit()
    assert kept() == counted()
    assert kept()[tallies.UNCONFIRMED_MEMBERS] == 1

    db.session.execute(delete(User).where(User.email == "binta@example.com"))
    db.session.commit()
    assert kept() == counted()
    assert kept()[tallies.MEMBERS] == 1


def test_a_workflow_move_moves_one_order_between_two_tallies(app_ctx):
    awa = make_user()
    make_order(awa, "draft")
    order = make_order(awa, "submitted")
    assert kept()[tallies.orders_in("draft")] == 1
    assert kept()[tallies.orders_in("submitted")] == 1

    ordering.cancel_order(order, awa)
    db.session.commit()
    assert kept()[tallies.orders_in("submitted")] == 0
    assert kept()[tallies.orders_in("cancelled")] == 1
    assert kept() == counted()


def test_any_write_keeps_the_tallies_equal_to_the_rows(app_ctx):
    """Random inserts, moves (ORM and plain SQL, one row or many) and deletions."""
    rng = random.Random(20261126)
    members = [make_user(f"m{index}@example.com", confirmed=index % 2 == 0)
               for index in range(4)]
    orders = [make_order(rng.choice(members), rng.choice(EVERY_STATUS)) for _ in range(12)]
    for step in range(60):
        order = rng.choice(orders)
        if step % 3 == 0:
            order.status = rng.choice(EVERY_STATUS)  # the ORM
        elif step % 3 == 1:
            db.session.execute(update(Order).where(Order.id == order.id)
                               .values(status=rng.choice(EVERY_STATUS)))
        else:  # several rows in one statement
            db.session.execute(update(Order).where(Order.id.in_([o.id for o in orders[:5]]))
                               .values(status=rng.choice(EVERY_STATUS)))
        db.session.commit()
        db.session.expire_all()
    assert kept() == counted()

    db.session.execute(delete(Order).where(Order.id.in_([o.id for o in orders[::2]])))
    db.session.commit()
    assert kept() == counted()


def test_a_rolled_back_move_leaves_the_tallies(app_ctx):
    order = make_order(make_user(), "submitted")
    before = kept()
    order.status = "quoted"
    db.session.flush()
    db.session.rollback()
    assert kept() == before == counted()


def test_the_migration_counts_what_is_already_there(app):
    """Going down to 0006 and up again fills the tallies from the rows present."""
    with app.app_context():
        awa = make_user(confirmed=False)
        for status in ("submitted", "submitted", "ready", "completed"):
            make_order(awa, status)
        db.session.remove()
        downgrade(revision="0006_speed")
        assert "tallies" not in db.inspect(db.engine).get_table_names()
        upgrade()
        assert kept() == counted()
        assert kept()[tallies.orders_in("submitted")] == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_concurrent_moves_lose_no_count(app):
    """Four connections move orders back and forth at once: the tallies stay exact (the
    triggers update one row per status under its lock; a lost update would show)."""
    with app.app_context():
        awa = make_user()
        ids = [make_order(awa, "quoted").id for _ in range(8)]
        db.session.remove()
        engine, errors, barrier = db.engine, [], threading.Barrier(4, timeout=20)

        def run(index: int) -> None:
            try:
                with engine.connect() as connection:
                    barrier.wait()
                    for step in range(40):
                        order_id = ids[(index * 2 + step) % len(ids)]
                        target = ("deposit_review", "quoted", "confirmed")[(index + step) % 3]
                        with connection.begin():
                            connection.execute(text(
                                "UPDATE orders SET status = :status WHERE id = :id"),
                                {"status": target, "id": order_id})
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)

        threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert kept() == counted()
