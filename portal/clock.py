"""The one source of "now" for the portal, so tests can move time forward.

Times are stored as naive UTC datetimes on every database.
"""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def timestamp() -> int:
    return int(utcnow().replace(tzinfo=timezone.utc).timestamp())
