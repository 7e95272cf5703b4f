"""Counts kept by the database as rows change (migration 0007: triggers on `orders` and
`users`), so that the staff home reads a few rows instead of counting whole tables.

Names: `orders:<status>` for each status, `members` and `members:unconfirmed`. A name
without a row counts zero (nothing of that kind was ever written).
"""
from sqlalchemy import BigInteger, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

MEMBERS = "members"
UNCONFIRMED_MEMBERS = "members:unconfirmed"


class Tally(db.Model):
    __tablename__ = "tallies"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def orders_in(status: str) -> str:
    """The tally name of the orders in `status`."""
    return f"orders:{status}"


def value_of(name: str):
    """A column expression of the value of `name` (0 without a row), to read tallies in a
    query that fetches other things too."""
    return func.coalesce(select(Tally.value).where(Tally.name == name).scalar_subquery(), 0)


def sum_of(names: list[str]):
    """A column expression of the sum of the tallies `names` (names without a row count 0)."""
    return func.coalesce(select(func.sum(Tally.value)).where(Tally.name.in_(names))
                         .scalar_subquery(), 0)
