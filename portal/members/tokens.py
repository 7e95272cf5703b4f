"""Signed, expiring links (confirmation, reset, invitation, change of e-mail)."""
import hashlib

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from portal import clock


class _Signer(TimestampSigner):
    """Reads the time from portal.clock (the signer, not the serializer, stamps and checks)."""

    def get_timestamp(self) -> int:
        return clock.timestamp()


class _Serializer(URLSafeTimedSerializer):
    default_signer = _Signer


def _serializer(purpose: str) -> _Serializer:
    return _Serializer(current_app.config["SECRET_KEY"], salt=f"portal-{purpose}")


def make(purpose: str, **payload) -> str:
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, max_age_key: str) -> dict | None:
    """The payload of a valid, unexpired token, or None."""
    max_age = current_app.config[max_age_key]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, UnicodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def password_fingerprint(user) -> str:
    """Changes whenever the password does, so reset links die with the old password."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]
