"""Dates and times as "04/03/2026 15:30", the way Babel writes its short format, about ten times
more quickly: a list of 25 orders shows 25 of them, each about 11 µs through Babel.

The short pattern of each language ("dd/MM/y HH:mm" in French) is read from Babel once, and
kept only when every field in it is one written here and the result matches Babel's for
sample dates; otherwise Babel formats every date of that language.

Durations ("3 jours", "2 h") take Babel's own words, remembered for each unit and number: the
unit and the rounded number are chosen as `babel.dates.format_timedelta` chooses them.
"""
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from babel import dates
from flask_babel import format_datetime, get_locale, get_timezone

_FIELDS = {
    "d": lambda t: str(t.day), "dd": lambda t: f"{t.day:02d}",
    "M": lambda t: str(t.month), "MM": lambda t: f"{t.month:02d}",
    "y": lambda t: str(t.year), "yy": lambda t: f"{t.year % 100:02d}",
    "yyyy": lambda t: f"{t.year:04d}",
    "H": lambda t: str(t.hour), "HH": lambda t: f"{t.hour:02d}",
    "h": lambda t: str(t.hour % 12 or 12), "hh": lambda t: f"{t.hour % 12 or 12:02d}",
    "m": lambda t: str(t.minute), "mm": lambda t: f"{t.minute:02d}",
}
_FIELD = re.compile(r"%\((\w+)\)s")
_CHECKS = [datetime(2026, 1, 2, 0, 5, tzinfo=UTC), datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
           datetime(2031, 7, 9, 23, 59, tzinfo=UTC), datetime(2009, 10, 10, 9, 41, tzinfo=UTC)]


@dataclass(frozen=True)
class _Layout:
    template: str  # Babel's %-style format: "%(dd)s/%(MM)s/%(y)s %(HH)s:%(mm)s"
    fields: tuple[str, ...]
    periods: tuple[str, str]  # ("AM", "PM"): the "a" field, before and after noon

    def write(self, moment: datetime) -> str:
        values = {name: _FIELDS[name](moment) for name in self.fields if name != "a"}
        if "a" in self.fields:
            values["a"] = self.periods[moment.hour >= 12]
        return self.template % values


@lru_cache(maxsize=16)
def _short_layout(locale: str) -> _Layout | None:
    date = dates.get_date_format("short", locale).format
    time = dates.get_time_format("short", locale).format
    template = (dates.get_datetime_format("short", locale).replace("'", "")
                .replace("{0}", time).replace("{1}", date))
    fields = tuple(dict.fromkeys(_FIELD.findall(template)))
    if any(field not in _FIELDS and field != "a" for field in fields):
        return None
    names = dates.get_period_names("abbreviated", "format", locale)
    layout = _Layout(template, fields, (names["am"], names["pm"]))
    if any(layout.write(moment) != dates.format_datetime(moment, "short", tzinfo=UTC,
                                                         locale=locale)
           for moment in _CHECKS):
        return None
    return layout


def datetime_short(value: datetime | None) -> str:
    """`value` (naive UTC, or aware) in the agency's time zone, in the language's short format."""
    if not value:
        return ""
    layout = _short_layout(str(get_locale() or "fr"))
    if layout is None or not isinstance(value, datetime):  # a date: Babel's midnight
        return format_datetime(value, "short")
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return layout.write(aware.astimezone(get_timezone() or UTC))


def duration(delta: timedelta, format: str = "long", threshold: float = .85) -> str:
    """`delta` in words, as Babel's `format_timedelta` (no direction, down to the second) writes
    it in the current language: "3 jours", "5 heures" ("2 h" in the short format)."""
    seconds = abs(delta.days * 86400 + delta.seconds)
    for unit, per_unit in dates.TIMEDELTA_UNITS:
        value = seconds / per_unit
        if value >= threshold or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return _duration_words(str(get_locale() or "fr"), format, unit, int(round(value)))
    return ""  # not reached: the last unit, the second, always answers


@lru_cache(maxsize=2048)
def _duration_words(locale: str, format: str, unit: str, value: int) -> str:
    """Babel's words for `value` `unit`s: the duration asked with that unit as the smallest and
    no threshold to pass, so Babel writes exactly that unit and number."""
    per_unit = dict(dates.TIMEDELTA_UNITS)[unit]
    return dates.format_timedelta(timedelta(seconds=value * per_unit), threshold=float("inf"),
                                  granularity=unit, format=format, locale=locale)
