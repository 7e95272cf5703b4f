"""Handing the goods over: the pickup code, the arrangement message (an editable template in
the settings), finding an order by its code, marking it handed over, and reminders.

Placeholders the templates may use: {nom} {reference} {code} {point} {adresse} {horaires}
{lien}. Functions flush; views (and the CLI) commit.
"""
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.links import external_url
from portal.requests.models import Order

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
CODE_LENGTH = 8
PLACEHOLDERS = ("nom", "reference", "code", "point", "adresse", "horaires", "lien")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DEFAULT_PICKUP = _l(
    "Bonjour {nom}, votre commande {reference} est prête.\n"
    "Retrait : {point}, {adresse}.\nHoraires : {horaires}.\n"
    "Votre code de retrait : {code}.\n"
    "Apportez une pièce d'identité et ce code ; son QR code est dans votre espace :\n{lien}")
DEFAULT_DELIVERY = _l(
    "Bonjour {nom}, votre commande {reference} est prête.\n"
    "Répondez-nous pour convenir d'un créneau de livraison à l'adresse :\n{adresse}\n"
    "Votre code de remise, à donner au livreur : {code}.")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def ensure_code(order: Order) -> str:
    """Give the order its pickup code (once), unique among orders."""
    while order.pickup_code is None:
        code = new_code()
        if db.session.scalar(select(Order.id).where(Order.pickup_code == code)) is None:
            order.pickup_code = code
            db.session.flush()
    return order.pickup_code


def normalise(typed: str) -> str:
    """What staff type or scan, as stored: upper case, no spaces or dashes."""
    return re.sub(r"[\s\-]", "", typed or "").upper()[:CODE_LENGTH * 2]


def find_by_code(typed: str) -> Order | None:
    code = normalise(typed)
    if not code:
        return None
    return db.session.scalar(select(Order).where(Order.pickup_code == code))


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders in a template that the portal cannot fill (for the settings form)."""
    return [name for name in PLACEHOLDER.findall(template or "") if name not in PLACEHOLDERS]


def fill(template: str, values: dict) -> str:
    """Replace the known {placeholders}; anything else is left as written."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def arrangement_text(order: Order) -> str:
    """The pickup (or delivery) arrangement in the agency's words."""
    from portal.staff.models import AgencySettings

    settings = AgencySettings.get()
    point = order.pickup_point if order.delivery_mode == "pickup" else None
    if point is not None:
        template = settings.pickup_message or str(DEFAULT_PICKUP)
        place = {"point": point.name, "adresse": point.address, "horaires": point.opening_hours}
    else:
        template = settings.delivery_message or str(DEFAULT_DELIVERY)
        place = {"point": "", "adresse": (order.delivery_address or "").replace("\n", ", "),
                 "horaires": ""}
    return fill(template, {"nom": order.user.full_name, "reference": order.reference,
                           "code": order.pickup_code or "",
                           "lien": external_url("requests.order_detail", order_id=order.id),
                           **place})


def lookup_url(order: Order) -> str:
    """What the QR code carries: the staff page that finds the order by its code."""
    return external_url("staff.pickup_lookup", code=order.pickup_code)


def qr_svg(order: Order) -> Markup | None:
    """The QR code of the lookup URL, as inline SVG (segno writes only the path data)."""
    if not order.pickup_code:
        return None
    title = _("QR code de remise de la commande %(ref)s", ref=order.reference)
    return Markup(_qr_svg(lookup_url(order), title))  # noqa: S704  # nosec B704  # see _qr_svg


@lru_cache(maxsize=256)
def _qr_svg(url: str, title: str) -> str:
    """segno's markup (segno escapes the title). Encoding takes a few milliseconds, half of a
    ready order's page, and the member opens that page again and again until the pickup: each
    process encodes an order's code once (the same URL and title always give the same SVG)."""
    return segno.make(url, error="m").svg_inline(scale=5, border=2, title=title,
                                                 svgclass="pickup-qr", lineclass=None)


def whatsapp_link(order: Order) -> str | None:
    """wa.me link to the agency's WhatsApp number, the order reference prefilled (active
    orders only, and only when the agency has a WhatsApp number)."""
    from portal.staff.models import AgencySettings

    number = re.sub(r"\D", "", AgencySettings.get().company_whatsapp or "")
    if not number or order.status in ("draft", "completed", "cancelled"):
        return None
    text = _("Bonjour, je vous écris au sujet de ma commande %(ref)s.", ref=order.reference)
    return f"https://wa.me/{number}?text={quote(text)}"


def hand_over(order: Order, staff, collected_by: str, delivered: bool = False) -> None:
    """Staff hand the goods over (or delivered them): the order is completed."""
    from portal.workflow import Status, advance

    collected_by = collected_by.strip()
    note = (_l("Livrée à %(name)s", name=collected_by) if delivered
            else _l("Retirée par %(name)s", name=collected_by))
    advance(order, Status.COMPLETED, staff, note=str(note))
    order.handed_over_at = utcnow()
    order.handed_over_to = collected_by
    order.handed_over_by_id = staff.id
    db.session.flush()


# --- Reminders --------------------------------------------------------------------------------

def reminders_due(now: datetime | None = None) -> list[Order]:
    """Ready orders not collected after the configured days (and not reminded since)."""
    from portal.staff.models import AgencySettings

    days = AgencySettings.get().pickup_reminder_days
    if not days:
        return []
    limit = (now or utcnow()) - timedelta(days=days)
    query = select(Order).where(
        Order.status == "ready", Order.status_changed_at <= limit,
        or_(Order.pickup_reminded_at.is_(None), Order.pickup_reminded_at <= limit),
    ).order_by(Order.id)
    return list(db.session.scalars(query))


def send_reminders(now: datetime | None = None) -> int:
    """Remind each member whose ready order waits; each order once per period, even with
    several workers (compare-and-set on the reminder time). Commits per order."""
    from portal.messaging import order_news

    now = now or utcnow()
    sent = 0
    for order in reminders_due(now):
        claimed = db.session.execute(
            update(Order).where(Order.id == order.id,
                                Order.pickup_reminded_at.is_not_distinct_from(
                                    order.pickup_reminded_at))
            .values(pickup_reminded_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        db.session.refresh(order)
        order_news.pickup_reminder(order)
        db.session.commit()
        sent += 1
    return sent
