"""Users (members, staff, admins) and their address book."""
import enum
import secrets
from datetime import datetime

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.members import password_hashes


class Role(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"member": _l("Membre"), "staff": _l("Équipe"), "admin": _l("Administrateur")}[self.value]


class Channel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    EMAIL = "email"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'staff', 'admin')", name="role_known"),
        CheckConstraint("preferred_channel IN ('whatsapp', 'email')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    preferred_channel: Mapped[str] = mapped_column(String(10), default=Channel.EMAIL.value)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # Channels the member accepts notifications on (in-app ones always come).
    notify_email: Mapped[bool] = mapped_column(default=True)
    notify_whatsapp: Mapped[bool] = mapped_column(default=True)
    company_name: Mapped[str | None] = mapped_column(String(160))
    company_registration: Mapped[str | None] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(10), default=Role.MEMBER.value, index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Unread notifications, counted by the statement that loads the session's account
    # (portal/page_frame.py); None when the row was loaded otherwise or expired since.
    unread_notifications: Mapped[int | None] = query_expression()

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Address.id"
    )

    # --- Flask-Login: the stored id carries the session token, so changing it ends sessions.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def end_other_sessions(self) -> None:
        self.session_token = new_session_token()

    # --- Passwords.
    def set_password(self, password: str) -> None:
        self.password_hash = password_hashes.hash_password(password)
        self.end_other_sessions()

    def check_password(self, password: str) -> bool:
        """Whether `password` is theirs; a hash of an older kind is replaced by today's on
        success (their other sessions stay open: the password itself did not change)."""
        if not password_hashes.verify(self.password_hash, password):
            return False
        if password_hashes.needs_rehash(self.password_hash):
            self.password_hash = password_hashes.hash_password(password)
        return True

    # --- Roles and state.
    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def default_address(self) -> "Address | None":
        return next((a for a in self.addresses if a.is_default), None)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def country_name(code: str | None) -> str:
    """The country's name in the current language ("CI" -> "Côte d’Ivoire")."""
    if not code:
        return ""
    return Locale.parse(str(get_locale())).territories.get(code, code)


class Address(db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(20))
    instructions: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="addresses")

    def can_edit(self, user: User) -> bool:
        return user.is_authenticated and user.id == self.user_id

    def as_text(self) -> str:
        """The address as it would be written on a parcel, one line per part."""
        lines = [self.recipient, self.line1, self.line2,
                 " ".join(filter(None, [self.postal_code, self.city])),
                 country_name(self.country), self.phone, self.instructions]
        return "\n".join(line for line in lines if line)
