#!/usr/bin/env bash
# Back up the portal: the database and the uploaded files, into one timestamped folder with a
# manifest and checksums, then keep only the newest BACKUP_KEEP folders.
#
#   deploy/backup.sh [-e ENV_FILE] [-d BACKUP_DIR] [-k KEEP]
#
# The folder (BACKUP_DIR/portal-YYYYMMDDTHHMMSSZ) holds:
#   database.pgdump   pg_dump custom format (PostgreSQL)   or   database.sqlite (SQLite)
#   uploads.tar.gz    every file under UPLOAD_ROOT (not with STORAGE_BACKEND=s3)
#   uploads.sha256    the checksum of each file in the archive
#   MANIFEST          when, where from, the schema revision, what is inside
#   SHA256SUMS        checksums of the files above; deploy/restore.sh checks them first
# It is written under a temporary name and renamed once complete, so a folder with the final
# name is always a whole backup. Run it as the portal's user (docs/deploy.md, "Backups").
set -euo pipefail
umask 077
# shellcheck source=deploy/backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

ENV_FILE=""
DIR_OPTION=""
KEEP_OPTION=""
while getopts "e:d:k:h" option; do
    case "$option" in
        e) ENV_FILE=$OPTARG ;;
        d) DIR_OPTION=$OPTARG ;;
        k) KEEP_OPTION=$OPTARG ;;
        h) usage 0 ;;
        *) usage 2 >&2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage 2 >&2
if [ -n "$ENV_FILE" ]; then load_env_file "$ENV_FILE"; fi
BACKUP_DIR=${DIR_OPTION:-${BACKUP_DIR:-/var/backups/portal}}
KEEP=${KEEP_OPTION:-${BACKUP_KEEP:-14}}
case "$KEEP" in ''|*[!0-9]*|0) die "KEEP must be a whole number of at least 1" ;; esac
resolve_settings

mkdir -p "$BACKUP_DIR"
# One backup at a time (a slow run must not overlap the next one).
exec 9>"$BACKUP_DIR/.lock"
flock -n 9 || die "another backup is running in $BACKUP_DIR"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME=portal-$STAMP
suffix=1
while [ -e "$BACKUP_DIR/$NAME" ]; do   # two runs in the same second
    suffix=$((suffix + 1))
    NAME=portal-$STAMP-$suffix
done
# What a run killed half-way left behind (the lock says no other run is going on).
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '.incomplete-portal-*' -exec rm -rf -- {} +
WORK=$BACKUP_DIR/.incomplete-$NAME
mkdir "$WORK"
trap 'rm -rf "$WORK"' EXIT

# 1. The database first, then the files: a file written after the dump is only an extra,
#    unused file; the other order could leave a row pointing at a file the archive lacks.
if [ "$DB_KIND" = postgresql ]; then
    command -v pg_dump >/dev/null || die "pg_dump is needed (package postgresql-client)"
    DB_FILE=database.pgdump
    # One consistent snapshot, taken while the portal keeps running.
    pg_dump --format=custom --compress=6 --no-owner --no-privileges \
        --file="$WORK/$DB_FILE" --dbname="$PG_URL"
    REVISION=$(psql --no-psqlrc --tuples-only --no-align --dbname="$PG_URL" \
        --command="SELECT version_num FROM alembic_version" 2>/dev/null || true)
else
    [ -f "$SQLITE_PATH" ] || die "no SQLite database at $SQLITE_PATH"
    DB_FILE=database.sqlite
    # SQLite's online backup (Python's sqlite3 module: the sqlite3 program is not needed) gives
    # a consistent copy even while the portal writes; the copy is then checked.
    REVISION=$("$PYTHON" - "$SQLITE_PATH" "$WORK/$DB_FILE" <<'PY'
import sqlite3
import sys
from pathlib import Path

source = sqlite3.connect(Path(sys.argv[1]).resolve().as_uri() + "?mode=ro", uri=True, timeout=60)
target = sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close()
if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
    sys.exit("the copy of the SQLite database fails its integrity check")
try:
    print(target.execute("SELECT version_num FROM alembic_version").fetchone()[0])
except sqlite3.Error:
    print("")
target.close()
PY
)
fi

# 2. The uploaded files, and the checksum of each one as archived.
if [ "$FILES_INCLUDED" = yes ]; then
    [ -d "$UPLOAD_ROOT" ] || die "UPLOAD_ROOT $UPLOAD_ROOT is not a folder"
    # GNU tar exits with 1 when a file changed while it was read (an upload in progress):
    # that file may be incomplete in the archive, the others are fine. 2 is a real failure.
    status=0
    tar --create --gzip --file="$WORK/uploads.tar.gz" --directory="$UPLOAD_ROOT" \
        --exclude='*.part' --warning=no-file-changed --warning=no-file-removed . || status=$?
    [ "$status" -le 1 ] || die "tar failed ($status)"
    FILE_COUNT=$("$PYTHON" - "$WORK/uploads.tar.gz" "$WORK/uploads.sha256" <<'PY'
import hashlib
import sys
import tarfile

count = 0
with tarfile.open(sys.argv[1]) as archive, open(sys.argv[2], "w") as sums:
    for member in archive:
        if member.isfile():
            digest = hashlib.sha256(archive.extractfile(member).read()).hexdigest()
            sums.write(f"{digest}  {member.name}\n")
            count += 1
print(count)
PY
)
    FILES_LINE="uploads.tar.gz, $FILE_COUNT files from $UPLOAD_ROOT"
else
    FILES_LINE="not included (STORAGE_BACKEND=s3: back the bucket up separately)"
fi

# 3. Manifest and checksums.
COMMIT=$(git -C "$APP_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    echo "portal backup $NAME"
    echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(hostname)"
    echo "code: $COMMIT"
    echo "database: $DB_KIND, $DB_FILE"
    echo "schema revision: ${REVISION:-unknown}"
    echo "files: $FILES_LINE"
} >"$WORK/MANIFEST"
(
    cd "$WORK"
    sha256sum -- "$DB_FILE" MANIFEST $([ "$FILES_INCLUDED" = yes ] && echo uploads.tar.gz uploads.sha256) \
        >SHA256SUMS
)
mv "$WORK" "$BACKUP_DIR/$NAME"
trap - EXIT
say "backup complete: $BACKUP_DIR/$NAME ($(du -sh "$BACKUP_DIR/$NAME" | cut -f1))"

# 4. Retention: the newest KEEP complete backups stay (names sort by time).
mapfile -t ALL < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'portal-2*' -printf '%f\n' | LC_ALL=C sort)
if [ "${#ALL[@]}" -gt "$KEEP" ]; then
    for old in "${ALL[@]:0:${#ALL[@]}-KEEP}"; do
        rm -rf -- "${BACKUP_DIR:?}/$old"
        say "removed old backup $old"
    done
fi
