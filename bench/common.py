"""What every benchmark shares: the project on sys.path, the database (created when missing,
SQLite when PostgreSQL cannot be reached), an app bound to it, and the machine's description.
"""
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the project root, never portal/ itself

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
WORK_DIR = ROOT / "instance" / "bench"
UPLOAD_ROOT = WORK_DIR / "uploads"
SECRET_KEY = "bench-secret-key-only-for-benchmarks-0123456789"  # noqa: S105 (benchmarks only)


def database_url(wanted: str | None = None) -> str:
    """The database to use: `wanted`, else BENCH_DATABASE_URL, else the local PostgreSQL
    `bench` database (created when missing); SQLite when PostgreSQL cannot be reached."""
    url = wanted or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith("postgresql"):
        return url
    try:
        create_database(url)
    except OperationalError as error:
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        fallback = f"sqlite:///{WORK_DIR / 'bench.sqlite'}"
        print(f"PostgreSQL unreachable ({str(error).splitlines()[0]}): using {fallback}")
        return fallback
    return url


def create_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                      {"name": name})
            if not found:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
                print(f"Created the PostgreSQL database {name}")
    finally:
        admin.dispose()


def bench_config(url: str) -> dict:
    """The settings the benchmarks give the app (besides the environment's). Filling the
    database is bulk work, not a request: no statement time limit (the served portal keeps
    its own)."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    return {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(UPLOAD_ROOT),
            "SECRET_KEY": SECRET_KEY, "MAIL_FILE_DIR": str(WORK_DIR / "mail"),
            "RATELIMIT_ENABLED": False, "OUTBOX_SEND_AT_ONCE": False,
            "DATABASE_STATEMENT_TIMEOUT": ""}


def make_app(url: str, **config):
    from portal import create_app

    return create_app(bench_config(url) | config)


def reset_schema() -> None:
    """Drop every table, then migrate to head (inside an app context)."""
    from flask_migrate import upgrade

    from portal.extensions import db

    with db.engine.begin() as connection:
        db.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def database_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return "SQLite " + connection.scalar(text("select sqlite_version()"))
            return connection.scalar(text("select version()")).split(" on ")[0]
    finally:
        engine.dispose()


def print_machine(url: str | None = None) -> None:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPU ({cpu_model()}), {memory_gib():.1f} GiB RAM, "
          f"Python {platform.python_version()}, load average {load}")
    if url:
        print(f"Database: {database_version(url)} — {make_url(url).render_as_string()}")
