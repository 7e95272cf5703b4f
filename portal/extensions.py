"""Flask extensions, created unbound and attached to the app in create_app()."""
import sqlite3

from flask import request
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Index, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

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


def trigram_index(table: str, column: str) -> Index:
    """A PostgreSQL trigram index (pg_trgm, migration 0006) that serves `ILIKE '%text%'`, as
    the staff search sends; other databases have no such index."""
    return Index(f"ix_{table}_{column}_trgm", column, postgresql_using="gin",
                 postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(connection, _record) -> None:
    """SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def client_address() -> str:
    """The rate-limit key for "per IP" limits (the proxy sets remote_addr through ProxyFix)."""
    return request.remote_addr or "unknown"


def include_object(obj, _name, type_, reflected, _compare_to) -> bool:
    """Autogenerate leaves out an index meant for another database (`ddl_if(dialect=…)`, as
    `trigram_index`), just as creating the tables would."""
    condition = getattr(obj, "_ddl_if", None)  # what Index.ddl_if() recorded
    if type_ != "index" or reflected or condition is None or not condition.dialect:
        return True
    return db.engine.dialect.name == condition.dialect


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_object)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = QuickBabel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=client_address)
