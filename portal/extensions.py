"""Flask extensions, created unbound and attached to the app in create_app()."""
import sqlite3
import unicodedata

import psycopg
from flask import request
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from portal import psycopg_speed
from portal.babel_speed import QuickBabel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


FOLD = "portal_fold"  # SQL function: text lower-cased and without accents (migration 0009)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})


def fold_text(value: str | None) -> str | None:
    """`value` lower-cased, its accents and ligatures undone: "Traoré" and "TRAORE" both give
    "traore". SQLite's `portal_fold`; PostgreSQL's is `unaccent` then `lower` (migration 0009),
    which agrees on the letters of French and the names of West Africa."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded(expression):
    """`expression` folded in SQL (`portal_fold`), as the searches compare text."""
    return getattr(func, FOLD)(expression)


def folded_like(column, pattern, escape: str):
    """`column LIKE pattern` with both folded: how every search compares, accents and case
    aside ("traore" finds "Traoré")."""
    return folded(column).like(folded(pattern), escape=escape)


@event.listens_for(Engine, "connect")
def _connection_setup(connection, _record) -> None:
    """SQLite ignores foreign keys unless asked, per connection (PostgreSQL always enforces
    them), and learns `portal_fold`, which PostgreSQL has from migration 0009. psycopg's
    cursors describe their columns only when asked (psycopg_speed.py)."""
    if isinstance(connection, psycopg.Connection):
        connection.cursor_factory = psycopg_speed.QuickCursor
    elif isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        connection.create_function(FOLD, 1, fold_text, deterministic=True)


event.listen(Engine, "before_cursor_execute", psycopg_speed.note_writes)
event.listen(Engine, "rollback", psycopg_speed.end_reads_with_commit)
event.listen(Engine, "commit", psycopg_speed.forget_writes)


def client_address() -> str:
    """The rate-limit key for "per IP" limits (the proxy sets remote_addr through ProxyFix)."""
    return request.remote_addr or "unknown"


def include_object(_obj, name, type_, reflected, _compare_to) -> bool:
    """What autogenerate compares: not the folded-text search indexes (`ix_…_fold`),
    PostgreSQL expression indexes that only migration 0009 knows."""
    return not (type_ == "index" and reflected and name and name.endswith("_fold"))


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_object)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = QuickBabel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=client_address)
