"""SQL statements per page stay flat as the agency grows: each page sends as many statements
with 3 orders as with 300 (no query per row). The agency comes from the benchmark's generator
(`bench.agency.fill`), with one member owning every order, so the member's pages grow too.
"""
import re

from sqlalchemy import select

from bench.agency import BENCH_PASSWORD, fill
from portal.extensions import db
from portal.members.models import User
from portal.payments.models import PaymentProof
from portal.requests import ordering
from portal.requests.models import Order
from tests.conftest import empty_tables, sql_statements
from tests.factories import login

MEMBER = "membre00001@bench.example"
STAFF = "equipe1@bench.example"
MEMBER_PAGES = ("member dashboard", "order page")


def pages(app) -> dict[str, str]:
    """The pages measured, with real ids: the member's order waiting for the review of its
    deposit (the generator's third order, the same in every size) and its proof."""
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == MEMBER))
        order = db.session.scalar(select(Order).where(
            Order.user_id == member.id, Order.status == "deposit_review").order_by(Order.id))
        proof = db.session.scalar(select(PaymentProof).where(
            PaymentProof.order_id == order.id, PaymentProof.status == "pending"))
        order_id, proof_id = order.id, proof.id
    return {"member dashboard": "/commandes",
            "order page": f"/commandes/{order_id}",
            "staff home": "/equipe/",
            "staff order list": "/equipe/commandes?statut=a-chiffrer&q=kouassi",
            "proof review": f"/equipe/preuves/{proof_id}"}


def statements_for(app, client, url: str) -> int:
    """How many SQL statements one request of `url` sends (after a first, unmeasured one)."""
    assert client.get(url).status_code == 200
    with sql_statements(app) as sent:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(sent)


def counts_with(app, orders: int) -> dict[str, int]:
    with app.app_context():
        fill(members=1, orders=orders, staff=1, quiet=True)
        # a cart in both sizes (the generator gives one to some members only)
        member = db.session.scalar(select(User).where(User.email == MEMBER))
        ordering.add_item(member, "Sac à dos", "https://shop.example.com/sac", 1, None)
        db.session.commit()
    member, staff = app.test_client(), app.test_client()
    login(member, MEMBER, BENCH_PASSWORD)
    login(staff, STAFF, BENCH_PASSWORD)
    return {name: statements_for(app, member if name in MEMBER_PAGES else staff, url)
            for name, url in pages(app).items()}


def test_pages_send_as_many_statements_with_300_orders_as_with_3(app):
    small = counts_with(app, 3)
    empty_tables(app)
    large = counts_with(app, 300)
    print("statements per page (3 orders / 300 orders):",
          {name: (small[name], large[name]) for name in small})
    assert large == small


def lone_reads(app, client, url: str, tables: tuple[str, ...]) -> list[str]:
    """The statements of one request of `url` that read one of `tables` alone (no join)."""
    assert client.get(url).status_code == 200
    with sql_statements(app) as sent:
        assert client.get(url).status_code == 200
    return [statement for statement in sent if any(
        re.search(rf"\bFROM {table}\s+WHERE\b", statement) for table in tables)]


def test_an_order_page_reads_its_pickup_point_and_proformas_with_the_order(app):
    with app.app_context():
        fill(members=1, orders=12, staff=1, quiet=True)
        order = db.session.scalar(select(Order).where(
            Order.pickup_point_id.is_not(None), Order.proformas.any()).order_by(Order.id))
        url = f"/commandes/{order.id}"
    member = app.test_client()
    login(member, MEMBER, BENCH_PASSWORD)
    assert lone_reads(app, member, url, ("proformas", "pickup_points")) == []


def test_the_proof_review_reads_the_orders_proformas_and_proofs_with_the_proof(app):
    with app.app_context():
        fill(members=1, orders=3, staff=1, quiet=True)
        urls = pages(app)
    staff = app.test_client()
    login(staff, STAFF, BENCH_PASSWORD)
    lone = lone_reads(app, staff, urls["proof review"], ("proformas", "payment_proofs"))
    # whether other proofs share its file or reference comes with it too (their list is read
    # only when there are some)
    assert lone == [], lone
