"""The one source of "now" for the portal, so tests can move time forward.

Times are stored as naive UTC datetimes on every database.
"""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def timestamp() -> int:
    return int(utcnow().replace(tzinfo=UTC).timestamp())


def local_today(timezone: str) -> date:
    """Today's date where the agency is (an unknown zone counts as UTC)."""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        zone = UTC
    return utcnow().replace(tzinfo=UTC).astimezone(zone).date()
