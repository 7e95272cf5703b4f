"""Filters and globals that templates share (dates, countries)."""
from decimal import Decimal

import phonenumbers
from flask_babel import format_date, format_decimal, get_locale

from portal.date_format import datetime_short
from portal.links import short_url
from portal.members.models import Role, country_name
from portal.messaging import delivery
from portal.money import format_money
from portal.workflow import Status


def date_long(value) -> str:
    return format_date(value, "long") if value else ""


def percent_bp(basis_points: int) -> str:
    """Basis points as a percentage for reading: 750 -> "7,5" (French)."""
    return format_decimal(Decimal(basis_points) / 100, format="#,##0.##")


def phone_display(number: str | None) -> str:
    """+2250701020304 -> +225 07 01 02 03 04 (as stored when it cannot be parsed)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def role_label(role: str) -> str:
    return Role(role).label


def money(minor: int | None, currency: str) -> str:
    return format_money(minor, currency, str(get_locale()))


def register(app) -> None:
    app.add_template_filter(datetime_short)
    app.add_template_filter(date_long)
    app.add_template_filter(percent_bp)
    app.add_template_filter(short_url)
    app.add_template_global(zip)
    app.add_template_filter(phone_display, name="phone")
    app.add_template_global(country_name)
    app.add_template_global(role_label)
    app.add_template_global(money)
    app.add_template_global(Status)
    # `statuses[order.status]`: calling `Status(value)` from a template cost about 4 µs a row
    # (Jinja asks the class for `jinja_pass_arg`, and Python 3.11's Enum answers a missing
    # attribute slowly), a lookup in this table a tenth of that.
    app.add_template_global({status.value: status for status in Status}, name="statuses")
    app.add_template_global(delivery.state, name="delivery_state")


def compile_all(app) -> int:
    """Compile every template into the app's template cache now; how many there are. The
    gunicorn master does it before forking (deploy/gunicorn.conf.py), so its workers inherit
    them compiled instead of each compiling those it uses, again after every replacement."""
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
