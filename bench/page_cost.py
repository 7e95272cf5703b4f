"""What one request of each page costs the portal's own process, without a load run's noise:
each page is requested in one process, through Flask's test client, against the database
bench/agency.py filled, with the production settings of the load run. It prints the SQL
statements per request and the CPU milliseconds per request (median of several rounds).

    python bench/page_cost.py [--requests 300] [--pages "order page,staff home"]
                              [--instructions] [--database-url URL]

A shared virtual machine's speed drifts by a quarter within minutes, which hides a change of a
few percent in CPU time. --instructions adds the instructions per request, counted by
valgrind's callgrind (two runs per page, 5 and 45 requests after the same warm-up, the
difference divided by 40): the same figure on every run, to compare before and after a
change. It needs valgrind (`apt-get install valgrind`) and takes about two minutes per page.
The database server's own work is not counted here (bench/load.py shows it as db ms).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WORK_DIR, database_url, print_machine  # noqa: E402
from bench.load import PAGES, find_targets, log_in, page_jobs, server_environment  # noqa: E402

MEASURED = [page for page in PAGES if page not in ("bare route", "login")]
WARM_UPS = 5
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


class TestClientSession:
    """The few `requests.Session` calls bench/load.py's log_in makes, on Flask's test client."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **_options):
        return self.client.get(url)

    def post(self, url: str, data: dict, **_options):
        return self.client.post(url, data=data)


def production_app(url: str):
    """The app as gunicorn serves it in bench/load.py (same environment), here in-process."""
    os.environ.update(server_environment(url, 5000))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    from portal import create_app

    return create_app()


def ready_client(app, page: str):
    """A logged-in test client for `page` and the URLs it cycles through, warmed up."""
    from sqlalchemy.exc import DBAPIError

    from bench.agency import BENCH_PASSWORD

    try:
        with app.app_context():
            targets = find_targets(8)
    except DBAPIError:  # no tables
        targets = None
    if not (targets and targets.members and targets.staff and targets.proofs):
        sys.exit("The database holds no benchmark agency: fill it first (python bench/agency.py)")
    job = page_jobs(page, "", targets, 1, BENCH_PASSWORD)[0]
    client = app.test_client()
    if job.email:
        answer = log_in(TestClientSession(client), "", job.email, BENCH_PASSWORD)
        if answer.status_code != 302:
            sys.exit(f"{page}: logging in as {job.email} failed ({answer.status_code})")
    for index in range(WARM_UPS):
        status = client.get(job.urls[index % len(job.urls)]).status_code
        if status != 200:
            sys.exit(f"{page}: {job.urls[index % len(job.urls)]} answered {status}")
    return client, job.urls


def statements_per_request(app, client, urls: list[str]) -> float:
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for url in urls:
            client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen) / len(urls)


def cpu_ms_per_request(client, urls: list[str], requests: int, rounds: int = 5) -> float:
    per_round = max(1, requests // rounds)
    medians = []
    for _ in range(rounds):
        started = time.process_time()
        for index in range(per_round):
            client.get(urls[index % len(urls)])
        medians.append((time.process_time() - started) * 1000 / per_round)
    return statistics.median(medians)


# --- Instructions (callgrind) -------------------------------------------------------------------

def child(url: str, page: str, count: int) -> None:
    """Under callgrind: set up, warm up, then `count` requests of `page`."""
    app = production_app(url)
    client, urls = ready_client(app, page)
    for index in range(count):
        client.get(urls[index % len(urls)])


def instructions(url: str, page: str, count: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
               __file__, "--database-url", url, "--child", page, "--requests", str(count)]
    finished = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                              env=os.environ | {"PYTHONHASHSEED": "0"})
    found = COLLECTED.search(finished.stderr)
    if finished.returncode or not found:
        sys.exit(f"callgrind failed for {page}:\n{finished.stderr[-2000:]}")
    return int(found.group(1))


def instructions_per_request(url: str, page: str) -> int:
    return (instructions(url, page, 45) - instructions(url, page, 5)) // 40


# --- The run ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per page, for the CPU time")
    parser.add_argument("--pages", default=",".join(MEASURED))
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per request with valgrind (slow)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    if args.child:
        child(url, args.child, args.requests)
        return
    pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    unknown = set(pages) - set(MEASURED)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(MEASURED)})")
    print_machine(url)
    app = production_app(url)
    print(f"\nOne request of each page, in-process ({args.requests} requests per page):")
    print(f"{'page':<18} {'statements':>10} {'CPU ms':>7}" + (
        f" {'instructions':>13}" if args.instructions else ""))
    for page in pages:
        client, urls = ready_client(app, page)
        line = (f"{page:<18} {statements_per_request(app, client, urls):>10.1f} "
                f"{cpu_ms_per_request(client, urls, args.requests):>7.2f}")
        if args.instructions:
            line += f" {instructions_per_request(url, page):>13,}"
        print(line, flush=True)
    print("statements: SQL statements the page sends (BEGIN, the COMMIT or ROLLBACK and the pool's ping "
          "aside); CPU ms: median of 5 rounds; instructions: callgrind, the same every run")


if __name__ == "__main__":
    main()
