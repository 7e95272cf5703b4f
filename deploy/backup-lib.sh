# Shared by deploy/backup.sh and deploy/restore.sh (sourced, not run).
#
# Settings come from the environment, as for the portal itself (an env file can be loaded
# with -e): DATABASE_URL, UPLOAD_ROOT, STORAGE_BACKEND, plus BACKUP_DIR, BACKUP_KEEP and
# PORTAL_PYTHON for these scripts.

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "${0##*/}: $*" >&2; exit 1; }
say() { echo "${0##*/}: $*"; }

load_env_file() {
    # The same file systemd reads (KEY=value lines, values with spaces in double quotes).
    [ -r "$1" ] || die "cannot read the environment file $1"
    set -a
    # shellcheck disable=SC1090
    . "$1"
    set +a
}

find_python() {
    # The portal's virtualenv, else the system's python3 (only the standard library is used).
    if [ -n "${PORTAL_PYTHON:-}" ]; then
        PYTHON=$PORTAL_PYTHON
    elif [ -x "$APP_DIR/.venv/bin/python" ]; then
        PYTHON=$APP_DIR/.venv/bin/python
    else
        PYTHON=$(command -v python3) || die "python3 is needed"
    fi
}

resolve_settings() {
    # The defaults are the portal's own (portal/config.py) for a process started in APP_DIR,
    # as the systemd units do. Production should set both variables explicitly.
    DATABASE_URL=${DATABASE_URL:-sqlite:///$APP_DIR/instance/portal.sqlite}
    UPLOAD_ROOT=${UPLOAD_ROOT:-$APP_DIR/uploads}
    case "$UPLOAD_ROOT" in /*) ;; *) UPLOAD_ROOT=$APP_DIR/$UPLOAD_ROOT ;; esac
    find_python
    case "$DATABASE_URL" in
        postgres://*|postgresql://*|postgres+*|postgresql+*)
            DB_KIND=postgresql
            # libpq does not know SQLAlchemy's "+driver", and a password on the command line
            # would show in `ps`: pass the URL without it, and the password as PGPASSWORD.
            local parsed
            parsed=$("$PYTHON" - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

parts = urlsplit(sys.argv[1])
userinfo, _, hostport = parts.netloc.rpartition("@")
user, _, password = userinfo.partition(":")
netloc = f"{user}@{hostport}" if user else hostport
print(urlunsplit(("postgresql", netloc, parts.path, parts.query, "")))
print(unquote(password))
PY
)
            PG_URL=$(printf '%s\n' "$parsed" | sed -n 1p)
            PG_PASSWORD=$(printf '%s\n' "$parsed" | sed -n 2p)
            if [ -n "$PG_PASSWORD" ]; then export PGPASSWORD=$PG_PASSWORD; fi
            ;;
        sqlite:///*)
            DB_KIND=sqlite
            SQLITE_PATH=${DATABASE_URL#sqlite:///}
            SQLITE_PATH=${SQLITE_PATH%%\?*}
            # sqlite:///relative/path is relative to the working directory (APP_DIR).
            case "$SQLITE_PATH" in /*) ;; *) SQLITE_PATH=$APP_DIR/$SQLITE_PATH ;; esac
            ;;
        *)
            die "unsupported DATABASE_URL (PostgreSQL or an SQLite file expected)"
            ;;
    esac
    # With the S3 storage backend the files are not on this disk: back the bucket up on its
    # own (versioning, replication); these scripts then handle the database only.
    STORAGE=$(printf '%s' "${STORAGE_BACKEND:-local}" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')
    if [ "$STORAGE" = s3 ]; then FILES_INCLUDED=no; else FILES_INCLUDED=yes; fi
}
