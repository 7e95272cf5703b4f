"""Agency settings that staff edit and orders refer to: pickup points and terms versions."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
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
