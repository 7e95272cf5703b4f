"""A backup can be restored: deploy/backup.sh and deploy/restore.sh on a real instance.

The instance is built as an operator would build it (`flask db upgrade` and `flask demo` in a
subprocess, DATABASE_URL and UPLOAD_ROOT pointing into a temporary folder), backed up, wiped and
restored; then the rows, every stored file and the portal itself must be as before.

It runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL names a PostgreSQL server: in a
database of its own (the test database's name + `_backup`), created and dropped here with psql,
so the suite's shared database is never touched. This module builds its own instances and does
not use the session app.
"""
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, table, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db
from tests.conftest import PortalClient
from tests.factories import login

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TABLES = ("users", "orders", "order_items", "status_changes", "proformas", "invoices",
          "payment_proofs", "arrival_photos", "outbox_messages", "order_messages", "counters")
STAFF_EMAIL, _, _, STAFF_PASSWORD = next(a for a in DEMO_ACCOUNTS if a[2] == "staff")
# Settings of the developer's shell or .env that must not leak into the instance.
FOREIGN = ("DATABASE_URL", "UPLOAD_ROOT", "STORAGE_BACKEND", "BACKUP_DIR", "BACKUP_KEEP",
           "PORTAL_PYTHON", "MAIL_SERVER", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PGPASSWORD")


@pytest.fixture(autouse=True)
def clean_state():
    """Replaces the suite's per-test cleaning, which would build the shared session app."""
    yield


@dataclass
class Instance:
    database_url: str
    upload_root: Path
    folder: Path
    wipe_database: object  # a callable: empty the database completely

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
        env.update({
            "FLASK_APP": "wsgi.py", "PORTAL_ENV": "development",
            "SECRET_KEY": "backup-test-secret-key-0123456789",
            "DATABASE_URL": self.database_url, "UPLOAD_ROOT": str(self.upload_root),
            "MAIL_SERVER": "", "MAIL_FILE_DIR": str(self.folder / "mail"),
            "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
            "RATELIMIT_STORAGE_URI": "memory://", "PORTAL_PYTHON": sys.executable,
        })
        env.update(extra)
        return env


def run(env: dict, *command, expect_success: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if expect_success:
        assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def sqlite_instance(tmp_path) -> Instance:
    database = tmp_path / "instance" / "portal.sqlite"
    database.parent.mkdir()
    return Instance(f"sqlite:///{database}", tmp_path / "uploads", tmp_path,
                    lambda: database.unlink())


def postgres_tools_missing() -> list[str]:
    return [tool for tool in ("psql", "pg_dump", "pg_restore") if shutil.which(tool) is None]


@pytest.fixture
def postgresql_instance(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL backups: set TEST_DATABASE_URL to a PostgreSQL server")
    missing = postgres_tools_missing()
    if missing:
        message = f"PostgreSQL backups need {', '.join(missing)} (postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(base)
    name = f"{url.database}_backup"
    server = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)

    def psql(sql: str) -> None:
        run(dict(os.environ), "psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q",
            "-d", server, "-c", sql)

    def fresh_database() -> None:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{name}"')

    fresh_database()
    yield Instance(url.set(database=name).render_as_string(hide_password=False),
                   tmp_path / "uploads", tmp_path, fresh_database)
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def instance(request) -> Instance:
    return request.getfixturevalue(f"{request.param}_instance")


def snapshot(instance: Instance) -> dict:
    """What must survive: row counts, the schema revision, every stored file's checksum."""
    engine = create_engine(instance.database_url)
    try:
        with engine.connect() as connection:
            counts = {name: connection.scalar(select(func.count()).select_from(table(name)))
                      for name in TABLES}
            revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
            proforma = connection.execute(text(
                "SELECT order_id, version, pdf_key FROM proformas WHERE pdf_key IS NOT NULL "
                "ORDER BY id LIMIT 1")).one()
    finally:
        engine.dispose()
    files = {str(path.relative_to(instance.upload_root)): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(instance.upload_root.rglob("*")) if path.is_file()}
    return {"counts": counts, "revision": revision, "files": files,
            "proforma": tuple(proforma)}


def proforma_pdf_served(instance: Instance, order_id: int, version: int) -> bytes:
    """The proforma PDF as the portal serves it to staff, from the restored data."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "backup-test-secret-key-0123456789",
        "SQLALCHEMY_DATABASE_URI": instance.database_url,
        "UPLOAD_ROOT": str(instance.upload_root), "MAIL_SERVER": "",
        "MAIL_FILE_DIR": str(instance.folder / "mail"),
        "OUTBOX_SEND_AT_ONCE": False, "PUBLIC_BASE_URL": "http://localhost",
    })
    app.test_client_class = PortalClient
    try:
        client = app.test_client()
        assert login(client, STAFF_EMAIL, STAFF_PASSWORD).status_code == 302
        response = client.get(f"/commandes/{order_id}/proforma/v{version}/pdf")
        assert response.status_code == 200
        return response.get_data()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def backups_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("portal-"))


def test_a_backup_restores_the_database_and_the_files(instance, tmp_path):
    env = instance.env()
    run(env, sys.executable, "-m", "flask", "db", "upgrade")
    run(env, sys.executable, "-m", "flask", "demo")
    before = snapshot(instance)
    assert before["counts"]["users"] == len(DEMO_ACCOUNTS)
    assert before["counts"]["orders"] > 0 and before["counts"]["payment_proofs"] > 0
    assert len(before["files"]) > 10
    order_id, version, pdf_key = before["proforma"]
    pdf = (instance.upload_root / pdf_key).read_bytes()
    assert pdf.startswith(b"%PDF-")

    # Two older backups are there already; with -k 2 only the newest of them stays.
    backups = tmp_path / "backups"
    for old in ("portal-20240101T000000Z", "portal-20250101T000000Z"):
        (backups / old).mkdir(parents=True)
    run(env, DEPLOY / "backup.sh", "-d", backups, "-k", "2")
    kept = backups_in(backups)
    assert len(kept) == 2 and kept[0] == "portal-20250101T000000Z"
    backup = backups / kept[1]
    database_file = "database.pgdump" if instance.database_url.startswith("postgresql") \
        else "database.sqlite"
    listed = {line.split()[1] for line in (backup / "SHA256SUMS").read_text().splitlines()}
    assert listed == {database_file, "MANIFEST", "uploads.tar.gz", "uploads.sha256"}
    assert f"schema revision: {before['revision']}" in (backup / "MANIFEST").read_text()
    assert len((backup / "uploads.sha256").read_text().splitlines()) == len(before["files"])
    assert run(env, DEPLOY / "restore.sh", "-n", backup).returncode == 0

    # A damaged copy is refused before anything is touched.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    archive = damaged / "uploads.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    refused = run(env, DEPLOY / "restore.sh", "-y", damaged, expect_success=False)
    assert refused.returncode != 0 and "checksums do not match" in refused.stderr
    assert snapshot(instance) == before

    # Lose everything, then restore.
    instance.wipe_database()
    shutil.rmtree(instance.upload_root)
    restored = run(env, DEPLOY / "restore.sh", "-y", backup)
    assert "checksums verified" in restored.stdout

    assert snapshot(instance) == before
    assert (instance.upload_root / pdf_key).read_bytes() == pdf
    assert proforma_pdf_served(instance, order_id, version) == pdf
