"""Documents of an order: proformas (numbered, versioned, frozen once issued), the quote a
staff member is editing, and final invoices with their credit notes."""
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


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    ISSUED = "issued"
    CORRECTED = "corrected"  # cancelled by a credit note; a new invoice replaces it


class Invoice(db.Model):
    """A final invoice (FAC-…) or a credit note (AV-…). Never edited nor deleted once issued:
    a correction is a credit note for the whole invoice, then a new invoice."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint("status IN ('issued', 'corrected')", name="status_known"),
        CheckConstraint("total = subtotal + fees_total", name="total_adds_up"),
        CheckConstraint("balance_due = total - paid_total", name="balance_adds_up"),
        CheckConstraint("kind = 'invoice' OR corrects_id IS NOT NULL",
                        name="credit_note_corrects"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(12), default=InvoiceKind.INVOICE.value)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=InvoiceStatus.ISSUED.value)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    fees_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    paid_total: Mapped[int] = mapped_column(BigInteger)
    balance_due: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[dict] = mapped_column(JSON)
    pdf_key: Mapped[str | None] = mapped_column(String(120))
    # NO ACTION (checked at the end of a statement), not RESTRICT: documents are never deleted
    # one by one, and a whole-table clean-up must be able to remove both sides at once.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    order = relationship("Order", back_populates="invoices")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE.value

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
