"""Settings read from the environment (a `.env` file is read in development).

Every variable, its default and its meaning is listed in the README; keep both in step.
"""
import os
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

DEV_SECRET_KEY = "dev-secret-key-change-me"  # noqa: S105 (refused in production)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping for create_app()."""
    env = os.environ.get("PORTAL_ENV", "development")
    production = env == "production"
    default_db = "sqlite:///" + os.path.join(instance_path, "portal.sqlite")
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        # PostgreSQL's planner cost of reading a page out of order (empty: the server's own).
        "DATABASE_RANDOM_PAGE_COST": os.environ.get("DATABASE_RANDOM_PAGE_COST", "1.1"),
        # PostgreSQL workers one query may start in parallel (empty: the server's own).
        "DATABASE_PARALLEL_WORKERS": os.environ.get("DATABASE_PARALLEL_WORKERS", "0"),
        # Seconds a new PostgreSQL connection may take (empty: no limit).
        "DATABASE_CONNECT_TIMEOUT": os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"),
        # Seconds a PostgreSQL statement may run, and wait for a row lock (empty: no limit).
        "DATABASE_STATEMENT_TIMEOUT": os.environ.get("DATABASE_STATEMENT_TIMEOUT", "30"),
        "DATABASE_LOCK_TIMEOUT": os.environ.get("DATABASE_LOCK_TIMEOUT", "10"),
        # No default in production: links in mail and Twilio's signatures depend on it.
        "PUBLIC_BASE_URL": os.environ.get(
            "PUBLIC_BASE_URL", "" if production else "http://127.0.0.1:5000"),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024),
        "UPLOAD_ROOT": os.environ.get("UPLOAD_ROOT", os.path.join(os.getcwd(), "uploads")),
        # Stored files: "local" (a folder, UPLOAD_ROOT) or "s3" (an S3-compatible bucket; empty
        # keys leave boto3 its usual credentials: environment, instance role …).
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "local").strip().lower(),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", ""),
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        # Sessions and cookies.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("REMEMBER_DAYS", 30)),
        "WTF_CSRF_TIME_LIMIT": None,
        # Language and region.
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "UTC"),
        "LANGUAGES": ["fr", "en"],
        "PHONE_DEFAULT_REGION": os.environ.get("PHONE_DEFAULT_REGION", "CI").upper(),
        # Where staff hear of new requests (besides their in-app notifications).
        "STAFF_NOTIFICATION_EMAIL": os.environ.get("STAFF_NOTIFICATION_EMAIL", ""),
        # Mail. With no MAIL_SERVER, messages are written as .eml files under MAIL_FILE_DIR.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER",
                                              "Portail <no-reply@portail.local>"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 10),
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR", os.path.join(instance_path, "mail")),
        # WhatsApp through Twilio. Without an account SID and token, WhatsApp messages are
        # recorded in the threads and outbox without being sent (development).
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_WHATSAPP_FROM": os.environ.get("TWILIO_WHATSAPP_FROM", ""),
        # Only to point the client elsewhere (a proxy, the tests' recorder); empty: Twilio's own.
        "TWILIO_API_BASE_URL": os.environ.get("TWILIO_API_BASE_URL", ""),
        "TWILIO_TIMEOUT": _int("TWILIO_TIMEOUT", 10),
        # Outbox: deliver right after the commit (development) or only through workers.
        "OUTBOX_SEND_AT_ONCE": _bool("OUTBOX_SEND_AT_ONCE", not production),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_RETRY_SECONDS": _int("OUTBOX_RETRY_SECONDS", 60),
        "OUTBOX_CLAIM_SECONDS": _int("OUTBOX_CLAIM_SECONDS", 300),
        # Rate limits (memory by default; use Redis when several processes serve).
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in this process meanwhile rather than answer 500 to every login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "AUTH_LIMIT_PER_IP": os.environ.get("AUTH_LIMIT_PER_IP", "20 per 10 minutes"),
        "AUTH_LIMIT_PER_ADDRESS": os.environ.get("AUTH_LIMIT_PER_ADDRESS", "5 per 10 minutes"),
        # Bootstrap from local files, never a CDN.
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Token lifetimes, in seconds.
        "CONFIRM_TOKEN_MAX_AGE": 48 * 3600,
        "RESET_TOKEN_MAX_AGE": 3600,
        "INVITE_TOKEN_MAX_AGE": 7 * 24 * 3600,
    }


def engine_options(config: dict) -> dict:
    """SQLAlchemy's engine settings for the configured database.

    On PostgreSQL each connection plans with its own values of two settings (empty keeps the
    server's):
    - `random_page_cost` DATABASE_RANDOM_PAGE_COST, 1.1 by default, the usual value when the
      data sits in memory or on SSDs: with the server's default of 4, meant for spinning
      disks, the staff search read all 10 000 members (8 ms) instead of using their trigram
      index (0.7 ms) for some words.
    - `max_parallel_workers_per_gather` DATABASE_PARALLEL_WORKERS, 0 by default: the
      portal's queries read a few hundred rows at most, and starting a worker process costs
      more than that. The staff search's prepared statement started one for its item names
      on every run (3.0 ms a search at 100 000 orders; 2.2 ms without).
    - `statement_timeout` DATABASE_STATEMENT_TIMEOUT seconds (30) and `lock_timeout`
      DATABASE_LOCK_TIMEOUT seconds (10): a runaway statement, or a request queued behind a
      row lock another transaction keeps, gives up (a 503 asking to retry, `errors.py`)
      instead of holding a worker thread until every thread waits. Migrations lift the
      statement limit (an index on a large table takes longer), not the lock limit.
    A new connection gives up after DATABASE_CONNECT_TIMEOUT seconds (5 by default; empty:
    never), so a database host that stops answering makes requests and /healthz fail within
    seconds instead of holding every worker thread for the system's TCP timeout (minutes).
    A `connect_timeout` in DATABASE_URL's query string takes precedence."""
    options = {"pool_pre_ping": True}
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return options
    settings = {"random_page_cost": _number(config.get("DATABASE_RANDOM_PAGE_COST"), float),
                "max_parallel_workers_per_gather":
                    _number(config.get("DATABASE_PARALLEL_WORKERS"), int),
                "statement_timeout": _milliseconds(config.get("DATABASE_STATEMENT_TIMEOUT")),
                "lock_timeout": _milliseconds(config.get("DATABASE_LOCK_TIMEOUT"))}
    given = " ".join(f"-c {name}={value}" for name, value in settings.items()
                     if value is not None)
    timeout = _number(config.get("DATABASE_CONNECT_TIMEOUT"), int)
    if "connect_timeout" in make_url(config["SQLALCHEMY_DATABASE_URI"]).query:
        timeout = None  # the URL's own value stands
    connect_args = {}
    if given:
        connect_args["options"] = given
    if timeout:
        connect_args["connect_timeout"] = timeout
    if connect_args:
        options["connect_args"] = connect_args
    return options


def _number(value, kind):
    """A setting's number, None when it is empty (the server keeps its own value)."""
    text = str(value or "").strip()
    return kind(text) if text else None


def _milliseconds(seconds) -> int | None:
    """A duration setting in seconds, as PostgreSQL's milliseconds (None when empty)."""
    value = _number(seconds, float)
    return None if value is None else round(value * 1000)


def check_production(config: dict) -> None:
    """Refuse to start a production app with settings that are only safe in development."""
    if config.get("PORTAL_ENV") != "production":
        return
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY) or len(config["SECRET_KEY"]) < 24:
        raise RuntimeError(
            "SECRET_KEY must be set to a long random value in production "
            "(the development key is refused)."
        )
    address = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    loopback = address.scheme == "http" and address.hostname in LOOPBACK_HOSTS
    if not (address.scheme == "https" and address.hostname) and not loopback:
        raise RuntimeError(
            "PUBLIC_BASE_URL must be set in production to the https:// address members use "
            "(links in e-mails and Twilio's signatures are built from it); plain http is "
            "accepted only on a loopback address."
        )
