"""Outbox rows (every e-mail and WhatsApp message before it leaves), in-app notifications, and
the order threads: what people wrote about an order, on any channel."""
import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"
        ),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Stored files sent along: [{"key": storage key, "filename": ..., "content_type": ...}].
    attachments: Mapped[list | None] = mapped_column(JSON)
    # WhatsApp: an approved template (outside the 24-hour window) instead of free text.
    content_sid: Mapped[str | None] = mapped_column(String(40))
    content_variables: Mapped[dict | None] = mapped_column(JSON)
    # WhatsApp: the e-mail sent instead when the message cannot be delivered
    # ({"recipient", "subject", "text", "html"}), and the row it became.
    fallback: Mapped[dict | None] = mapped_column(JSON)
    fallback_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    fallback_reason: Mapped[str | None] = mapped_column(String(40))
    # What the provider says of the message after it left (Twilio's SID and status).
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    delivery_error: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user = relationship("User")
    fallback_row = relationship("OutboxMessage", remote_side=[id])


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user = relationship("User")


class OrderMessageKind(enum.StrEnum):
    NOTE = "note"                      # staff only: never shown to the member
    CHANGE_REQUEST = "change_request"  # the member asks for a change of the proforma
    MESSAGE = "message"                # member and staff writing to each other


class ThreadChannel(enum.StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class OrderMessage(db.Model):
    """What people wrote about an order: staff notes, change requests, messages.

    A WhatsApp message from a number the portal cannot tie to an active order has no order yet:
    it waits in the staff's unassigned inbox until someone files it.
    """

    __tablename__ = "order_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('note', 'change_request', 'message')", name="kind_known"),
        CheckConstraint("channel IN ('portal', 'email', 'whatsapp')", name="channel_known"),
        Index("ix_order_messages_unread", "from_member", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10), default=ThreadChannel.PORTAL.value)
    from_member: Mapped[bool] = mapped_column(default=False)
    # Read by the other side (staff for the member's messages, the member for staff's).
    read_at: Mapped[datetime | None]
    # How a staff message left (e-mail or WhatsApp outbox row).
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    # A WhatsApp message received: Twilio's MessageSid, the sender and the media listed.
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    sender: Mapped[str | None] = mapped_column(String(40))
    # [{"url", "content_type", "key" once fetched, "proof_id" once attached}]
    media: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order = relationship("Order", back_populates="messages")
    author = relationship("User")
    outbox = relationship("OutboxMessage")

    @property
    def is_internal(self) -> bool:
        return self.kind == OrderMessageKind.NOTE.value
