"""Small helpers shared by the account tests: read a page as a person does, move time."""
import html
from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.members.models import User
from tests.conftest import CSRF_INPUT


def text_of(response) -> str:
    """The page as a reader sees it (HTML entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def without_csrf(page: str) -> str:
    """The page with its CSRF token values blanked (they differ on every page)."""
    return CSRF_INPUT.sub('name="csrf_token" value=""', page)


def move_clock(monkeypatch, **delta) -> None:
    """From now on the portal believes it is `delta` later (tokens read portal.clock)."""
    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(**delta))


def user_by_email(app, email: str) -> User | None:
    """The stored account for `email`, detached, or None."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user
