"""The one source of "now" for the portal, so tests can move time forward and the demo can
tell its story over past weeks (`moved_to`).

Times are stored as naive UTC datetimes on every database.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_shift = timedelta(0)  # set only by moved_to (the demo, a single-threaded command)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _shift


@contextmanager
def moved_to(when: datetime) -> Iterator[None]:
    """Run the code inside as if it were `when` (naive UTC); the real time comes back after."""
    global _shift
    previous = _shift
    _shift = when - datetime.now(UTC).replace(tzinfo=None)
    try:
        yield
    finally:
        _shift = previous


def timestamp() -> int:
    return int(utcnow().replace(tzinfo=UTC).timestamp())


def local_today(timezone: str) -> date:
    """Today's date where the agency is (an unknown zone counts as UTC)."""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        zone = UTC
    return utcnow().replace(tzinfo=UTC).astimezone(zone).date()
