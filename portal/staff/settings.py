"""What admins do with the agency's settings: identity and logo, legal mentions, money and
time, quoting defaults, messages to members (pickup and delivery texts, reminders, WhatsApp
templates), and the payment methods offered to members.

Functions flush; views commit.
"""
from sqlalchemy import func, select

from portal.extensions import db
from portal.staff.agency import reorder, replace_logo
from portal.staff.models import AgencySettings, PaymentMethod

SETTINGS_FIELDS = (
    "company_name", "company_address", "company_phone", "company_whatsapp", "company_email",
    "siret", "ninea", "rccm", "vat_number", "legal_mentions", "currency", "locale", "timezone",
    "service_fee_bp", "service_fee_minimum", "deposit_bp", "proforma_validity_days",
    "transport_rate_per_kg", "staff_notification_email", "pickup_message", "delivery_message",
    "pickup_reminder_days", "whatsapp_templates",
)
PAYMENT_METHOD_FIELDS = ("name", "instructions", "is_active")


def save_settings(values: dict, logo_png: bytes | None = None,
                  remove_logo: bool = False) -> AgencySettings:
    """Store every setting of `values` (model units: minor units, basis points); `logo_png` is
    an already cleaned image (see portal/images.py) that replaces the current logo."""
    settings = AgencySettings.get()
    if settings not in db.session:
        db.session.add(settings)
    for name in SETTINGS_FIELDS:
        setattr(settings, name, values.get(name))
    settings.logo_key = replace_logo(settings.logo_key, logo_png, remove_logo)
    db.session.flush()
    return settings


def ordered_payment_methods() -> list[PaymentMethod]:
    return list(db.session.scalars(select(PaymentMethod).order_by(PaymentMethod.position,
                                                                    PaymentMethod.id)))


def save_payment_method(method: PaymentMethod | None, **values) -> PaymentMethod:
    """Add a payment method (last in the list) or edit one."""
    if method is None:
        last = db.session.scalar(select(func.max(PaymentMethod.position))) or 0
        method = PaymentMethod(position=last + 1)
        db.session.add(method)
    for name in PAYMENT_METHOD_FIELDS:
        setattr(method, name, values.get(name))
    db.session.flush()
    return method


def move_payment_method(method: PaymentMethod, step: int) -> None:
    """Move a method one place up (step=-1) or down (step=1) in the order members see."""
    reorder(ordered_payment_methods(), method, step)


def toggle_payment_method(method: PaymentMethod) -> None:
    """Offer a method to members again, or stop offering it (it is never deleted: issued
    proformas may name it)."""
    method.is_active = not method.is_active
    db.session.flush()
