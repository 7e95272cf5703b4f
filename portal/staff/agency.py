"""What staff do with the agency's shop window: partner shops, pickup points, terms.

Functions flush; views commit.
"""
from sqlalchemy import func, select

from portal import storage
from portal.clock import utcnow
from portal.extensions import db
from portal.requests.models import PartnerShop
from portal.staff.models import PickupPoint, TermsVersion

SHOP_FIELDS = ("name", "url", "country", "description", "is_visible")
POINT_FIELDS = ("name", "address", "opening_hours", "is_active")


def ordered_shops() -> list[PartnerShop]:
    return list(db.session.scalars(select(PartnerShop).order_by(PartnerShop.position,
                                                                  PartnerShop.id)))


def save_shop(shop: PartnerShop | None, logo_png: bytes | None = None,
              remove_logo: bool = False, **values) -> PartnerShop:
    """Add or edit a shop; `logo_png` is an already cleaned image (see portal/images.py)."""
    if shop is None:
        last = db.session.scalar(select(func.max(PartnerShop.position))) or 0
        shop = PartnerShop(position=last + 1)
        db.session.add(shop)
    for name in SHOP_FIELDS:
        setattr(shop, name, values.get(name) if values.get(name) != "" else None)
    shop.logo_key = replace_logo(shop.logo_key, logo_png, remove_logo)
    db.session.flush()
    return shop


def replace_logo(key: str | None, logo_png: bytes | None, remove: bool) -> str | None:
    """Store a new (cleaned) logo in place of the one under `key`; return the key to keep."""
    if not (logo_png or remove):
        return key
    storage.delete(key)
    return storage.save(logo_png, "logos", "png") if logo_png else None


def move_shop(shop: PartnerShop, step: int) -> None:
    """Move a shop one place up (step=-1) or down (step=1) in the members' page."""
    reorder(ordered_shops(), shop, step)


def reorder(rows: list, row, step: int) -> None:
    """Move `row` one place up (step=-1) or down (step=1) among `rows` (which have a
    `position`), numbering them all again from 1."""
    index = rows.index(row)
    target = index + step
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    for position, each in enumerate(rows, start=1):
        each.position = position
    db.session.flush()


def toggle_shop(shop: PartnerShop) -> None:
    shop.is_visible = not shop.is_visible
    db.session.flush()


def save_pickup_point(point: PickupPoint | None, **values) -> PickupPoint:
    if point is None:
        point = PickupPoint()
        db.session.add(point)
    for name in POINT_FIELDS:
        setattr(point, name, values.get(name))
    db.session.flush()
    return point


def publish_terms(text: str, author) -> TermsVersion:
    """A new version of the terms; earlier versions stay as they were accepted."""
    last = db.session.scalar(select(func.max(TermsVersion.version))) or 0
    terms = TermsVersion(version=last + 1, text=text, published_at=utcnow(),
                         published_by_id=author.id)
    db.session.add(terms)
    db.session.flush()
    return terms
