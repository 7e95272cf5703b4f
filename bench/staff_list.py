"""The staff order list's statement for the filters staff use, on the benchmark's agency: the
median time of one page (rows and total), database included, in-process.

    python bench/staff_list.py [--database-url URL] [--runs 40]

Run it after bench/agency.py (the load run's database). The page is the list's first page,
except where the line says otherwise; the search words are the load run's.
"""
import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_url, make_app, print_machine  # noqa: E402

CASES = [
    ("every order, newest first", {}, 1),
    ("every order, page 40", {}, 40),
    ("every order, longest wait", {"sort": "attente"}, 1),
    ("completed", {"status": "completed"}, 1),
    ("in transit (queue)", {"status": "en-transit"}, 1),
    ("arrived, longest wait", {"status": "arrived", "sort": "attente"}, 1),
    ("search 'diallo', in transit", {"status": "en-transit", "text": "diallo"}, 1),
    ("search 'sylla', every order", {"text": "sylla"}, 1),
    ("one week", {"submitted_from": date(2026, 11, 1), "submitted_to": date(2026, 11, 8)}, 1),
    ("one year", {"submitted_from": date(2026, 1, 1), "submitted_to": date(2026, 12, 31)}, 1),
    ("one year, longest wait", {"submitted_from": date(2026, 1, 1),
                                "submitted_to": date(2026, 12, 31), "sort": "attente"}, 1),
    ("one year + search 'camara'", {"text": "camara", "submitted_from": date(2025, 1, 1),
                                    "submitted_to": date(2026, 12, 31)}, 1),
]
WARM_UPS = 8  # past psycopg's 5 runs before it prepares a statement


def median_ms(filters, page: int, runs: int) -> tuple[float, int]:
    from portal.extensions import db
    from portal.staff.queues import order_page

    times, total = [], 0
    for run in range(WARM_UPS + runs):
        started = time.perf_counter()
        result = order_page(filters, page)
        result.items  # noqa: B018 (the query runs when the items are read)
        total = result.total
        if run >= WARM_UPS:
            times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(times), total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    print_machine(url)
    from portal.staff.queues import OrderFilters

    with make_app(url).app_context():
        print(f"\nStaff order list, median of {args.runs} runs:")
        print(f"{'filters':<32} {'ms':>8} {'orders':>8}")
        for name, fields, page in CASES + [busiest_member()]:
            median, total = median_ms(OrderFilters(**fields), page, args.runs)
            print(f"{name:<32} {median:>8.2f} {total:>8}")


def busiest_member() -> tuple[str, dict, int]:
    """The member filter's case: the member with the most orders (staff follow such members)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.requests.models import Order

    member_id = db.session.scalar(select(Order.user_id).group_by(Order.user_id)
                                  .order_by(func.count().desc()).limit(1))
    return "the busiest member's orders", {"member_id": member_id}, 1


if __name__ == "__main__":
    main()
