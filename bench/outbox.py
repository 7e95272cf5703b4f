"""The outbox under load: 1 000 e-mails queued, two real workers (`flask outbox work`, as
production runs them) delivering to a loopback SMTP server (aiosmtpd). Prints the time to
drain and the duplicates and losses counted by Message-ID (each carries `outbox-<row id>`).
Then a second run where the SMTP server is stopped midway and restarted: zero lost, zero
duplicates expected.

    python bench/outbox.py [--messages 1000] [--workers 2] [--database-url URL]

The rows are added to the benchmark database (the agency stays); only this run's rows count.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

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
from bench.load import free_port  # noqa: E402
from tests.mail_server import MailServer  # noqa: E402

ROW_ID = re.compile(r"outbox-(\d+)@")
TIMEOUT = 300  # seconds before a run gives up waiting


def queue_messages(count: int) -> list[int]:
    """Add `count` e-mail rows through the portal's outbox (app context); their ids."""
    from portal.extensions import db
    from portal.messaging import outbox

    rows = []
    for number in range(count):
        rows.append(outbox.add_email("bench", {
            "recipient": f"destinataire{number:04d}@bench.example",
            "subject": f"Banc d'essai — message {number}",
            "text": "Bonjour,\n\nVotre commande avance.\n\n— L'agence\n" * 5,
            "html": "<p>Bonjour,</p><p>Votre commande avance.</p>" * 5}))
    db.session.commit()
    db.session.info.clear()
    return [row.id for row in rows]


def state_of(ids: list[int]) -> Counter:
    """How many of these rows are in each status (app context)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.messaging.models import OutboxMessage

    db.session.rollback()  # a fresh snapshot
    rows = db.session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.id.in_(ids)).group_by(OutboxMessage.status)).all()
    return Counter(dict(rows))


def drained(ids: list[int]) -> bool:
    states = state_of(ids)
    return states["sent"] + states["failed"] == len(ids)


def start_workers(url: str, port: int, count: int) -> list[subprocess.Popen]:
    env = os.environ | {
        "PORTAL_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
        "UPLOAD_ROOT": str(UPLOAD_ROOT), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
        "MAIL_TIMEOUT": "5", "OUTBOX_RETRY_SECONDS": "1", "FLASK_APP": "wsgi.py",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}
    command = [sys.executable, "-m", "flask", "outbox", "work", "--poll", "0.2"]
    log = WORK_DIR / "outbox-workers.log"
    with open(log, "a") as out:
        return [subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                 stderr=subprocess.STDOUT, start_new_session=True)
                for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


def received(server: MailServer, ids: list[int]) -> Counter:
    """How many times each of our rows reached the SMTP server."""
    wanted = set(ids)
    found = Counter()
    for message in server.messages:
        match = ROW_ID.search(message["Message-ID"] or "")
        if match and int(match.group(1)) in wanted:
            found[int(match.group(1))] += 1
    return found


def wait_until(condition, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def first_delivery(server: MailServer, started: float) -> float:
    """Seconds from the workers' start to the first message (their start-up time)."""
    wait_until(lambda: server.messages)
    return time.perf_counter() - started


def report(title: str, ids: list[int], server: MailServer, seconds: float, startup: float,
           states: Counter) -> None:
    got = received(server, ids)
    lost = len([row_id for row_id in ids if not got[row_id]])
    duplicates = sum(count - 1 for count in got.values() if count > 1)
    others = len(server.messages) - sum(got.values())
    print(f"{title}: {len(ids)} e-mails drained in {seconds:.1f} s from the workers' start "
          f"(first delivery after {startup:.1f} s; {len(ids) / (seconds - startup):.0f}/s "
          f"after it); received {sum(got.values())}, lost {lost}, duplicates {duplicates}; "
          f"rows {dict(states)}" + (f"; {others} other messages" if others else ""))


def timed_run(title: str, url: str, port: int, count: int, workers: int,
              down: float | None = None) -> None:
    """Queue `count` e-mails and let the workers drain them; with `down`, the SMTP server is
    stopped for that many seconds once a third of them has arrived."""
    server = MailServer(port).start()
    ids = queue_messages(count)
    started = time.perf_counter()
    running = start_workers(url, port, workers)
    try:
        startup = first_delivery(server, started)
        if down is not None:
            stop_for_a_while(server, ids, count, down)
        wait_until(lambda: drained(ids))
        seconds = time.perf_counter() - started
    finally:
        stop_workers(running)
    report(title, ids, server, seconds, startup, state_of(ids))
    server.stop()


def stop_for_a_while(server: MailServer, ids: list[int], count: int, down: float) -> None:
    wait_until(lambda: len(server.messages) >= count // 3)
    server.stop()
    stopped_at = len(received(server, ids))
    time.sleep(down)
    server.start()
    print(f"  SMTP server stopped after {stopped_at} messages for {down:g} s, restarted")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--down", type=float, default=3.0, help="seconds the SMTP server is off")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    print_machine(url)
    app = make_app(url)
    with app.app_context():
        from portal.extensions import db

        if "outbox_messages" not in db.inspect(db.engine).get_table_names():
            reset_schema()
        port = free_port()
        timed_run(f"Run 1 ({args.workers} workers)", url, port, args.messages, args.workers)
        timed_run("Run 2 (SMTP stopped midway)", url, port, args.messages, args.workers,
                  down=args.down)
        db.session.remove()


if __name__ == "__main__":
    main()
