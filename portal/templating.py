"""Filters and globals that templates share (dates, countries, links)."""
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from flask.globals import _cv_request
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


def kept_url_for(app):
    """Templates' `url_for` for `app`: Flask's answer, kept for the next request that asks
    the same.

    A page builds 20 to 40 links (menu, footer, forms, its orders), each a walk through
    werkzeug's rules; most are the same from one request to the next. A link's path depends
    only on the app's rules (fixed once it is made), the prefix it is served under, the
    endpoint and its values, so links whose values are all text or whole numbers are kept
    (at most 4 096 per app and process, least recently used dropped first). Anything else is
    built each time: links relative to the current blueprint (".x"), Flask's options
    (`_external`, `_anchor`…), other values (lists, objects, booleans: True and 1 are equal
    keys but give "True" and "1"). About 4 % of an order page's instructions."""
    @lru_cache(maxsize=4096)
    def kept(_script_name: str, endpoint: str, values: tuple) -> str:
        return app.url_for(endpoint, **dict(values))

    def url_for(endpoint: str, **values) -> str:
        request_context = _cv_request.get(None)
        adapter = request_context.url_adapter if request_context else None
        if adapter is None or endpoint[:1] == "." or not all(
                type(value) in (str, int) and name[:1] != "_" for name, value in values.items()):
            return app.url_for(endpoint, **values)
        return kept(adapter.script_name, endpoint, tuple(values.items()))

    url_for.kept = kept  # (its cache_info() for the tests)
    return url_for


def register(app) -> None:
    app.add_template_global(kept_url_for(app), name="url_for")
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
