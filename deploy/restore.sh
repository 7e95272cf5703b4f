#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh: the database and the uploaded files.
#
#   deploy/restore.sh [-e ENV_FILE] [-y] [-n] BACKUP_FOLDER
#     -e ENV_FILE  read DATABASE_URL, UPLOAD_ROOT... from this file (as systemd does)
#     -n           check only: verify the checksums and show the manifest, change nothing
#     -y           do not ask for confirmation
#
# Stop the portal first (web and outbox workers). The checksums are verified before anything
# is touched; the files are unpacked and verified aside before the database is replaced.
# What was there before is kept next to it (*.pre-restore-<time>), except a PostgreSQL
# database, whose tables are replaced in one transaction.
set -euo pipefail
umask 027
# shellcheck source=deploy/backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

ENV_FILE=""
ASSUME_YES=no
CHECK_ONLY=no
while getopts "e:ynh" option; do
    case "$option" in
        e) ENV_FILE=$OPTARG ;;
        y) ASSUME_YES=yes ;;
        n) CHECK_ONLY=yes ;;
        h) usage 0 ;;
        *) usage 2 >&2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage 2 >&2
BACKUP=$(cd "$1" 2>/dev/null && pwd) || die "no backup folder $1"
if [ -n "$ENV_FILE" ]; then load_env_file "$ENV_FILE"; fi

# 1. Is the backup whole and unchanged?
for required in SHA256SUMS MANIFEST; do
    [ -f "$BACKUP/$required" ] || die "$BACKUP has no $required: not a complete backup"
done
if [ -f "$BACKUP/database.pgdump" ]; then
    BACKUP_KIND=postgresql; DB_FILE=database.pgdump
elif [ -f "$BACKUP/database.sqlite" ]; then
    BACKUP_KIND=sqlite; DB_FILE=database.sqlite
else
    die "$BACKUP holds no database file"
fi
HAS_FILES=no
[ -f "$BACKUP/uploads.tar.gz" ] && HAS_FILES=yes
# Every file present must be listed (a SHA256SUMS that skips one would prove nothing).
for name in "$DB_FILE" MANIFEST $([ "$HAS_FILES" = yes ] && echo uploads.tar.gz uploads.sha256); do
    grep -q "  $name\$" "$BACKUP/SHA256SUMS" || die "SHA256SUMS does not cover $name"
done
(cd "$BACKUP" && sha256sum --check --strict --quiet SHA256SUMS) \
    || die "checksums do not match: $BACKUP is damaged, nothing was changed"
say "checksums verified"
sed 's/^/  /' "$BACKUP/MANIFEST"
if [ "$CHECK_ONLY" = yes ]; then exit 0; fi

# 2. Where to, and is that what the operator means?
resolve_settings
[ "$DB_KIND" = "$BACKUP_KIND" ] \
    || die "the backup holds a $BACKUP_KIND database but DATABASE_URL is $DB_KIND"
if [ "$DB_KIND" = postgresql ]; then
    command -v pg_restore >/dev/null || die "pg_restore is needed (package postgresql-client)"
    TARGET="PostgreSQL database ${PG_URL##*/}"
else
    TARGET="SQLite file $SQLITE_PATH"
fi
if [ "$HAS_FILES" = yes ]; then TARGET="$TARGET and the files under $UPLOAD_ROOT"; fi
if [ "$ASSUME_YES" != yes ]; then
    [ -t 0 ] || die "not on a terminal: pass -y to confirm"
    echo "This replaces the $TARGET with the backup above."
    read -r -p "Type 'restore' to go on: " answer
    [ "$answer" = restore ] || die "nothing changed"
fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

# 3. Unpack the files aside and check each one before anything is replaced.
STAGING=""
cleanup() { if [ -n "$STAGING" ]; then rm -rf -- "$STAGING"; fi; }
trap cleanup EXIT
if [ "$HAS_FILES" = yes ]; then
    if mountpoint -q "$UPLOAD_ROOT" 2>/dev/null; then
        die "UPLOAD_ROOT $UPLOAD_ROOT is a mount point: use a folder inside the mounted volume"
    fi
    UPLOAD_PARENT=$(dirname "$UPLOAD_ROOT")
    mkdir -p "$UPLOAD_PARENT"
    STAGING=$(mktemp -d "$UPLOAD_PARENT/.$(basename "$UPLOAD_ROOT").restoring-XXXXXX")
    tar --extract --gzip --file="$BACKUP/uploads.tar.gz" --directory="$STAGING"
    (cd "$STAGING" && sha256sum --check --strict --quiet "$BACKUP/uploads.sha256") \
        || die "the unpacked files do not match uploads.sha256; nothing was changed"
    say "files unpacked and verified ($(wc -l <"$BACKUP/uploads.sha256") files)"
elif [ "$STORAGE" != s3 ]; then
    say "warning: this backup holds no files (made with STORAGE_BACKEND=s3); files left as they are"
fi

# 4. The database.
if [ "$DB_KIND" = postgresql ]; then
    # --clean drops each object of the dump before creating it again; --single-transaction
    # leaves the database as it was if anything fails. Tables the dump does not know (added
    # by a later migration) are left alone: restoring into an empty database avoids them.
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
        --exit-on-error --dbname="$PG_URL" "$BACKUP/$DB_FILE"
    say "PostgreSQL database restored"
else
    mkdir -p "$(dirname "$SQLITE_PATH")"
    cp -- "$BACKUP/$DB_FILE" "$SQLITE_PATH.restoring"
    "$PYTHON" - "$SQLITE_PATH.restoring" <<'PY'
import sqlite3
import sys

connection = sqlite3.connect(sys.argv[1])
if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
    sys.exit("the backed-up SQLite database fails its integrity check")
connection.close()
PY
    if [ -e "$SQLITE_PATH" ]; then
        mv -- "$SQLITE_PATH" "$SQLITE_PATH.pre-restore-$STAMP"
        say "previous database kept as $SQLITE_PATH.pre-restore-$STAMP"
    fi
    # A journal left by the old file would be applied to the restored one: move it with it.
    for extra in -journal -wal -shm; do
        if [ -e "$SQLITE_PATH$extra" ]; then
            mv -- "$SQLITE_PATH$extra" "$SQLITE_PATH.pre-restore-$STAMP$extra"
        fi
    done
    mv -- "$SQLITE_PATH.restoring" "$SQLITE_PATH"
    say "SQLite database restored to $SQLITE_PATH"
fi

# 5. Put the files in place.
if [ "$HAS_FILES" = yes ]; then
    if [ -d "$UPLOAD_ROOT" ] && [ -z "$(ls -A "$UPLOAD_ROOT")" ]; then
        rmdir -- "$UPLOAD_ROOT"
    elif [ -e "$UPLOAD_ROOT" ]; then
        mv -- "$UPLOAD_ROOT" "$UPLOAD_ROOT.pre-restore-$STAMP"
        say "previous files kept as $UPLOAD_ROOT.pre-restore-$STAMP"
    fi
    mv -- "$STAGING" "$UPLOAD_ROOT"
    STAGING=""
    say "files restored to $UPLOAD_ROOT"
fi

REVISION=$(sed -n 's/^schema revision: //p' "$BACKUP/MANIFEST")
say "done. Next: 'flask db upgrade' (the backup is at schema revision $REVISION), then start"
say "the portal. Messages still queued in the backup will be sent again: check /equipe/envois."
