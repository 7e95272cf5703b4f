"""Payment proofs (deposit and balance) with the staff decision on each, refunds, and the
photos staff take of the goods on arrival."""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, exists, or_
from sqlalchemy.orm import (
    Mapped,
    aliased,
    mapped_column,
    query_expression,
    relationship,
    with_expression,
)

from portal.clock import utcnow
from portal.extensions import db


class ProofKind(enum.StrEnum):
    DEPOSIT = "deposit"
    BALANCE = "balance"

    @property
    def label(self) -> str:
        return _l("Acompte") if self is ProofKind.DEPOSIT else _l("Solde")


class ProofStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": _l("En attente de vérification"), "accepted": _l("Acceptée"),
                "refused": _l("Refusée")}[self.value]


# Why staff refuse a proof; the code is stored, the label shown.
REFUSAL_REASONS = {
    "unreadable": _l("Preuve illisible"),
    "amount_mismatch": _l("Le montant ne correspond pas"),
    "payment_not_found": _l("Paiement introuvable sur notre compte"),
    "other": _l("Autre raison"),
}


class PaymentProof(db.Model):
    """What a member sent to prove a payment, and what staff decided about it."""

    __tablename__ = "payment_proofs"
    __table_args__ = (
        CheckConstraint("kind IN ('deposit', 'balance')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'accepted', 'refused')", name="status_known"),
        CheckConstraint("declared_amount > 0", name="declared_positive"),
        CheckConstraint("status <> 'accepted' OR received_amount IS NOT NULL",
                        name="accepted_has_amount"),
        CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL",
                        name="refused_has_reason"),
        CheckConstraint("received_amount IS NULL OR received_amount > 0",
                        name="received_positive"),
        Index("ix_payment_proofs_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=ProofStatus.PENDING.value)
    file_key: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    declared_amount: Mapped[int] = mapped_column(BigInteger)
    method_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="SET NULL"))
    method_name: Mapped[str] = mapped_column(String(120))
    paid_on: Mapped[date]
    transaction_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    received_amount: Mapped[int | None] = mapped_column(BigInteger)
    refusal_reason: Mapped[str | None] = mapped_column(String(30))
    refusal_comment: Mapped[str | None] = mapped_column(Text)
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    receipt_key: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1)
    # Filled only by queries that ask for it (`with_twin_flag()`): whether another proof has
    # the same file or transaction reference. None otherwise.
    has_twin: Mapped[bool | None] = query_expression()

    order = relationship("Order", back_populates="proofs")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_pending(self) -> bool:
        return self.status == ProofStatus.PENDING.value

    @property
    def status_label(self) -> str:
        return ProofStatus(self.status).label

    @property
    def kind_label(self) -> str:
        return ProofKind(self.kind).label

    @property
    def refusal_label(self) -> str:
        return REFUSAL_REASONS.get(self.refusal_reason or "", "")


def same_payment(proofs, sha256, transaction_ref):
    """The condition that `proofs` (PaymentProof or an alias) have the file `sha256` or the
    transaction reference `transaction_ref`, each a column or a bound value (NULL matches
    nothing): the same payment sent twice, a flag for staff."""
    return or_(proofs.sha256 == sha256, proofs.transaction_ref == transaction_ref)


def with_twin_flag():
    """The loader option that has the database tell whether each proof loaded has a twin
    (`has_twin`), in the query that loads it: one index probe per column, no other query."""
    other = aliased(PaymentProof)
    return with_expression(PaymentProof.has_twin, exists().where(
        other.id != PaymentProof.id,
        same_payment(other, PaymentProof.sha256, PaymentProof.transaction_ref)))


class Refund(db.Model):
    """Money given back to a member (an order cancelled after a payment was received)."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"),
                                          index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(120))
    refunded_on: Mapped[date]
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    order = relationship("Order", back_populates="refunds")


class ArrivalPhoto(db.Model):
    """A photo of the goods taken by staff when they arrive; the member sees it."""

    __tablename__ = "arrival_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True)
    file_key: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    order = relationship("Order", back_populates="arrival_photos")
