"""bench/load.py adds up a page's rounds: requests, rate and server CPU per request are those of
all rounds together, and a CPU figure missing in any round (no /proc, PostgreSQL elsewhere)
prints "-" instead of a wrong number."""
from bench.load import Result, Tally


def test_rounds_add_up_to_one_row():
    tally = Tally()
    tally.add(Result([10.0, 20.0, 30.0], errors=1), 2.0, (1.0, 5.0), (1.3, 5.1))
    tally.add(Result([40.0], errors=0), 2.0, (2.0, 6.0), (2.1, 6.1))
    name, count, rate, p50, p95, p99, errors, app_ms, db_ms = tally.row("order page")
    assert (name, count, rate, errors) == ("order page", 4, 1.0, 1)
    assert (p50, p95, p99) == (30.0, 40.0, 40.0)
    assert (app_ms, db_ms) == ("100.00", "50.00")  # 0.4 s and 0.2 s over 4 requests


def test_a_cpu_figure_missing_in_one_round_is_not_guessed():
    tally = Tally()
    tally.add(Result([5.0]), 1.0, (1.0, None), (1.1, None))
    tally.add(Result([5.0]), 1.0, (2.0, 3.0), (2.1, 3.1))
    assert tally.row("staff home")[-2:] == ("100.00", "-")


def test_a_page_without_requests_prints_no_figures():
    assert Tally().row("login")[1:3] == (0, 0.0)
    assert Tally().row("login")[-2:] == ("-", "-")
