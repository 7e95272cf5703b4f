"""What people do with their accounts. Every function flushes; the view commits once."""
import enum
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select

from portal.clock import utcnow
from portal.extensions import db, folded_like
from portal.forms import search_text
from portal.links import external_url
from portal.members import password_hashes, tokens
from portal.members.models import Address, Role, User
from portal.messaging.notifications import notify
from portal.messaging.outbox import queue_email


class LoginResult(enum.Enum):
    OK = "ok"
    REFUSED = "refused"
    UNCONFIRMED = "unconfirmed"


def normalize_email(address: str) -> str:
    return (address or "").strip().lower()


def find_by_email(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(address)))


# --- Sign-up and confirmation -------------------------------------------------------------

def register_member(email: str, password: str, **profile) -> User | None:
    """Create an unconfirmed member and send the confirmation link.

    When the address already has an account nothing is created: its owner is told by e-mail,
    and the caller shows the same page either way, so sign-up does not reveal who is a member.
    """
    existing = find_by_email(email)
    if existing:
        password_hashes.hash_password(password)  # same work as for a new account: timing reveals nothing
        queue_email("signup_existing", "signup_existing", user=existing,
                    login_url=external_url("members.login"),
                    reset_url=external_url("members.forgot_password"))
        return None
    user = User(email=normalize_email(email), role=Role.MEMBER.value, **profile)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = tokens.make("confirm", uid=user.id, email=user.email)
    queue_email("confirm", "confirm", user=user,
                confirm_url=external_url("members.confirm", token=token))


def resend_confirmation(email: str) -> None:
    """Send a new link when the account exists and waits for confirmation; silent otherwise."""
    user = find_by_email(email)
    if user and not user.is_confirmed and user.is_active:
        send_confirmation(user)


def confirm_account(token: str) -> User | None:
    payload = tokens.read("confirm", token, "CONFIRM_TOKEN_MAX_AGE")
    user = payload and db.session.get(User, payload.get("uid"))
    if not user or user.email != payload.get("email"):
        return None
    if not user.is_confirmed:
        user.confirmed_at = utcnow()
        notify(user, _l("Bienvenue ! Votre adresse e-mail est confirmée."))
        db.session.flush()
    return user


# --- Login --------------------------------------------------------------------------------

def authenticate(email: str, password: str) -> tuple[LoginResult, User | None]:
    """Check the credentials. Unknown address and wrong password give the same answer."""
    user = find_by_email(email)
    if user is None:
        password_hashes.spend_time_as_if_checking(password)
        return LoginResult.REFUSED, None
    if not user.check_password(password) or not user.is_active:
        return LoginResult.REFUSED, None
    if not user.is_confirmed:
        return LoginResult.UNCONFIRMED, user
    user.last_login_at = utcnow()
    db.session.flush()
    return LoginResult.OK, user


# --- Passwords ----------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Send a reset link when the account exists; silent otherwise."""
    user = find_by_email(email)
    if user and user.is_active:
        token = tokens.make("reset", uid=user.id, pw=tokens.password_fingerprint(user))
        queue_email("reset", "reset", user=user,
                    reset_url=external_url("members.reset_password", token=token))


def user_for_reset(token: str, purpose: str = "reset") -> User | None:
    max_age = "INVITE_TOKEN_MAX_AGE" if purpose == "invite" else "RESET_TOKEN_MAX_AGE"
    payload = tokens.read(purpose, token, max_age)
    user = payload and db.session.get(User, payload.get("uid"))
    if not user or payload.get("pw") != tokens.password_fingerprint(user):
        return None
    return user


def set_new_password(user: User, password: str) -> None:
    """Reset or first password: also confirms the address the link was sent to."""
    user.set_password(password)
    if not user.is_confirmed:
        user.confirmed_at = utcnow()
    notify(user, _l("Votre mot de passe a été modifié."))
    queue_email("password_changed", "password_changed", user=user,
                reset_url=external_url("members.forgot_password"))
    db.session.flush()


# --- Profile and e-mail -------------------------------------------------------------------

PROFILE_FIELDS = ("full_name", "phone", "preferred_channel", "locale",
                  "company_name", "company_registration")
# Set on the profile page only: a new account accepts both channels (the model's defaults).
NOTIFY_FIELDS = ("notify_email", "notify_whatsapp")


def update_profile(user: User, **values) -> None:
    for name in PROFILE_FIELDS + NOTIFY_FIELDS:
        if name in values:
            setattr(user, name, values[name])
    db.session.flush()


def request_email_change(user: User, new_email: str) -> None:
    """Send a confirmation link to the new address; the change happens when it is followed."""
    new_email = normalize_email(new_email)
    if find_by_email(new_email):
        queue_email("email_taken", "email_taken", recipient=new_email, locale=user.locale,
                    login_url=external_url("members.login"))
        return
    token = tokens.make("email", uid=user.id, old=user.email, new=new_email)
    queue_email("email_change", "email_change", user=user, recipient=new_email,
                new_email=new_email,
                confirm_url=external_url("members.confirm_email_change", token=token))


def confirm_email_change(token: str) -> User | None:
    payload = tokens.read("email", token, "CONFIRM_TOKEN_MAX_AGE")
    user = payload and db.session.get(User, payload.get("uid"))
    if not user or user.email != payload.get("old") or find_by_email(payload.get("new", "")):
        return None
    old_email = user.email
    user.email = payload["new"]
    user.confirmed_at = user.confirmed_at or utcnow()
    queue_email("email_changed", "email_changed", user=user, recipient=old_email,
                new_email=user.email)
    notify(user, _l("Votre adresse e-mail est maintenant %(email)s.", email=user.email))
    db.session.flush()
    return user


# --- Address book -------------------------------------------------------------------------

ADDRESS_FIELDS = ("label", "recipient", "line1", "line2", "postal_code", "city",
                  "country", "phone", "instructions")


def save_address(user: User, address: Address | None, make_default: bool, **values) -> Address:
    """Add a new address (address=None) or edit one of the user's own."""
    if address is None:
        address = Address(user=user)
        db.session.add(address)
    for name in ADDRESS_FIELDS:
        setattr(address, name, values.get(name) or None)
    if make_default or not any(a.is_default for a in user.addresses if a is not address):
        set_default_address(user, address)
    db.session.flush()
    return address


def set_default_address(user: User, address: Address) -> None:
    for other in user.addresses:
        other.is_default = other is address
    address.is_default = True
    db.session.flush()


def delete_address(user: User, address: Address) -> None:
    was_default = address.is_default
    user.addresses.remove(address)
    db.session.flush()
    if was_default and user.addresses:
        set_default_address(user, user.addresses[0])


# --- Staff accounts -----------------------------------------------------------------------

def create_staff(email: str, full_name: str, role: str, locale: str = "fr") -> User | None:
    """Create a staff or admin account and send it a link to choose a password.

    Returns None when the address is already used (the caller says so: only admins get here).
    """
    if find_by_email(email):
        return None
    user = User(email=normalize_email(email), full_name=full_name, role=role, locale=locale,
                password_hash=None)
    db.session.add(user)
    db.session.flush()
    token = tokens.make("invite", uid=user.id, pw=tokens.password_fingerprint(user))
    queue_email("staff_invite", "staff_invite", user=user,
                set_password_url=external_url("members.accept_invite", token=token))
    return user


def create_admin(email: str, full_name: str, password: str) -> User:
    """Command-line creation of a confirmed admin (or promotion of an existing account)."""
    user = find_by_email(email) or User(email=normalize_email(email), full_name=full_name)
    user.role = Role.ADMIN.value
    user.set_password(password)
    user.confirmed_at = user.confirmed_at or utcnow()
    db.session.add(user)
    db.session.flush()
    return user


_PHONE_SEPARATORS = re.compile(r"[\s.()/-]")


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def search_members(text: str, page: int, per_page: int = 25):
    """Accounts whose name, e-mail, phone or company contains `text` (accents and case
    aside), newest first."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    text = search_text(text, 100).lower()
    if text:
        pattern = _contains(text)
        wanted = literal(pattern)
        matches = (folded_like(User.full_name, wanted, "\\")
                   | folded_like(User.email, wanted, "\\")
                   | folded_like(User.company_name, wanted, "\\"))
        # Phones are stored in E.164: "+225 07 01 02" as shown on the page finds +2250701020304.
        digits = _PHONE_SEPARATORS.sub("", text)
        if digits:
            matches = matches | User.phone.like(_contains(digits), escape="\\")
        query = query.where(matches)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
