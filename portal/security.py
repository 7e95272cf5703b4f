"""Response headers, safe redirects and role checks shared by every blueprint."""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# A stored file shown on its own (a proof, an arrival photo, a WhatsApp picture) is not one of
# the portal's pages: it runs nothing and loads nothing but itself (a PDF through the browser's
# viewer, object-src), and the browser's own image viewer may style itself (centred, zoom on
# tap), which the pages' 'style-src self' refused. Only the staff review page frames a file.
_FILE_POLICY = ["default-src 'none'", "img-src 'self'", "object-src 'self'",
                "style-src 'unsafe-inline'", "base-uri 'none'", "form-action 'none'"]
FILE_SECURITY_POLICY = "; ".join([*_FILE_POLICY, "frame-ancestors 'none'"])
FRAMED_FILE_SECURITY_POLICY = "; ".join([*_FILE_POLICY, "frame-ancestors 'self'"])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


# Ids are 32-bit integers in the database: a larger number in a URL can only be "not found"
# (querying with it would fail on SQLite and PostgreSQL).
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000


class IdConverter(IntegerConverter):
    """The `int` of every route: numbers above MAX_ID do not match, so they are a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def page_number() -> int:
    """The ?page= of a list, kept in bounds (a huge number would make the query fail)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, otherwise `fallback` (no open redirects)."""
    if not target or not isinstance(target, str):
        return fallback
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(ord(char) < 32 for char in target):
        return fallback
    return target


def role_required(check):
    """Decorator: logged in (else sent to login and back), then `check(user)` or 403."""
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


staff_required = role_required(lambda user: user.is_staff)
admin_required = role_required(lambda user: user.is_admin)
