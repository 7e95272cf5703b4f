"""Proformas (numbered, versioned, frozen once issued) and the quote a staff member is editing."""
import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db


class ProformaStatus(enum.StrEnum):
    ISSUED = "issued"
    SUPERSEDED = "superseded"


class Proforma(db.Model):
    """One version of a quote, frozen when issued: `content` is the snapshot documents show
    (lines, fees, totals, customer and company identity, payment methods); amounts are minor
    units of `currency`. A revision is a new row with the same number and the next version."""

    __tablename__ = "proformas"
    __table_args__ = (
        UniqueConstraint("number", "version", name="uq_proformas_number_version"),
        CheckConstraint("status IN ('issued', 'superseded')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("total = subtotal + fees_total", name="total_adds_up"),
        CheckConstraint("deposit_due + balance_due = total", name="deposit_and_balance"),
        CheckConstraint("subtotal >= 0 AND fees_total >= 0 AND deposit_due >= 0 "
                        "AND balance_due >= 0", name="amounts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"),
                                          index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default=ProformaStatus.ISSUED.value)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    fees_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    deposit_due: Mapped[int] = mapped_column(BigInteger)
    balance_due: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[date]
    content: Mapped[dict] = mapped_column(JSON)
    pdf_key: Mapped[str | None] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    order = relationship("Order", back_populates="proformas")
    issued_by = relationship("User")

    @property
    def is_superseded(self) -> bool:
        return self.status == ProformaStatus.SUPERSEDED.value

    def is_expired(self, today: date) -> bool:
        return today > self.valid_until

    @property
    def label(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.number}-v{self.version}.pdf"


class QuoteDraft(db.Model):
    """What a staff member typed in the quote editor and saved without issuing (form fields)."""

    __tablename__ = "quote_drafts"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    fields: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
