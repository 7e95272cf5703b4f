"""Agency settings that staff edit and documents use: identity, quoting defaults, payment
methods, pickup points and terms versions."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import local_today, utcnow
from portal.extensions import db


class PickupPoint(db.Model):
    __tablename__ = "pickup_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(500))
    opening_hours: Mapped[str] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class TermsVersion(db.Model):
    """Terms and conditions; each publication is a new version, never edited afterwards."""

    __tablename__ = "terms_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    @staticmethod
    def current() -> "TermsVersion | None":
        return db.session.scalar(select(TermsVersion).order_by(TermsVersion.version.desc())
                                 .limit(1))


def active_pickup_points() -> list[PickupPoint]:
    query = select(PickupPoint).where(PickupPoint.is_active).order_by(
        PickupPoint.position, PickupPoint.name)
    return list(db.session.scalars(query))


SETTINGS_ID = 1  # the only row of agency_settings

# Values of a fresh installation, also used when the settings row does not exist yet.
SETTINGS_DEFAULTS = {
    "company_name": "Portail d'achat",
    "currency": "EUR",
    "locale": "fr_FR",
    "timezone": "UTC",
    "service_fee_bp": 1000,
    "service_fee_minimum": 0,
    "deposit_bp": 5000,
    "proforma_validity_days": 7,
    "transport_rate_per_kg": 0,
    "pickup_reminder_days": 3,
}


class AgencySettings(db.Model):
    """The agency's identity and quoting defaults: one row (id 1), edited by admins.

    Percentages are kept in basis points (1 000 = 10 %), amounts in minor units of `currency`.
    """

    __tablename__ = "agency_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("service_fee_bp BETWEEN 0 AND 10000", name="fee_rate_range"),
        CheckConstraint("deposit_bp BETWEEN 0 AND 10000", name="deposit_range"),
        CheckConstraint("service_fee_minimum >= 0 AND transport_rate_per_kg >= 0",
                        name="amounts_positive"),
        CheckConstraint("proforma_validity_days BETWEEN 1 AND 365", name="validity_range"),
        CheckConstraint("pickup_reminder_days BETWEEN 0 AND 90", name="reminder_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    company_name: Mapped[str] = mapped_column(String(160))
    company_address: Mapped[str | None] = mapped_column(String(500))
    company_phone: Mapped[str | None] = mapped_column(String(20))
    company_whatsapp: Mapped[str | None] = mapped_column(String(20))
    company_email: Mapped[str | None] = mapped_column(String(254))
    logo_key: Mapped[str | None] = mapped_column(String(120))
    siret: Mapped[str | None] = mapped_column(String(40))
    ninea: Mapped[str | None] = mapped_column(String(40))
    rccm: Mapped[str | None] = mapped_column(String(60))
    vat_number: Mapped[str | None] = mapped_column(String(40))
    legal_mentions: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(60))
    service_fee_bp: Mapped[int]
    service_fee_minimum: Mapped[int] = mapped_column(BigInteger)
    deposit_bp: Mapped[int]
    proforma_validity_days: Mapped[int]
    transport_rate_per_kg: Mapped[int] = mapped_column(BigInteger)
    staff_notification_email: Mapped[str | None] = mapped_column(String(254))
    # Messages sent when an order is ready (placeholders: see portal/requests/pickup.py).
    pickup_message: Mapped[str | None] = mapped_column(Text)
    delivery_message: Mapped[str | None] = mapped_column(Text)
    pickup_reminder_days: Mapped[int] = mapped_column(default=3)  # 0: no reminder
    # Approved WhatsApp templates: {message kind: Twilio Content SID}.
    whatsapp_templates: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @staticmethod
    def get() -> "AgencySettings":
        """The settings row; a fresh (unsaved) one with the defaults when none is stored."""
        found = AgencySettings.stored()
        return found if found is not None else AgencySettings(id=SETTINGS_ID,
                                                               **SETTINGS_DEFAULTS)

    @staticmethod
    def stored() -> "AgencySettings | None":
        """The stored row (None when there is none), read once per session: the session
        keeps it (its identity map alone holds rows weakly, so each call would read it again);
        a commit or rollback expires it as any row, so the next use reads it afresh."""
        return AgencySettings.keep(db.session.get(AgencySettings, SETTINGS_ID))

    @staticmethod
    def keep(found: "AgencySettings | None") -> "AgencySettings | None":
        """Hold the loaded row for the rest of the session (see `stored`)."""
        if found is not None:
            db.session.info["agency_settings"] = found
        return found

    @property
    def legal_identifiers(self) -> list[tuple[str, str]]:
        """(label, value) of each identifier given, in the order documents print them."""
        pairs = [("SIRET", self.siret), ("NINEA", self.ninea), ("RCCM", self.rccm),
                 ("TVA", self.vat_number)]
        return [(label, value) for label, value in pairs if value]


class PaymentMethod(db.Model):
    """A way to pay the agency (bank transfer, mobile money, cash), with what to tell members."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    instructions: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


def active_payment_methods() -> list[PaymentMethod]:
    query = select(PaymentMethod).where(PaymentMethod.is_active).order_by(
        PaymentMethod.position, PaymentMethod.name)
    return list(db.session.scalars(query))


def agency_today():
    """Today's date where the agency is (its time zone setting)."""
    return local_today(AgencySettings.get().timezone)
