"""A quote always adds up, in integers: line totals, fees, total, deposit and balance — for a
currency without decimals (XOF) as for one with two (EUR)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.money import format_money, parse_amount
from portal.proforma.totals import FULL, Deposit, Fee, Line, Quote, percent_of, service_fee

AMOUNT = st.integers(min_value=0, max_value=10**11)  # up to a billion in major units
lines = st.lists(st.builds(
    Line, name=st.just("Article"), url=st.just("https://shop.example.com/a"),
    quantity=st.integers(1, 99), unit_price=st.integers(1, 10**9),
    unavailable_reason=st.one_of(st.none(), st.just("Rupture de stock"))), max_size=50)
fees = st.lists(st.builds(Fee, kind=st.sampled_from(["service", "shipping", "other"]),
                          label=st.just("Frais"), amount=AMOUNT), max_size=5)
deposits = st.one_of(st.builds(Deposit, mode=st.just("percent"), value=st.integers(0, FULL)),
                     st.builds(Deposit, mode=st.just("amount"), value=AMOUNT))


@settings(max_examples=300, deadline=None)
@given(lines=lines, fees=fees, deposit=deposits)
def test_every_sum_adds_up_in_minor_units(lines, fees, deposit):
    quote = Quote(lines, fees, deposit)
    totals = quote.totals()
    assert all(isinstance(value, int) for value in vars(totals).values())
    assert totals.subtotal == sum(line.unit_price * line.quantity for line in quote.available_lines)
    assert sum(line.total for line in quote.unavailable_lines) == 0
    assert totals.fees_total == sum(fee.amount for fee in fees)
    assert totals.total == totals.subtotal + totals.fees_total
    assert totals.deposit + totals.balance == totals.total
    assert 0 <= totals.deposit <= totals.total


@settings(max_examples=300, deadline=None)
@given(total=AMOUNT, rate=st.integers(0, FULL))
def test_a_percentage_is_rounded_half_up_to_the_minor_unit(total, rate):
    exact = total * rate / FULL
    assert abs(percent_of(total, rate) - exact) <= 0.5
    assert percent_of(total, FULL) == total and percent_of(total, 0) == 0


@settings(max_examples=200, deadline=None)
@given(subtotal=AMOUNT, rate=st.integers(0, FULL), minimum=AMOUNT)
def test_the_service_fee_never_falls_below_its_minimum(subtotal, rate, minimum):
    fee = service_fee(subtotal, rate, minimum)
    assert fee >= minimum and fee >= percent_of(subtotal, rate)


@pytest.mark.parametrize("currency", ["XOF", "EUR"])
@settings(max_examples=200, deadline=None)
@given(minor=st.integers(0, 10**9))
def test_typed_amounts_come_back_to_the_same_minor_units(currency, minor):
    """What the portal shows, typed back by a person, is the same integer (up to the largest
    amount a form accepts)."""
    shown = format_money(minor, currency, "fr_FR")
    number = shown.replace("€", "").replace("F\u202fCFA", "").replace("F CFA", "")
    assert parse_amount(number, currency) == minor


def test_zero_decimal_and_two_decimal_currencies_read_as_people_write_them():
    assert parse_amount("125 000", "XOF") == 125000
    assert parse_amount("1 234,50", "EUR") == 123450
    for bad, currency in [("125,5", "XOF"), ("1,234", "EUR"), ("-3", "EUR"), ("1e3", "EUR")]:
        with pytest.raises(ValueError):
            parse_amount(bad, currency)
