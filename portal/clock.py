"""The one source of "now" for the portal, so tests can move time forward.

Times are stored as naive UTC datetimes on every database.
"""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def timestamp() -> int:
    return int(utcnow().replace(tzinfo=UTC).timestamp())
