"""Gap-free numbers per series and year (DEM-2026-00042, and later proforma and invoices).

The counter row is incremented with `UPDATE … SET value = value + 1 … RETURNING value` inside the
caller's transaction: the row stays locked until that transaction ends, so two requests never get
the same number, and a rollback gives the number back (no gap).
"""
from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class Counter(db.Model):
    __tablename__ = "counters"

    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_value(series: str, year: int) -> int:
    statement = (update(Counter).where(Counter.series == series, Counter.year == year)
                 .values(value=Counter.value + 1).returning(Counter.value))
    value = db.session.scalar(statement)
    if value is None:
        _create(series, year)
        value = db.session.scalar(statement)
    return value


def _create(series: str, year: int) -> None:
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Counter).values(series=series, year=year, value=0))
    except IntegrityError:
        pass  # another transaction created it first; the UPDATE now waits for its lock


def next_reference(series: str, width: int = 5) -> str:
    year = utcnow().year
    return f"{series}-{year}-{next_value(series, year):0{width}d}"


def current_value(series: str, year: int) -> int:
    return db.session.scalar(select(Counter.value).where(
        Counter.series == series, Counter.year == year)) or 0
