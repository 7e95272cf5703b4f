"""Amounts are integers in the currency's minor unit (cents; XOF/XAF have none). Never floats."""
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision
from flask_babel import get_locale

# Currencies a member may see on a shop, and the agency's usual ones.
CURRENCIES = ["EUR", "USD", "GBP", "CNY", "AED", "TRY", "CAD", "CHF", "XOF", "XAF", "MGA",
              "MUR"]
SYMBOLS = {"XOF": "F CFA", "XAF": "F CFA"}


def exponent(currency: str) -> int:
    return get_currency_precision(currency)


def to_minor(value, currency: str) -> int:
    """Decimal("12.99"), "EUR" -> 1299. Raises ValueError on what is not an amount."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(value) from error
    if not amount.is_finite():
        raise ValueError(value)
    scaled = amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int | None, currency: str, locale: str | None = None) -> str:
    """1234550, "XOF" -> "1 234 550 F CFA"; 123450, "EUR" -> "1 234,50 €" (in French)."""
    if minor is None:
        return ""
    locale = locale or str(get_locale() or "fr")
    layout = _layout(currency, locale)
    return layout.write(minor) if layout else _babel_money(minor, currency, locale)


def _babel_money(minor: int, currency: str, locale: str) -> str:
    text = format_currency(to_major(minor, currency), currency, locale=locale)
    symbol = SYMBOLS.get(currency)
    if symbol:
        text = text.replace(currency, symbol).replace("FCFA", symbol)
    return text


@dataclass(frozen=True)
class _Layout:
    """How amounts of one currency are written in one language, read off Babel's answer once:
    Babel takes about 12 µs an amount, this about 1 µs, and pages show dozens of amounts."""
    digits: int
    group: str
    decimal: str
    around: tuple[str, str]  # (before, after) the number of a positive amount
    around_negative: tuple[str, str]

    def write(self, minor: int) -> str:
        whole, part = divmod(abs(minor), 10 ** self.digits)
        number = f"{whole:,}".replace(",", self.group)
        if self.digits:
            number += f"{self.decimal}{part:0{self.digits}d}"
        before, after = self.around_negative if minor < 0 else self.around
        return f"{before}{number}{after}"


_CHECKS = (0, 1, 7, 99, 100, 1234, 100_000, 123_456_789_012, -1, -123_456)


@lru_cache(maxsize=64)
def _layout(currency: str, locale: str) -> _Layout | None:
    """The layout of `currency` in `locale`, or None when it would not write exactly what
    Babel writes (an unusual grouping, digits in the symbol): Babel then formats every amount."""
    digits = exponent(currency)
    fraction = "98765"[:digits]
    if len(fraction) != digits:
        return None
    shape = re.compile(r"(\D*)1(\D+)234(?:\2)567" + (rf"(\D+){fraction}" if digits else "()")
                       + r"(\D*)")
    probe = int(f"1234567{fraction}")
    positive = shape.fullmatch(_babel_money(probe, currency, locale))
    negative = shape.fullmatch(_babel_money(-probe, currency, locale))
    if not positive or not negative:
        return None
    before, group, decimal, after = positive.groups()
    layout = _Layout(digits, group, decimal, (before, after),
                     (negative.group(1), negative.group(4)))
    if any(layout.write(minor) != _babel_money(minor, currency, locale) for minor in _CHECKS):
        return None
    return layout


_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{0,6})?")
# The largest amount a form accepts, in major units (a typo guard, far above any real order).
MAX_MAJOR = Decimal("1000000000")


def parse_amount(text: str, currency: str) -> int:
    """What a person typed ("1 234,50", "1234.5", "125 000") -> minor units of `currency`.

    Raises ValueError when it is not a positive amount with at most the currency's decimals.
    """
    cleaned = "".join(str(text or "").split()).replace("\u202f", "").replace(",", ".")
    if not _AMOUNT.fullmatch(cleaned):
        raise ValueError(text)
    amount = Decimal(cleaned)
    if amount > MAX_MAJOR or -amount.as_tuple().exponent > exponent(currency):
        raise ValueError(text)
    return int(amount.scaleb(exponent(currency)))


def amount_input(minor: int | None, currency: str) -> str:
    """Minor units as a person would type them back in a form ("1234,50"; "125000")."""
    if minor is None:
        return ""
    return str(to_major(minor, currency)).replace(".", ",")


_PERCENT = re.compile(r"[0-9]{1,3}([.,][0-9]{1,2})?")


def parse_percent(text: str) -> int:
    """ "10" -> 1000, "7,5" -> 750, "12.25 %" -> 1225 (basis points); ValueError past 100 %."""
    cleaned = "".join(str(text or "").split()).removesuffix("%")
    if not _PERCENT.fullmatch(cleaned):
        raise ValueError(text)
    basis_points = int(Decimal(cleaned.replace(",", ".")) * 100)
    if basis_points > 10_000:
        raise ValueError(text)
    return basis_points


def percent_input(basis_points: int | None) -> str:
    """1000 -> "10", 750 -> "7,5": basis points as a person would type them back."""
    if basis_points is None:
        return ""
    whole, rest = divmod(basis_points, 100)
    return f"{whole},{rest:02d}".rstrip("0").rstrip(",") if rest else str(whole)
