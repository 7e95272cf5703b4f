"""Small factories: accounts ready to use, in the state a test needs."""
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import Address, User

PASSWORD = "Baobab-sous-la-pluie-42"


def make_user(email: str = "awa@example.com", *, role: str = "member", confirmed: bool = True,
              password: str = PASSWORD, **fields) -> User:
    values = {"full_name": "Awa Koné", "phone": "+2250701020304",
              "preferred_channel": "whatsapp", "locale": "fr"} | fields
    user = User(email=email, role=role, confirmed_at=utcnow() if confirmed else None, **values)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_address(user: User, label: str = "Maison", default: bool = True, **fields) -> Address:
    values = {"recipient": user.full_name, "line1": "Rue des Jardins 12", "city": "Abidjan",
              "country": "CI"} | fields
    address = Address(user=user, label=label, is_default=default, **values)
    db.session.add(address)
    db.session.commit()
    return address


def login(client, email: str = "awa@example.com", password: str = PASSWORD, **extra):
    return client.post_form("/connexion", {"email": email, "password": password, **extra})


def make_terms(text: str = "Conditions générales de test.", version: int | None = None):
    from sqlalchemy import func, select

    from portal.staff.models import TermsVersion

    number = version or (db.session.scalar(select(func.max(TermsVersion.version))) or 0) + 1
    terms = TermsVersion(version=number, text=text)
    db.session.add(terms)
    db.session.commit()
    return terms


def make_pickup_point(name: str = "Agence Plateau", active: bool = True):
    from portal.staff.models import PickupPoint

    point = PickupPoint(name=name, address="Avenue Chardy, Abidjan", opening_hours="9 h–18 h",
                        is_active=active)
    db.session.add(point)
    db.session.commit()
    return point


def make_shop(name: str = "Zara", visible: bool = True, position: int = 1):
    from portal.requests.models import PartnerShop

    shop = PartnerShop(name=name, url="https://www.zara.com/fr/", country="ES",
                       description="Mode", is_visible=visible, position=position)
    db.session.add(shop)
    db.session.commit()
    return shop


def make_order(user: User, status: str = "submitted", items: int = 1, reference: str | None = None):
    """An order already in `status` (test set-up only: real moves go through the workflow)."""
    from sqlalchemy import func, select

    from portal.requests.models import Order, OrderItem

    address = user.default_address or make_address(user)
    terms = make_terms()
    point = make_pickup_point()
    order = Order(user=user, status=status, delivery_mode="pickup", pickup_point_id=point.id,
                  address_id=address.id, delivery_address=address.as_text(),
                  terms_version_id=terms.id, terms_accepted_at=utcnow(),
                  cart_owner_id=user.id if status == "draft" else None)
    if status != "draft":
        count = db.session.scalar(select(func.count(Order.id))) or 0
        order.reference = reference or f"DEM-2026-{90001 + count:05d}"
        order.submitted_at = utcnow()
    for number in range(items):
        order.items.append(OrderItem(name=f"Article {number + 1}", quantity=1,
                                     url=f"https://shop.example.com/item/{number + 1}"))
    db.session.add(order)
    db.session.commit()
    return order


def make_proforma(order, total: int = 10000, valid_days: int = 7, version: int = 1):
    """A proforma issued for `order` (test set-up only: real ones come from the editor)."""
    from datetime import timedelta

    from portal.proforma.models import Proforma

    deposit = total // 2
    proforma = Proforma(order=order, number=f"PF-2026-{order.id:05d}", version=version,
                        currency="EUR", subtotal=total, fees_total=0, total=total,
                        deposit_due=deposit, balance_due=total - deposit,
                        valid_until=utcnow().date() + timedelta(days=valid_days),
                        content={"lines": [], "unavailable": [], "fees": [],
                                 "payment_methods": []})
    db.session.add(proforma)
    db.session.commit()
    return proforma


def make_invoice(order, total: int = 10000, paid: int = 0):
    """A final invoice issued for `order`, `paid` of it already received (test set-up only:
    real ones come from recording the arrival)."""
    from portal.proforma.models import Invoice

    invoice = Invoice(order=order, number=f"FAC-2026-{order.id:05d}", currency="EUR",
                      subtotal=total, fees_total=0, total=total, paid_total=paid,
                      balance_due=total - paid, content={"lines": [], "fees": []})
    db.session.add(invoice)
    db.session.commit()
    return invoice
