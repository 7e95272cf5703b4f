"""portal/date_format.py writes dates and times as Flask-Babel's short format does, in the
agency's time zone, through a layout read once per language."""
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from babel.dates import format_timedelta
from flask_babel import force_locale, format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import date_format
from portal.date_format import datetime_short
from tests.proforma.conftest import set_agency

ZONES = ["UTC", "Africa/Abidjan", "Indian/Reunion", "Europe/Paris", "America/New_York"]
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))


@pytest.mark.parametrize("locale", ["fr", "en", "fr_CI", "en_GB"])
def test_the_portal_s_languages_take_the_quick_way(locale):
    assert date_format._short_layout(locale) is not None


@pytest.mark.parametrize("zone", ZONES)
def test_any_moment_reads_as_flask_babel_writes_it(app, zone):
    with app.app_context():
        set_agency(timezone=zone)

    @settings(max_examples=60, deadline=None)
    @given(MOMENTS, st.sampled_from(["fr", "en"]))
    def same(moment, locale):
        with app.test_request_context("/"), force_locale(locale):
            assert datetime_short(moment) == format_datetime(moment, "short")

    same()


def test_summer_time_and_aware_moments(app):
    with app.app_context():
        set_agency(timezone="Europe/Paris")
    with app.test_request_context("/"):
        assert datetime_short(datetime(2026, 7, 1, 10, 0)) == "01/07/2026 12:00"  # UTC+2
        assert datetime_short(datetime(2026, 12, 1, 10, 0)) == "01/12/2026 11:00"  # UTC+1
        aware = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
        assert datetime_short(aware) == "01/12/2026 16:00"
        with force_locale("en"):
            assert datetime_short(datetime(2026, 12, 1, 23, 5, tzinfo=UTC)) == \
                "12/2/26, 12:05\u202fAM"


def test_a_language_with_other_fields_is_left_to_babel(app):
    assert date_format._short_layout("zh_Hant") is None  # "B": a day period, not AM/PM
    with app.test_request_context("/"), force_locale("zh_Hant"):
        moment = datetime(2026, 3, 4, 15, 30)
        assert datetime_short(moment) == format_datetime(moment, "short")


def test_a_day_without_a_time_reads_as_babel_writes_it(app):
    with app.test_request_context("/"):
        assert datetime_short(date(2026, 3, 4)) == format_datetime(date(2026, 3, 4), "short")


def test_no_moment_is_no_text(app):
    with app.test_request_context("/"):
        assert datetime_short(None) == ""


# --- Durations --------------------------------------------------------------------------------

DELTAS = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3 * 365)),
    st.integers(min_value=0, max_value=10**8).map(lambda seconds: timedelta(seconds=seconds)),
    # near the edges where Babel moves to the next unit (0.85 of it) or rounds up
    st.sampled_from([0, 1, 50, 51, 59, 60, 89, 90, 3059, 3060, 3599, 73439, 73440, 86399,
                     514079, 514080, 2203199, 2203200, 26805599, 26805600]).map(
        lambda seconds: timedelta(seconds=seconds)))


@settings(max_examples=400, deadline=None)
@given(DELTAS, st.sampled_from(["fr", "en", "fr_CI", "en_GB"]),
       st.sampled_from(["long", "short", "narrow"]))
def test_a_duration_reads_as_babel_writes_it(app, delta, locale, form):
    with app.test_request_context("/"), force_locale(locale):
        assert date_format.duration(delta, format=form) == format_timedelta(
            delta, format=form, threshold=.85, locale=locale)


@pytest.mark.parametrize("delta, form, words", [
    (timedelta(days=2, hours=3), "long", "2 jours"),
    (timedelta(hours=5, minutes=10), "short", "5 h"),
    (timedelta(days=6), "long", "1 semaine"),  # 0.86 of a week
    (timedelta(days=5, hours=12), "long", "6 jours"),  # 0.79 of a week: days, rounded
    (timedelta(0), "long", "0 seconde"),
])
def test_a_duration_in_french_words(app, delta, form, words):
    with app.test_request_context("/"), force_locale("fr"):
        assert re.sub(r"\s", " ", date_format.duration(delta, format=form)) == words
