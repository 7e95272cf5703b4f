"""portal/money.py writes amounts as Babel does, through a layout read once per currency and
language: every currency of the portal, both languages, any amount, negative ones included."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import money
from portal.money import CURRENCIES, format_money

LOCALES = ["fr", "en", "fr_FR", "fr_CI", "en_GB"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_the_portal_s_currencies_take_the_quick_way(currency, locale):
    assert money._layout(currency, locale) is not None


@given(st.sampled_from(CURRENCIES + ["JPY", "KWD", "CLF"]), st.sampled_from(LOCALES + ["de"]),
       st.integers(min_value=-10**15, max_value=10**15))
def test_any_amount_reads_as_babel_writes_it(currency, locale, minor):
    assert format_money(minor, currency, locale) == money._babel_money(minor, currency, locale)


@pytest.mark.parametrize(("minor", "currency", "locale", "shown"), [
    (123450, "EUR", "fr", "1\u202f234,50\u00a0€"),
    (-5, "EUR", "fr", "-0,05\u00a0€"),
    (12345600, "XOF", "fr", "12\u202f345\u202f600\u00a0F\u202fCFA"),
    (2500000, "XAF", "fr", "2\u202f500\u202f000\u00a0F CFA"),
    (123450, "EUR", "en", "€1,234.50"),
    (0, "USD", "en", "$0.00"),
])
def test_amounts_as_members_read_them(minor, currency, locale, shown):
    assert format_money(minor, currency, locale) == shown


def test_a_language_grouping_digits_otherwise_is_left_to_babel():
    # Indian English groups by two after the thousands: 12,34,567.89
    assert money._layout("EUR", "en_IN") is None
    assert format_money(123456789, "EUR", "en_IN") == "€12,34,567.89"


def test_nothing_is_written_for_no_amount():
    assert format_money(None, "EUR", "fr") == ""
