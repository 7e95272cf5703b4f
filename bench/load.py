"""A load run against gunicorn on loopback: N concurrent clients (processes, each with its own
logged-in session) request one page for a fixed time, then the next page. It prints requests
per second, p50, p95 and p99 for each page, and the ratio to a bare route returning a constant
page (`/bench/constant`, added by bench/wsgi_bench.py only) served by the same server. Each
page's time is split in rounds (bare route, then every page, again), so a machine whose speed
drifts during the run moves the bare route and the pages alike.

    python bench/load.py [--clients 8] [--seconds 20] [--rounds 4] [--database-url URL]
                         [--fill --members 10000 --orders 100000]

The database is the one bench/agency.py filled (filled here when it holds no benchmark agency,
or with --fill). Gunicorn runs with deploy/gunicorn.conf.py when that file exists (its bind
replaced by a free loopback port), else with the README's production command line. The server
runs with PORTAL_ENV=production, except: rate limits off (every client logs in from 127.0.0.1)
and cookies not marked Secure (plain HTTP on loopback).
"""
import argparse
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    SECRET_KEY,
    UPLOAD_ROOT,
    WORK_DIR,
    database_url,
    make_app,
    print_machine,
    reset_schema,
)

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CONF = ROOT / "deploy" / "gunicorn.conf.py"
FALLBACK_ARGS = ["--workers", "4", "--worker-class", "sync", "--timeout", "30"]
SEARCHES = ["diallo", "kone", "traore", "ouattara", "camara", "sylla"]
WARM_UPS = 3


# --- The server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(url: str, port: int) -> dict:
    return os.environ | {
        "PORTAL_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
        "UPLOAD_ROOT": str(UPLOAD_ROOT), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "MAIL_FILE_DIR": str(WORK_DIR / "mail"), "RATELIMIT_ENABLED": "0",
        "SESSION_COOKIE_SECURE": "0"}


def gunicorn_command(port: int) -> tuple[list[str], str]:
    command = [sys.executable, "-m", "gunicorn"]
    if CONF.exists():
        command += ["--config", str(CONF)]
        how = f"gunicorn with {CONF.relative_to(ROOT)}, bind overridden"
    else:
        command += FALLBACK_ARGS
        how = ("deploy/gunicorn.conf.py absent: the README's production command line "
               f"({' '.join(FALLBACK_ARGS)})")
    command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bench.wsgi_bench:app"]
    return command, how


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command, how = gunicorn_command(port)
    with open(WORK_DIR / "gunicorn.log", "w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, env=server_environment(url, port), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/bench/constant", timeout=2).status_code == 200:
                print(f"Server: {how}; {base}")
                return process, base
        except requests.ConnectionError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    stop_server(process)
    sys.exit(f"gunicorn did not start: see {WORK_DIR / 'gunicorn.log'}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Clients ----------------------------------------------------------------------------------

def log_in(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    page = session.get(base + "/connexion", timeout=30).text
    token = CSRF.search(page).group(1)
    return session.post(base + "/connexion", data={
        "csrf_token": token, "email": email, "password": password}, allow_redirects=False,
        timeout=30)


@dataclass
class Job:
    page: str
    base: str
    urls: list[str]
    email: str | None = None  # log in first as this account
    login_as: str | None = None  # the page itself is a login of this account
    password: str = ""


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def fetch(session: requests.Session, job: Job, url: str) -> bool:
    if job.login_as:
        response = log_in(requests.Session(), job.base, job.login_as, job.password)
        return response.status_code == 302
    return session.get(job.base + url, allow_redirects=False, timeout=30).status_code == 200


def client(job: Job, seconds: float, barrier, results) -> None:
    """One client: log in, warm up, wait for the others, then request for `seconds`."""
    session = requests.Session()
    if job.email:
        log_in(session, job.base, job.email, job.password)
    for url in job.urls[:WARM_UPS]:
        fetch(session, job, url)
    barrier.wait()
    result, index = Result(), 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        url = job.urls[index % len(job.urls)]
        index += 1
        started = time.perf_counter()
        try:
            ok = fetch(session, job, url)
        except requests.RequestException:
            ok = False
        result.latencies.append((time.perf_counter() - started) * 1000)
        result.errors += not ok
    results.put(result)


def run_page(jobs: list[Job], seconds: float) -> tuple[Result, float]:
    """Run one client process per job for `seconds`; merged results and the wall time."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(jobs) + 1), context.Queue()
    processes = [context.Process(target=client, args=(job, seconds, barrier, results))
                 for job in jobs]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    merged = Result()
    for _ in processes:
        part = results.get()
        merged.latencies += part.latencies
        merged.errors += part.errors
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    return merged, wall


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


# --- What is requested ------------------------------------------------------------------------

@dataclass
class Targets:
    members: list[tuple[str, list[int]]]  # (e-mail, their submitted orders)
    staff: list[str]
    proofs: list[int]  # pending proofs, oldest first


def find_targets(count: int) -> Targets:
    """Members with active orders, the staff accounts and pending proofs (app context)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.members.models import User
    from portal.payments.models import PaymentProof
    from portal.requests.models import Order
    from portal.requests.ordering import ACTIVE

    busy = list(db.session.scalars(
        select(Order.user_id).join(User, User.id == Order.user_id)
        .where(Order.status.in_(ACTIVE), User.confirmed_at.is_not(None))
        .group_by(Order.user_id).order_by(Order.user_id).limit(count)))
    members = []
    for user_id in busy:
        orders = list(db.session.scalars(select(Order.id).where(
            Order.user_id == user_id, Order.status != "draft").order_by(Order.id).limit(20)))
        members.append((db.session.get(User, user_id).email, orders))
    staff = list(db.session.scalars(select(User.email).where(User.role == "staff")
                                    .order_by(User.id)))
    proofs = list(db.session.scalars(select(PaymentProof.id).where(
        PaymentProof.status == "pending").order_by(PaymentProof.submitted_at).limit(100)))
    return Targets(members, staff, proofs)


def page_jobs(name: str, base: str, targets: Targets, clients: int, password: str) -> list[Job]:
    jobs = []
    for index in range(clients):
        email, orders = targets.members[index % len(targets.members)]
        staff = targets.staff[index % len(targets.staff)]
        jobs.append({
            "bare route": Job(name, base, ["/bench/constant"]),
            "member dashboard": Job(name, base, ["/commandes"], email, password=password),
            "order page": Job(name, base, [f"/commandes/{order}" for order in orders], email,
                              password=password),
            "staff home": Job(name, base, ["/equipe/"], staff, password=password),
            "staff order list": Job(name, base, [
                f"/equipe/commandes?statut=en-transit&q={term}"
                for term in SEARCHES[index % 2::2]], staff, password=password),
            "proof review": Job(name, base, [f"/equipe/preuves/{proof}"
                                             for proof in targets.proofs[index::clients]
                                             or targets.proofs], staff, password=password),
            "login page": Job(name, base, ["/connexion"]),
            "login": Job(name, base, ["/connexion"], login_as=email, password=password),
        }[name])
    return jobs


PAGES = ["bare route", "member dashboard", "order page", "staff home", "staff order list",
         "proof review", "login page", "login"]


# --- CPU spent per request (Linux /proc; "-" elsewhere) -----------------------------------------

def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree_cpu(root: int | None) -> float | None:
    """CPU seconds of `root`, of its children still alive and of those it has reaped (gunicorn
    replaces workers, PostgreSQL ends backends): what the server spent, whatever came and went."""
    fields = _stat(root) if root else None
    if fields is None:
        return None
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        child = _stat(entry.name) if entry.name.isdigit() else None
        if child is not None and child[1] == str(root):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster() -> int | None:
    """The local PostgreSQL server's main process (None when PostgreSQL runs elsewhere)."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                parent = _stat(entry.name)[1]
                if (Path("/proc") / parent / "comm").read_text().strip() != "postgres":
                    return int(entry.name)
        except (OSError, TypeError):
            continue
    return None


def cpu_now(roots: tuple) -> tuple:
    return tuple(tree_cpu(root) for root in roots)


@dataclass
class Tally:
    """A page's requests over every round: latencies, errors, seconds, server CPU seconds."""
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    cpu: list[float | None] = field(default_factory=lambda: [0.0, 0.0])  # gunicorn, PostgreSQL

    def add(self, result: Result, wall: float, before: tuple, after: tuple) -> None:
        self.latencies += result.latencies
        self.errors += result.errors
        self.wall += wall
        self.cpu = [None if total is None or start is None or end is None
                    else total + end - start
                    for total, start, end in zip(self.cpu, before, after, strict=True)]

    def row(self, name: str) -> tuple:
        values, count = self.latencies, len(self.latencies)
        per_request = ["-" if total is None or not count else f"{total * 1000 / count:.2f}"
                       for total in self.cpu]
        return (name, count, count / self.wall if self.wall else 0.0,
                percentile(values, 0.50), percentile(values, 0.95), percentile(values, 0.99),
                self.errors, *per_request)


# --- The run ----------------------------------------------------------------------------------

def print_table(rows: list[tuple]) -> None:
    bare = rows[0][2] or 1
    print(f"{'page':<18} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>7} {'ratio':>7} {'app ms':>7} {'db ms':>6}")
    for name, count, rate, p50, p95, p99, errors, app_ms, db_ms in rows:
        print(f"{name:<18} {count:>9} {rate:>8.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
              f"{errors:>7} {rate / bare:>7.2f} {app_ms:>7} {db_ms:>6}")
    print("app ms, db ms: CPU time the gunicorn processes and the PostgreSQL server spent per "
          "request. login page: the form alone; login: the form fetched and sent, the password "
          "checked, the session opened")


def print_password_floor() -> None:
    """What one password check costs here: a login can go no faster (Argon2id on purpose)."""
    from portal.members import password_hashes

    stored = password_hashes.hash_password("bench-password")
    times = []
    for _ in range(20):
        started = time.process_time()
        password_hashes.verify(stored, "bench-password")
        times.append((time.process_time() - started) * 1000)
    check, cpus = sorted(times)[len(times) // 2], os.cpu_count() or 1
    print(f"One password check (Argon2id, 19 MiB, 2 passes): {check:.1f} ms of CPU, so at most "
          f"{1000 / check * cpus:.0f} logins/s on this machine's {cpus} CPU with nothing "
          "else running")


def run(base: str, server_pid: int, targets: Targets, clients: int, seconds: float,
        pages: list[str], rounds: int) -> None:
    """Every page for `seconds` in all, in `rounds` turns of bare route then each page: a
    machine whose speed drifts during the run (another tenant, a warming cache) slows the bare
    route as much as the pages, so the ratios stay fair."""
    from bench.agency import BENCH_PASSWORD

    roots, tallies = (server_pid, postmaster()), {name: Tally() for name in pages}
    for turn in range(1, rounds + 1):
        for name in pages:
            jobs = page_jobs(name, base, targets, clients, BENCH_PASSWORD)
            before = cpu_now(roots)
            result, wall = run_page(jobs, seconds / rounds)
            tallies[name].add(result, wall, before, cpu_now(roots))
        print(f"  round {turn}/{rounds}, requests so far: " + ", ".join(
            f"{name} {len(tally.latencies)}" for name, tally in tallies.items()), flush=True)
    print(f"\n{clients} concurrent clients, {seconds:g} s per page in {rounds} rounds:")
    print_table([tally.row(name) for name, tally in tallies.items()])
    if "login" in pages:
        print_password_floor()


def prepare(url: str, args) -> Targets:
    from bench.agency import fill
    from portal.extensions import db
    from portal.members.models import User

    app = make_app(url)
    with app.app_context():
        empty = "users" not in db.inspect(db.engine).get_table_names() or not db.session.scalar(
            db.select(db.func.count(User.id)).where(User.email.like("membre%@bench.example")))
        if args.fill or empty:
            reset_schema()
            fill(members=args.members, orders=args.orders, items=args.items)
        targets = find_targets(args.clients)
        db.session.remove()
        db.engine.dispose()  # nothing shared with the client processes forked later
    return targets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=4,
                        help="turns of bare route then every page (drift hits all alike)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--fill", action="store_true", help="fill the database again first")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="comma-separated pages (the bare route always runs first)")
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    print_machine(url)
    targets = prepare(url, args)
    pages = ["bare route"] + [p for p in args.pages.split(",") if p and p != "bare route"]
    process, base = start_server(url)
    try:
        run(base, process.pid, targets, args.clients, args.seconds, pages,
            max(1, args.rounds))
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
