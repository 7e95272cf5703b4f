"""Where accepted values come back outside the form's own pages: PDFs made on the spot (the
proforma a request would get, the invoice and receipt the services issue) and e-mails the
portal sends about the order. Called inside the test's app context and transaction."""
from datetime import timedelta

from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.members.models import Address, User
from portal.messaging import threads
from portal.payments import proofs
from portal.payments.models import PaymentProof
from portal.proforma import quoting
from portal.proforma.forms import QuoteInput
from portal.proforma.totals import Deposit, Line, Quote
from portal.requests import ordering
from portal.requests.models import Order
from portal.staff.models import PickupPoint, TermsVersion, active_payment_methods, agency_today


def user(world, who_id: str = "owner") -> User:
    return db.session.get(User, world.ids[who_id])


def order(world, key: str) -> Order:
    return db.session.get(Order, world.ids[key])


def proforma_preview(target: Order, message: str | None = None) -> bytes:
    """The PDF the member would get for `target`, every line at 10,00 €."""
    lines = [Line(item.name, item.url, item.quantity, 1000, details=item.details,
                  item_id=item.id) for item in target.items]
    given = QuoteInput(Quote(lines, [], Deposit("percent", 5000)),
                       agency_today() + timedelta(days=7),
                       [method.id for method in active_payment_methods()], message, False, 0)
    return quoting.preview_pdf(target, given)


def submitted_cart(world, address: Address | None = None, mode: str = "home") -> Order:
    """Awa's cart sent as a request (to the given address)."""
    owner = user(world)
    point = db.session.scalar(select(PickupPoint).where(PickupPoint.is_active).limit(1))
    return ordering.submit_request(owner, address or owner.default_address, mode,
                                   point if mode == "pickup" else None, TermsVersion.current())


def preview_of(key: str):
    return lambda world: proforma_preview(order(world, key))


def cart_pdf(world) -> bytes:
    return proforma_preview(submitted_cart(world))


def newest_address_pdf(world) -> bytes:
    owner = user(world)
    address = db.session.scalar(select(Address).where(Address.user_id == owner.id)
                                .order_by(Address.id.desc()).limit(1))
    return proforma_preview(submitted_cart(world, address))


def stored_pdf(key: str | None) -> bytes:
    assert key, "no PDF stored"
    return storage.read(key)


def current_proforma_pdf(key: str):
    return lambda world: stored_pdf(order(world, key).current_proforma.pdf_key)


def current_invoice_pdf(key: str):
    return lambda world: stored_pdf(order(world, key).current_invoice.pdf_key)


def newest_proof(order_key: str):
    def find(world) -> PaymentProof:
        return db.session.scalar(select(PaymentProof).where(
            PaymentProof.order_id == world.ids[order_key]).order_by(PaymentProof.id.desc())
            .limit(1))
    return find


def receipt_pdf(order_key: str):
    """The receipt of the newest proof of the order, once staff accept it."""
    def render(world) -> bytes:
        proof = newest_proof(order_key)(world)
        proofs.accept_proof(proof, user(world, "staff"), proof.declared_amount)
        return stored_pdf(proof.receipt_key)
    return render


def staff_writes(order_key: str):
    """Staff write to the member by e-mail (the mail greets her by name)."""
    def trigger(world) -> None:
        threads.staff_writes(order(world, order_key), user(world, "staff"), "Bonjour", "email")
    return trigger
