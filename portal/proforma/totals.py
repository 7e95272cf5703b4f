"""The arithmetic of a quote, in integers (minor units of the currency), never floats.

One place for every sum a proforma shows: line totals, fees, total, deposit and balance.
Percentages are basis points (10 000 = 100 %); rounding is half up, to the minor unit.
"""
from dataclasses import dataclass, field

FULL = 10_000  # 100 % in basis points


def percent_of(amount: int, basis_points: int) -> int:
    """`basis_points` of `amount`, rounded half up to the minor unit (integers only)."""
    return (amount * basis_points + FULL // 2) // FULL


def service_fee(subtotal: int, rate_bp: int, minimum: int) -> int:
    """The default service fee: a percentage of the items, never below the minimum."""
    return max(percent_of(subtotal, rate_bp), minimum)


@dataclass(frozen=True)
class Line:
    name: str
    url: str
    quantity: int
    unit_price: int | None = None        # minor units; None when unavailable
    unavailable_reason: str | None = None
    details: str | None = None
    item_id: int | None = None

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None and self.unit_price is not None

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity if self.available else 0


@dataclass(frozen=True)
class Fee:
    kind: str  # "service", "shipping" or "other"
    label: str
    amount: int


@dataclass(frozen=True)
class Totals:
    subtotal: int
    fees_total: int
    total: int
    deposit: int
    balance: int


@dataclass(frozen=True)
class Deposit:
    """Either a percentage of the total (basis points) or a fixed amount (minor units)."""

    mode: str  # "percent" or "amount"
    value: int

    def of(self, total: int) -> int:
        due = percent_of(total, self.value) if self.mode == "percent" else self.value
        return min(max(due, 0), total)


@dataclass(frozen=True)
class Quote:
    lines: list[Line]
    fees: list[Fee] = field(default_factory=list)
    deposit: Deposit = Deposit("percent", FULL // 2)

    @property
    def available_lines(self) -> list[Line]:
        return [line for line in self.lines if line.available]

    @property
    def unavailable_lines(self) -> list[Line]:
        return [line for line in self.lines if not line.available]

    def totals(self) -> Totals:
        subtotal = sum(line.total for line in self.lines)
        fees_total = sum(fee.amount for fee in self.fees)
        total = subtotal + fees_total
        deposit = self.deposit.of(total)
        return Totals(subtotal, fees_total, total, deposit, total - deposit)
